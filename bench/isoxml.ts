/**
 * ISOXML time-log decoding benchmark. The targets: at least 10× the `isoxml` npm library on
 * the same TaskData, and at least 2,500,000 records/s.
 *
 * Data: the corpus combine set (`pyagriculture11783/Combiner/TaskData`, TLG00001 + TLG00003,
 * 150,919 records), held in memory and decoded `repetitions` times (≥ 1,000,000 records in all).
 * - Furrow: `isoxml.open()` (TASKDATA.XML and TLG headers parsed every time) then every batch of
 *   every log's `points()`: DDIs mapped, scaled and carried forward into columns.
 * - Baseline, same process: the library's `ExtendedTimeLog.parseBinaryFile()` on the same logs, its
 *   zip parsed once up front and not timed (only its binary decoding is), cache cleared each time.
 * Each side runs `rounds` times alternating; the best round counts (the machine is shared).
 *
 * Run: `npm run bench -- isoxml` or `npx tsx bench/isoxml.ts`. `run()` returns the figures,
 * `format()` prints them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ISOXMLManager } from 'isoxml';
import { writeZip } from '../src/formats/archive/testing/write-zip.js';
import isoxml from '../src/formats/isoxml/index.js';
import { fileSetFromMemory } from '../src/formats/testing/file-sets.js';

const SET = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../shared/corpus/pyagriculture11783/Combiner/TaskData');
const TARGET_RECORDS = 1_000_000;

export interface IsoxmlBenchResult {
  records: number;
  repetitions: number;
  furrowRecordsPerSecond: number;
  libraryRecordsPerSecond: number;
  ratio: number;
}

interface LibraryTimeLog {
  parsedTimeLog: unknown;
  parseBinaryFile(): { timeLogs: unknown[] };
}

export async function run(rounds = 3): Promise<IsoxmlBenchResult> {
  if (!fs.existsSync(SET)) throw new Error(`${SET} is absent: the ISOXML benchmark reads the corpus combine set.`);
  const contents: Record<string, Uint8Array> = {};
  for (const name of fs.readdirSync(SET)) contents[name] = fs.readFileSync(path.join(SET, name));
  const files = fileSetFromMemory(contents);
  const [dataset] = await isoxml.detect(files);

  const decodeFurrow = async () => {
    let records = 0;
    const { logs } = await isoxml.open(files, dataset!);
    for (const log of logs) {
      if (log.name === 'Värnhem') continue; // its TLG00002.bin is not in the corpus
      for await (const batch of log.points()) records += batch.length;
    }
    return records;
  };
  const perPass = await decodeFurrow();
  const repetitions = Math.ceil(TARGET_RECORDS / perPass);

  const zip = writeZip(Object.entries(contents).map(([name, data]) => ({ name: `TASKDATA/${name}`, data })));
  const manager = new ISOXMLManager();
  await manager.parseISOXMLFile(zip, 'application/zip');
  const timeLogs = (manager.rootElement.attributes.Task ?? [])
    .flatMap((task) => (task.attributes.TimeLog ?? []) as unknown as LibraryTimeLog[])
    .filter((timeLog) => (timeLog as unknown as { binaryData?: Uint8Array | null }).binaryData != null);
  const decodeLibrary = () => {
    let records = 0;
    for (const timeLog of timeLogs) {
      timeLog.parsedTimeLog = null;
      records += timeLog.parseBinaryFile().timeLogs.length;
    }
    return records;
  };
  if (decodeLibrary() !== perPass) throw new Error(`the library decoded ${decodeLibrary()} records, Furrow ${perPass}: not the same work`);

  let furrowBest = Infinity;
  let libraryBest = Infinity;
  for (let round = 0; round < rounds; round++) {
    let started = performance.now();
    for (let i = 0; i < repetitions; i++) await decodeFurrow();
    furrowBest = Math.min(furrowBest, performance.now() - started);
    started = performance.now();
    for (let i = 0; i < repetitions; i++) decodeLibrary();
    libraryBest = Math.min(libraryBest, performance.now() - started);
  }
  const records = perPass * repetitions;
  const furrowRecordsPerSecond = records / (furrowBest / 1000);
  const libraryRecordsPerSecond = records / (libraryBest / 1000);
  return { records, repetitions, furrowRecordsPerSecond, libraryRecordsPerSecond, ratio: furrowRecordsPerSecond / libraryRecordsPerSecond };
}

export function format(r: IsoxmlBenchResult): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `${n(r.records)} records (combine set × ${r.repetitions}), best of 3 rounds`,
    '',
    '| decoder | records/s | ratio |',
    '| --- | --- | --- |',
    `| isoxml npm \`parseBinaryFile\` (baseline) | ${n(r.libraryRecordsPerSecond)} | 1.00 |`,
    `| Furrow \`isoxml\` reader (open + points) | ${n(r.furrowRecordsPerSecond)} | ${r.ratio.toFixed(1)} |`,
    '',
    `Targets: ≥ 10× the library (${r.ratio >= 10 ? 'met' : 'not met'}), ≥ 2,500,000 records/s (${r.furrowRecordsPerSecond >= 2_500_000 ? 'met' : 'not met'}).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${format(await run())}\n`);
