import { describe, expect, it } from 'vitest';
import { MachineFileError, type FileSet, type MachineLog } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import isoxml from './index.js';
import { syntheticTaskData, taskDataXml, timeLogBinary, timeLogHeaderXml, type SyntheticRecord } from './testing/synthetic-task-data.js';

const DAY = 86_400_000;
/** 2020-06-01 as days since 1980-01-01. */
const JUNE_1 = (Date.UTC(2020, 5, 1) - Date.UTC(1980, 0, 1)) / DAY;

async function openAll(files: FileSet, batchSize?: number) {
  const [dataset] = await isoxml.detect(files);
  if (dataset === undefined) throw new Error('no dataset detected');
  return isoxml.open(files, dataset, batchSize === undefined ? {} : { batchSize });
}

/** Every point of a log, copied out of the reused batches. */
async function collect(log: MachineLog) {
  const rows: { lon: number; lat: number; time: number; values: number[] }[] = [];
  for await (const batch of log.points()) {
    for (let i = 0; i < batch.length; i++) rows.push({ lon: batch.lon[i]!, lat: batch.lat[i]!, time: batch.time[i]!, values: batch.values.map((v) => v[i]!) });
  }
  return rows;
}

async function failure(promise: Promise<unknown>): Promise<MachineFileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MachineFileError) return error;
    throw error;
  }
  throw new Error('expected a MachineFileError');
}

/** The same set with every file streamed in chunks of `size` bytes, so records straddle chunks. */
function rechunk(files: FileSet, size: number): FileSet {
  return {
    entries: files.entries.map((entry) => ({
      ...entry,
      stream: async function* () {
        for await (const chunk of entry.stream()) for (let i = 0; i < chunk.length; i += size) yield chunk.slice(i, i + size);
      },
    })),
  };
}

const column = (log: MachineLog, property: string) => log.columns.findIndex((c) => c.property === property);

const records: SyntheticRecord[] = [
  { ms: 36_000_000, days: JUNE_1, north: 52.001, east: 7.001, up: 50_000, values: [[0, 800_000], [1, 150_000], [2, 9_000], [3, 1]] },
  { ms: 36_001_000, days: JUNE_1, north: 52.002, east: 7.002, up: 51_000, values: [[0, 900_000]] },
  { ms: 36_002_000, days: JUNE_1, north: 0, east: 0, values: [[1, 140_000]] },
  { ms: 36_003_000, days: JUNE_1, north: 52.003, east: 7.003, up: 52_000, values: [[3, 0]] },
];

