/**
 * The ISOXML reader against the real task data sets in ../shared/corpus (MANIFEST.md gives the
 * record counts and medians, produced by an independent decoder; CorruptStream.zip carries the
 * terminal maker's own CSV decode of each time log).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openZip } from '../archive/zip.js';
import { MachineFileError, type FileEntry, type FileSet, type MachineLog } from '../machine-data.js';
import { byteSourceFromFile, fileSetFromDirectory } from '../testing/file-sets.js';
import { ValueKind } from './ddi.js';
import isoxml from './index.js';
import { BatchBuffers, TimeLogDecoder, type DecodeCounts } from './time-log-decoder.js';
import { parseTimeLogHeader } from './time-log-header.js';
import { parseXml } from './xml.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const hasCorpus = fs.existsSync(corpus);
/** Shown in the suite names when the corpus is absent, so a skipped run says why. */
const skipped = hasCorpus ? '' : ' (skipped: ../shared/corpus is absent)';

async function openSet(relative: string): Promise<FileSet> {
  const full = path.join(corpus, relative);
  return relative.endsWith('.zip') ? openZip(byteSourceFromFile(full)) : fileSetFromDirectory(full);
}

async function bytesOf(entry: FileEntry): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.stream()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Decodes one TLG of a set into flat arrays; `ddis` picks the columns (raw DDI → scaled like the reader). */
async function decodeTimeLog(files: FileSet, binPath: string, columns: { ddi: number; factor: number; kind: number }[] = []) {
  const headerEntry = files.entries.find((e) => e.path.toLowerCase() === binPath.toLowerCase().replace(/\.bin$/, '.xml'));
  const binEntry = files.entries.find((e) => e.path === binPath)!;
  const header = parseTimeLogHeader(parseXml(Buffer.from(await bytesOf(headerEntry!)).toString('utf8'), binPath), binPath);
  const n = header.dlvs.length;
  const columnOfDlv = new Int16Array(n).fill(-1);
  const factorOfDlv = new Float64Array(n);
  const kindOfDlv = new Uint8Array(n);
  columns.forEach((c, column) => {
    const index = header.dlvs.findIndex((dlv) => dlv.ddi === c.ddi);
    if (index >= 0) { columnOfDlv[index] = column; factorOfDlv[index] = c.factor; kindOfDlv[index] = c.kind; }
  });
  const bytes = await bytesOf(binEntry);
  const batch = new BatchBuffers(Math.max(1, bytes.length), columns.length);
  const mapping = { columnOfDlv, factorOfDlv, kindOfDlv, constants: new Float64Array(columns.length).fill(Number.NaN), isDelta: new Uint8Array(columns.length), elevationColumn: -1 };
  const decoder = new TimeLogDecoder(header, mapping, batch, binPath);
  const end = decoder.decode(bytes, 0, 0);
  return { counts: decoder.counts as DecodeCounts, rest: bytes.length - end, batch };
}

/** Records per time log of a set, decoded with the reader's decoder. */
async function recordCounts(files: FileSet): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const entry of files.entries) {
    if (!/(^|\/)TLG\d+\.bin$/i.test(entry.path) || entry.size === 0) continue;
    const { counts: c, rest } = await decodeTimeLog(files, entry.path);
    expect(rest, `${entry.path} decodes to its last byte`).toBe(0);
    counts[path.basename(entry.path).replace(/\.bin$/i, '').toUpperCase()] = c.records;
  }
  return counts;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function openLogs(files: FileSet) {
  const datasets = await isoxml.detect(files);
  expect(datasets).toHaveLength(1);
  return isoxml.open(files, datasets[0]!);
}

async function pointsOf(log: MachineLog): Promise<{ count: number; columns: Float64Array[] }> {
  const columns = log.columns.map(() => [] as number[]);
  let count = 0;
  for await (const batch of log.points()) {
    count += batch.length;
    batch.values.forEach((values, c) => { for (let i = 0; i < batch.length; i++) columns[c]!.push(values[i]!); });
  }
  return { count, columns: columns.map((c) => Float64Array.from(c)) };
}

/** Rounds away float noise; NaN stays NaN (and `toBe` treats NaN as equal to NaN). */
const round9 = (value: number) => Math.round(value * 1e9) / 1e9;

