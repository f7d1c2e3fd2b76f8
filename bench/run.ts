/**
 * `npm run bench`: every benchmark, one after another, each printing its figures as ratios against
 * a baseline measured in the same run (these machines are shared; absolute numbers drift).
 * `npm run bench -- http queue` runs only the named ones.
 */
import os from 'node:os';

const benches: Record<string, () => Promise<string>> = {
  http: async () => {
    const { run, format } = await import('./http.js');
    return format(await run());
  },
  queue: async () => {
    const { run, formatReport } = await import('./queue.js');
    return formatReport(await run());
  },
  credentials: async () => {
    const { run, format } = await import('./credentials.js');
    return format(await run());
  },
  alerts: async () => {
    const { run, format } = await import('./alerts.js');
    return format(await run());
  },
  'standard-output': async () => {
    const { run, format } = await import('./standard-output.js');
    return format(await run());
  },
  'machine-files': async () => {
    const { run, format } = await import('./machine-files.js');
    return format(run());
  },
  isoxml: async () => {
    const { run, format } = await import('./isoxml.js');
    return format(await run());
  },
  allocation: async () => {
    const { run, format } = await import('./allocation.js');
    return format(await run());
  },
  'field-operations': async () => {
    const { run, format } = await import('./field-operations.js');
    return format(await run());
  },
  sync: async () => {
    const { run, format } = await import('./sync.js');
    return format(await run());
  },
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(benches);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(`Machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}\n`);
for (const name of names) {
  const bench = benches[name];
  if (bench === undefined) {
    process.stderr.write(`Unknown benchmark "${name}"; expected one of ${Object.keys(benches).join(', ')}.\n`);
    process.exit(2);
  }
  const started = Date.now();
  process.stdout.write(`\n## ${name}\n\n${await bench()}\n(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}
