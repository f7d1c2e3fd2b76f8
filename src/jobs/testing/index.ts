/** @module Test helpers for the job queue: a probe task that records what it did, a worker child process, and a polling wait. */
export { countProbeEvents, createProbeTable, probeEvents, probeGauge, probeTask, probeTasks, stricterProbeTask, type ProbeBehaviour } from './probe-tasks.js';
export { sleep, waitFor } from './wait-for.js';