function median(values: Iterable<number>): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1]!;
}

/** Median of the positive values of one column (the MANIFEST's medians leave out the zeros logged while not harvesting). */
function positiveMedian(log: MachineLog, columns: Float64Array[], property: string): number {
  const index = log.columns.findIndex((c) => c.property === property);
  expect(index, `${log.name} has a ${property} column`).toBeGreaterThanOrEqual(0);
  return median([...columns[index]!].filter((v) => v > 0));
}

async function failureOf(promise: Promise<unknown>): Promise<MachineFileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MachineFileError) return error;
    throw error;
  }
  throw new Error('expected a MachineFileError');
}

describe.skipIf(!hasCorpus)(`ISOXML corpus: record counts match MANIFEST.md${skipped}`, () => {
  it.each([
    ['isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs', { total: 61_314, logs: 21 }],
    ['isoxml-dotnet/testdata/TimeLogs/TotalsTests', { TLG00001: 314, TLG00002: 27, TLG00003: 4_336 }],
    ['pyagriculture11783/Combiner/TaskData', { TLG00001: 86_774, TLG00003: 64_145 }],
    ['pyagriculture11783/Potatoes/TaskData', { TLG00002: 257, TLG00003: 363 }],
    ['isoxml-js/data/2021-04-09T15_33_26_taskdata.zip', { TLG00001: 207 }],
    ['isoxml-dotnet/testdata/ExternalFiles/AFE.zip', { total: 3 * 3_633, logs: 3 }],
    ['isoxml-dotnet/testdata/LoadFromStream/Another-single-ACP.zip', { total: 4_879, logs: 15 }],
    ['isoxml-dotnet/testdata/LoadFromStream/AllFieldsMoved_Or_Simplified_Out.zip', { total: 8_599 + 3_863, logs: 2 }],
    ['isoxml-dotnet/testdata/LoadFromStream/SingleDPD.zip', { total: 373, logs: 1 }],
    ['isoxml-dotnet/testdata/LoadFromStream/MultiSubFolder.zip', { total: 373, logs: 1 }],
    ['adapt-isov4plugin/TestUtilities/Datacards/Agco-MicroTrak.zip', { TLG00004: 2_459, TLG00005: 373, TLG00006: 1_677 }],
    ['adapt-isov4plugin/TestUtilities/Datacards/agco c100 tc & jd sprayer 900.zip', { TLG00014: 4, TLG00015: 1_837, TLG00016: 139 }],
    ['adapt-isov4plugin/TestUtilities/Datacards/agco c100 tc & jd sprayer 900-short.zip', { TLG00014: 4, TLG00016: 139 }],
    ['adapt-isov4plugin/TestUtilities/Datacards/KV.zip', { total: 6, logs: 6 }],
  ] as const)('%s', async (set, expected) => {
    const counts = await recordCounts(await openSet(set));
    if ('total' in expected) {
      expect(Object.keys(counts)).toHaveLength(expected.logs);
      expect(sum(counts)).toBe(expected.total);
    } else {
      expect(counts).toMatchObject(expected);
    }
  });
});