describe('the ISOXML reader on synthetic task data', () => {
  it('finds TASKDATA.XML at any depth and in any case', async () => {
    const files = fileSetFromMemory({ 'a/b/TaskData.xml': taskDataXml([]), 'c/TASKDATA.XML': taskDataXml([]), 'c/other.xml': '<x/>' });
    expect((await isoxml.detect(files)).map((d) => d.path).sort()).toEqual(['a/b/TaskData.xml', 'c/TASKDATA.XML']);
  });

  it('maps DDIs to scaled columns and carries values forward between changes', async () => {
    const { logs } = await openAll(syntheticTaskData({ TLG00001: records }));
    const [log] = logs;
    expect(log!.operationType).toBe('harvested');
    expect(log!.columns).toEqual(expect.arrayContaining([
      { property: 'wetMassPerArea', unit: 'kg/ha' },
      { property: 'harvestMoisture', unit: 'prcnt' },
      { property: 'equipmentWidth', unit: 'm' },
      { property: 'workState', unit: 'count' },
      { property: 'elevation', unit: 'm' },
    ]));
    const rows = await collect(log!);
    // The 0/0 record has no position: no point, but its moisture carries forward.
    expect(rows).toHaveLength(3);
    const at = (row: number, property: string) => rows[row]!.values[column(log!, property)];
    expect(at(0, 'wetMassPerArea')).toBeCloseTo(8000); // 800 000 mg/m² = 8 t/ha
    expect(at(1, 'wetMassPerArea')).toBeCloseTo(9000);
    expect(at(2, 'wetMassPerArea')).toBeCloseTo(9000);
    expect(at(0, 'harvestMoisture')).toBeCloseTo(15);
    expect(at(2, 'harvestMoisture')).toBeCloseTo(14);
    expect(at(1, 'equipmentWidth')).toBeCloseTo(9);
    expect([at(0, 'workState'), at(1, 'workState'), at(2, 'workState')]).toEqual([1, 1, 0]);
    expect(at(2, 'elevation')).toBeCloseTo(52);
    expect(rows[0]!.lat).toBeCloseTo(52.001, 7);
    expect(rows[0]!.lon).toBeCloseTo(7.001, 7);
    expect(rows[0]!.time).toBe(Date.UTC(2020, 5, 1, 10, 0, 0));
    expect(log!.warnings.join(' ')).toContain('no GPS UTC time');
    expect(log!.warnings.join(' ')).toContain('1 records without a GNSS position');
  });

  it('reads the task, crop, variety, field, farm, grower, machinery and boundary with its hole', async () => {
    const { logs, boundaries } = await openAll(syntheticTaskData({ TLG00001: records }));
    expect(logs[0]).toMatchObject({
      fileFormat: 'ISO11783',
      name: 'Harvest 1',
      crop: ['wheat'],
      varieties: ['Skyfall'],
      machinery: [{ name: 'Combine 9000', type: 'machine', serialNumber: 'SN123' }],
      originalOperationData: { originalOperationField: 'North & South', originalOperationFarm: 'Home Farm', originalOperationGrower: 'Grace Grower' },
    });
    expect(boundaries).toHaveLength(1);
    expect(boundaries[0]!.name).toBe('North & South');
    const [polygon] = boundaries[0]!.geometry.coordinates;
    expect(polygon).toHaveLength(2);
    expect(polygon![0]![0]).toEqual([7.0, 52.0]);
    expect(polygon![0]!.at(-1)).toEqual([7.0, 52.0]);
    expect(polygon![1]).toHaveLength(4);
  });

  it('takes UTC from the GPS time when records carry it, rounding the terminal offset to a quarter hour', async () => {
    // The terminal clock runs on CEST (UTC+2); the GPS fix is 300 ms older than the record.
    const local = 12 * 3_600_000;
    const gps: SyntheticRecord[] = [
      { ms: local, days: JUNE_1, north: 52, east: 7, gpsMs: local - 2 * 3_600_000 - 300, gpsDays: JUNE_1 },
      { ms: local + 1000, days: JUNE_1, north: 52, east: 7, gpsMs: local - 2 * 3_600_000 + 700, gpsDays: JUNE_1 },
    ];
    const { logs } = await openAll(syntheticTaskData({ TLG00001: gps }, { gpsTime: true }));
    const rows = await collect(logs[0]!);
    expect(rows.map((r) => r.time)).toEqual([Date.UTC(2020, 5, 1, 10, 0, 0), Date.UTC(2020, 5, 1, 10, 0, 1)]);
    expect(logs[0]!.warnings.join(' ')).not.toContain('no GPS UTC time');
  });

  it('decodes the same points whatever the chunking of the binary stream and the batch size', async () => {
    const many: SyntheticRecord[] = Array.from({ length: 1000 }, (_, i) => ({
      ms: 36_000_000 + i * 1000, days: JUNE_1, north: 52 + i * 1e-5, east: 7 + i * 1e-5, values: i % 3 === 0 ? [[0, 1000 * i]] : [],
    }));
    const files = syntheticTaskData({ TLG00001: many });
    const reference = await collect((await openAll(files)).logs[0]!);
    expect(reference).toHaveLength(1000);
    for (const [chunk, batch] of [[1, 7], [13, 100], [4096, 1]] as const) {
      expect(await collect((await openAll(rechunk(files, chunk), batch)).logs[0]!)).toEqual(reference);
    }
  });

  it('reads position-only logs whose header has no DLVs', async () => {
    const { logs } = await openAll(syntheticTaskData({ TLG00001: [{ ms: 1000, days: JUNE_1, north: 10, east: 20 }] }, { ddis: [] }));
    expect(logs[0]!.operationType).toBe('harvested'); // from the allocated combine's device class
    const rows = await collect(logs[0]!);
    expect(rows).toEqual([{ lon: 20, lat: 10, time: Date.UTC(2020, 5, 1, 0, 0, 1), values: [0] }]);
    expect(logs[0]!.columns).toEqual([{ property: 'elevation', unit: 'm' }]);
  });

  it('ignores a truncated last record with a warning', async () => {
    const bytes = timeLogBinary(records);
    const { logs } = await openAll(syntheticTaskData({ TLG00001: bytes.subarray(0, bytes.length - 3) }));
    const rows = await collect(logs[0]!);
    expect(rows).toHaveLength(2);
    expect(logs[0]!.warnings.join(' ')).toMatch(/TLG00001\.BIN: the last \d+ bytes \(from byte \d+\) are an incomplete record/);
  });

  it('fails a log whose DLV index is out of range, naming the file and byte offset', async () => {
    const bad: SyntheticRecord[] = [records[0]!, { ms: 36_001_000, days: JUNE_1, north: 52, east: 7, values: [[9, 1]] }];
    const { logs } = await openAll(syntheticTaskData({ TLG00001: records, TLG00002: bad }));
    expect(await collect(logs[0]!)).toHaveLength(3);
    const error = await failure(collect(logs[1]!));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/TASKDATA\/TLG00002\.BIN is corrupt at byte 60 \(record 2\): DLV index 9 is out of range/);
  });

  it('drops points with absurd coordinates with a warning, and fails a log where all are absurd', async () => {
    const absurd: SyntheticRecord[] = [{ ms: 1000, days: JUNE_1, north: 95, east: 7 }, { ms: 2000, days: JUNE_1, north: 52, east: 7 }];
    const allAbsurd: SyntheticRecord[] = [{ ms: 1000, days: JUNE_1, north: 52, east: 190 }];
    const { logs } = await openAll(syntheticTaskData({ TLG00001: absurd, TLG00002: allAbsurd }));
    expect(await collect(logs[0]!)).toHaveLength(1);
    expect(logs[0]!.warnings.join(' ')).toContain('1 records with coordinates outside');
    const error = await failure(collect(logs[1]!));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toContain('all 1 positioned records have coordinates outside');
  });

  it('reports a missing binary as missing_file naming it, while the other tasks still read', async () => {
    const files = fileSetFromMemory({
      'TASKDATA.XML': taskDataXml(['TLG00001', 'TLG00002']),
      'TLG00001.XML': timeLogHeaderXml(),
      'TLG00001.BIN': timeLogBinary(records),
      'TLG00002.XML': timeLogHeaderXml(),
    });
    const { logs } = await openAll(files);
    expect(await collect(logs[0]!)).toHaveLength(3);
    const error = await failure(collect(logs[1]!));
    expect(error.code).toBe('missing_file');
    expect(error.message).toContain('TLG00002.BIN');
  });

  it('reports empty binaries as no_machine_data', async () => {
    const { logs } = await openAll(syntheticTaskData({ TLG00001: new Uint8Array(0) }));
    const error = await failure(collect(logs[0]!));
    expect(error.code).toBe('no_machine_data');
    expect(error.message).toContain('empty (0 bytes)');
  });

  it('merges external files (XFR) and refuses a TASKDATA.XML with an external entity', async () => {
    const main = taskDataXml(['TLG00001']).replace(/<DVC[\s\S]*<\/DVC>/, '<XFR A="DVC00000" B="1"/>');
    const device = '<XFC><DVC A="DVC1" B="Combine 9000" D="A00E84000CC00000"><DET A="DET-1" B="1" C="1" D="Combine" E="0" F="0"/></DVC></XFC>';
    const files = fileSetFromMemory({ 'TASKDATA.XML': main, 'dvc00000.xml': device, 'TLG00001.XML': timeLogHeaderXml(), 'TLG00001.BIN': timeLogBinary(records) });
    expect((await openAll(files)).logs[0]!.machinery).toEqual([{ name: 'Combine 9000', type: 'machine' }]);

    const xxe = '<?xml version="1.0"?><!DOCTYPE ISO11783_TaskData [<!ENTITY e SYSTEM "file:///etc/hostname">]><ISO11783_TaskData><CTR A="CTR1" B="&e;"/></ISO11783_TaskData>';
    const error = await failure(openAll(fileSetFromMemory({ 'TASKDATA.XML': xxe })));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toContain('DOCTYPE');
  });
});
