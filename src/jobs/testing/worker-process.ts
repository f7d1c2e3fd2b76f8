/**
 * A queue worker in a process of its own, for tests that kill it: started by the contract test as
 * `node --import tsx src/jobs/testing/worker-process.ts '<json>'` with the database, the jobs
 * config and how its probe jobs behave. Prints `ready` once its workers run.
 */
import pino from 'pino';
import type { DatabaseConfig } from '../../config.js';
import type { JobsConfig } from '../queue.js';
import { openStorage } from '../../storage/database.js';
import { createJobQueue } from '../create-job-queue.js';
import { probeTasks, type ProbeBehaviour } from './probe-tasks.js';

export interface WorkerProcessArguments {
  database: DatabaseConfig;
  jobs: JobsConfig;
  behaviour: ProbeBehaviour;
  concurrency: number;
}

const args = JSON.parse(process.argv[2] ?? '') as WorkerProcessArguments;
const storage = openStorage(args.database);
const logger = pino({ level: 'warn' }, pino.destination(2));
const queue = createJobQueue(storage, args.jobs, probeTasks(storage, args.behaviour), logger, { backoff: { baseMs: 100, maxMs: 400 } });
await queue.start({ concurrency: args.concurrency });
process.stdout.write('ready\n');