describe.skipIf(!hasCorpus)(`ISOXML corpus: logs, values and failures${skipped}`, () => {
  it('reads the forage harvest: 19 tasks, 21 field boundaries, and TLG00001 medians of 47.6 t/ha and 54.5 % moisture', async () => {
    const { logs, boundaries } = await openLogs(await openSet('isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs'));
    expect(logs).toHaveLength(19);
    expect(boundaries).toHaveLength(21);
    expect(boundaries.every((b) => b.geometry.coordinates.every((polygon) => polygon[0]!.length >= 4))).toBe(true);
    expect(logs.every((log) => log.operationType === 'harvested')).toBe(true);
    const first = logs.find((log) => log.name === 'SAV')!;
    expect(first.originalOperationData?.originalOperationField).toBeTruthy();
    const { count, columns } = await pointsOf(first);
    expect(count).toBe(4_716);
    expect(positiveMedian(first, columns, 'wetMassPerArea') / 1000).toBeCloseTo(47.6, 1); // kg/ha → t/ha
    expect(positiveMedian(first, columns, 'harvestMoisture')).toBeCloseTo(54.5, 1);
    expect(first.columns.find((c) => c.property === 'wetMassPerArea')?.unit).toBe('kg/ha');
  });

  it('reads the forage harvest to the last record in every task', async () => {
    const files = await openSet('isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs');
    const { logs } = await openLogs(files);
    let points = 0;
    for (const log of logs) points += (await pointsOf(log)).count;
    // Every record of this set has a position (MANIFEST: 61 314 records).
    expect(points).toBe(61_314);
  });

  it('reads the combine: medians 4.29 t/ha, 11.6 % moisture, 10.19 m width, and reports the missing TLG00002.bin', async () => {
    const { logs } = await openLogs(await openSet('pyagriculture11783/Combiner/TaskData'));
    expect(logs.map((log) => log.name)).toEqual(['Teat', 'Värnhem', 'Raps']);
    const raps = logs[2]!;
    expect(raps.operationType).toBe('harvested');
    expect(raps.machinery?.map((m) => m.name)).toEqual(['IDEAL Combine Series', 'Combine Header']);
    const { count, columns } = await pointsOf(raps);
    expect(count).toBe(86_774);
    // MANIFEST's 429 050 mg/m² is the median of the logged values; carried forward to every point it is within 2 %.
    expect(Math.abs(positiveMedian(raps, columns, 'wetMassPerArea') / 4290.5 - 1)).toBeLessThan(0.02);
    expect(positiveMedian(raps, columns, 'harvestMoisture')).toBeCloseTo(11.6, 1);
    expect(positiveMedian(raps, columns, 'equipmentWidth')).toBeCloseTo(10.19, 2);
    const error = await failureOf(pointsOf(logs[1]!));
    expect(error.code).toBe('missing_file');
    expect(error.message).toContain('TLG00002.BIN');
  });

  it('reads the KRONE totals set including its position-only header with no DLVs', async () => {
    const { logs } = await openLogs(await openSet('isoxml-dotnet/testdata/TimeLogs/TotalsTests'));
    expect(logs).toHaveLength(1);
    const { count } = await pointsOf(logs[0]!);
    expect(count).toBe(314 + 27 + 4_336);
  });

  it('fails the Potatoes task whose logs are 0-byte files and reads the other', async () => {
    const { logs } = await openLogs(await openSet('pyagriculture11783/Potatoes/TaskData'));
    const error = await failureOf(pointsOf(logs[0]!));
    expect(error.code).toBe('no_machine_data');
    expect(error.message).toContain('TLG00000.bin');
    expect((await pointsOf(logs[1]!)).count).toBe(257 + 363);
    expect(logs[1]!.crop).toEqual(['potatis']);
  });

  it('reads seeding, application and tillage sets with the operation their DDIs say', async () => {
    const operations = async (set: string) => (await openLogs(await openSet(set))).logs.map((log) => log.operationType);
    expect(await operations('isoxml-dotnet/testdata/ExternalFiles/AFE.zip')).toEqual(['planted']);
    expect(await operations('isoxml-dotnet/testdata/LoadFromStream/AllFieldsMoved_Or_Simplified_Out.zip')).toEqual(['tillage', 'tillage']);
    expect(await operations('adapt-isov4plugin/TestUtilities/Datacards/Agco-MicroTrak.zip')).toEqual(['applied']);
    const { logs } = await openLogs(await openSet('adapt-isov4plugin/TestUtilities/Datacards/Agco-MicroTrak.zip'));
    const { columns } = await pointsOf(logs[0]!);
    // Two bins log 0x0002 while the root logs zeros; the rate is their sum. MANIFEST gives ≈ 34.7 L/ha
    // for the larger bin alone; the sum's median over the points is ≈ 30 L/ha (a factor error would be 10× off).
    expect(logs[0]!.columns.find((c) => c.property === 'appliedRate')?.unit).toBe('L/ha');
    const rate = positiveMedian(logs[0]!, columns, 'appliedRate');
    expect(rate).toBeGreaterThan(25);
    expect(rate).toBeLessThan(40);
  });

  it("decodes the KRONE baler's good logs exactly as its own CSV export, and fails TLG0006/0007 naming log and byte", async () => {
    const files = await openSet('isoxml-dotnet/testdata/LoadFromStream/CorruptStream.zip');
    const bins = files.entries.filter((e) => /TLG\d+\.bin$/i.test(e.path)).map((e) => e.path).sort();
    expect(bins).toHaveLength(14);
    let compared = 0;
    for (const bin of bins) {
      const name = path.basename(bin, '.bin');
      if (name === 'TLG0006' || name === 'TLG0007') {
        const error = await failureOf(decodeTimeLog(files, bin));
        expect(error.code).toBe('corrupt_file');
        expect(error.message).toMatch(new RegExp(`${name}\\.bin is corrupt at byte \\d+`));
        continue;
      }
      const csvEntry = files.entries.find((e) => e.path === bin.replace(/\.bin$/, '.CSV'))!;
      const [head, ...lines] = Buffer.from(await bytesOf(csvEntry)).toString('latin1').trim().split(/\r?\n/);
      const ddiColumn = (ddi: number) => head!.split(';').findIndex((name) => name.startsWith(`'${ddi}/`));
      const moistureColumn = ddiColumn(0x63);
      const workStateColumn = ddiColumn(0x8d);
      const { batch, counts } = await decodeTimeLog(files, bin, [
        { ddi: 0x63, factor: 1e-4, kind: ValueKind.Scaled },
        { ddi: 0x8d, factor: 1, kind: ValueKind.WorkState },
      ]);
      // The CSV export leaves out the last record of TLG0002 and TLG0014 (checked by hand); all others match one to one.
      expect(counts.records - lines.length).toBeGreaterThanOrEqual(0);
      expect(counts.records - lines.length).toBeLessThanOrEqual(1);
      let moisture = Number.NaN;
      let workState = Number.NaN;
      let point = 0;
      for (const line of lines) {
        const f = line.split(';');
        const number = (s: string | undefined) => Number((s ?? '').replace(',', '.'));
        if (moistureColumn >= 0 && f[moistureColumn] !== '') moisture = number(f[moistureColumn]) * 1e-4;
        if (workStateColumn >= 0 && f[workStateColumn] !== '') workState = number(f[workStateColumn]) <= 1 ? number(f[workStateColumn]) : Number.NaN;
        const lat = number(f[2]);
        const lon = number(f[3]);
        if (lat === 0 && lon === 0) continue;
        const [day, month, year] = f[0]!.split('.').map(Number) as [number, number, number];
        const [h, m, s] = f[1]!.split(':').map(Number) as [number, number, number];
        expect(Math.floor(batch.time[point]! / 1000) * 1000, `${name} point ${point} time`).toBe(Date.UTC(year, month - 1, day, h, m, s));
        expect(batch.lat[point]!, `${name} point ${point} lat`).toBeCloseTo(lat, 7);
        expect(batch.lon[point]!, `${name} point ${point} lon`).toBeCloseTo(lon, 7);
        expect(round9(batch.values[0]![point]!), `${name} point ${point} moisture`).toBe(round9(moisture));
        expect(batch.values[1]![point], `${name} point ${point} work state`).toBe(workState);
        point++;
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50_000);
  });

  it('fails the corrupt baler tasks through the reader and converts the rest', async () => {
    const { logs, boundaries } = await openLogs(await openSet('isoxml-dotnet/testdata/LoadFromStream/CorruptStream.zip'));
    expect(boundaries.length).toBeGreaterThan(0);
    const outcomes: string[] = [];
    for (const log of logs) {
      try {
        outcomes.push(`${log.name}: ${(await pointsOf(log)).count}`);
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw error;
        outcomes.push(`${log.name}: ${error.code}`);
      }
    }
    expect(outcomes).toEqual(['Ballenpressen Nord: 16922', 'Quaderballen 2: 23671', 'Quaderballen 43: corrupt_file', 'Quaderballen 44: corrupt_file', 'Quaderballen 1: 9518']);
  });

  it('reads the 13 partfields with holes of the coding-data set', async () => {
    const { logs, boundaries } = await openLogs(await openSet('isoxml-dotnet/testdata/CodingData/Partfields'));
    expect(logs).toHaveLength(0);
    expect(boundaries).toHaveLength(13);
    const holed = boundaries.filter((b) => b.geometry.coordinates.some((polygon) => polygon.length > 1)).map((b) => b.name);
    expect(holed).toEqual(expect.arrayContaining(['NM_Oxted_NullMeridian_Hole', 'MW_LaConc_EC_Equator_Hole']));
  });
});
