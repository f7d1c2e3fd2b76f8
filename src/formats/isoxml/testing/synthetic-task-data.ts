/**
 * Small ISOXML task data sets built in code for tests: a TASKDATA.XML with one harvesting task and
 * binary time logs written record by record (ISO 11783-10 annex D layout).
 */
import type { FileSet } from '../../machine-data.js';
import { fileSetFromMemory } from '../../testing/file-sets.js';

export interface SyntheticRecord {
  /** ms since midnight and days since 1980-01-01 from the terminal's clock. */
  readonly ms: number;
  readonly days: number;
  readonly north: number;
  readonly east: number;
  readonly up?: number;
  readonly gpsMs?: number;
  readonly gpsDays?: number;
  /** [DLV index, raw value] pairs. */
  readonly values?: readonly (readonly [number, number])[];
}

export interface SyntheticOptions {
  /** Whether records carry GPS UTC time and date (PTN H, I). */
  readonly gpsTime?: boolean;
  /** DDIs of the header's DLVs, in index order (all on DET-1). */
  readonly ddis?: readonly number[];
}

const DEFAULT_DDIS = [0x0054, 0x0063, 0x0043, 0x008d];

/** The TLG header XML. */
export function timeLogHeaderXml(options: SyntheticOptions = {}): string {
  const ddis = options.ddis ?? DEFAULT_DDIS;
  const ptn = options.gpsTime === true ? '<PTN A="" B="" C="" D="" H="" I=""/>' : '<PTN A="" B="" C="" D=""/>';
  const dlvs = ddis.map((ddi) => `<DLV A="${ddi.toString(16).toUpperCase().padStart(4, '0')}" B="" C="DET-1"/>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><TIM A="" D="4">${ptn}${dlvs}</TIM>`;
}

/** The binary records. */
export function timeLogBinary(records: readonly SyntheticRecord[], options: SyntheticOptions = {}): Uint8Array {
  const gps = options.gpsTime === true;
  const size = records.reduce((sum, r) => sum + 6 + 13 + (gps ? 6 : 0) + 1 + 5 * (r.values?.length ?? 0), 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let p = 0;
  for (const r of records) {
    view.setUint32(p, r.ms, true);
    view.setUint16(p + 4, r.days, true);
    view.setInt32(p + 6, Math.round(r.north * 1e7), true);
    view.setInt32(p + 10, Math.round(r.east * 1e7), true);
    view.setInt32(p + 14, r.up ?? 0, true);
    bytes[p + 18] = 4;
    p += 19;
    if (gps) {
      view.setUint32(p, r.gpsMs ?? 0xffffffff, true);
      view.setUint16(p + 4, r.gpsDays ?? 0xffff, true);
      p += 6;
    }
    const values = r.values ?? [];
    bytes[p++] = values.length;
    for (const [index, value] of values) {
      bytes[p] = index;
      view.setInt32(p + 1, value, true);
      p += 5;
    }
  }
  return bytes;
}

/** TASKDATA.XML with a combine (device class 7), a partfield with a hole, crop "Wheat", and one task per time log. */
export function taskDataXml(timeLogs: readonly string[]): string {
  const tasks = timeLogs.map((name, i) => `<TSK A="TSK${i + 1}" B="Harvest ${i + 1}" C="CTR1" D="FRM1" E="PFD1" G="4"><DAN A="A00E84000CC00000" C="DVC1"/><TLG A="${name}" C="1"/></TSK>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<ISO11783_TaskData VersionMajor="4" VersionMinor="3" DataTransferOrigin="1">
<CTR A="CTR1" B="Grower" C="Grace"/><FRM A="FRM1" B="Home Farm" I="CTR1"/>
<CTP A="CTP1" B="Wheat"><CVT A="CVT1" B="Skyfall"/></CTP>
<PFD A="PFD1" C="North &amp; South" D="10000" E="CTR1" F="FRM1" G="CTP1" H="CVT1">
<PLN A="1"><LSG A="1"><PNT A="2" C="52.0" D="7.0"/><PNT A="2" C="52.0" D="7.01"/><PNT A="2" C="52.01" D="7.01"/><PNT A="2" C="52.01" D="7.0"/></LSG>
<LSG A="2"><PNT A="2" C="52.004" D="7.004"/><PNT A="2" C="52.004" D="7.006"/><PNT A="2" C="52.006" D="7.006"/></LSG></PLN></PFD>
<DVC A="DVC1" B="Combine 9000" D="A00E84000CC00000" E="SN123"><DET A="DET-1" B="1" C="1" D="Combine" E="0" F="0"/></DVC>
${tasks}
</ISO11783_TaskData>`;
}

/** A set with one task per time log, all sharing the header options. */
export function syntheticTaskData(logs: Record<string, readonly SyntheticRecord[] | Uint8Array>, options: SyntheticOptions = {}): FileSet {
  const files: Record<string, Uint8Array | string> = { 'TASKDATA/TASKDATA.XML': taskDataXml(Object.keys(logs)) };
  for (const [name, records] of Object.entries(logs)) {
    files[`TASKDATA/${name}.XML`] = timeLogHeaderXml(options);
    files[`TASKDATA/${name}.BIN`] = records instanceof Uint8Array ? records : timeLogBinary(records, options);
  }
  return fileSetFromMemory(files);
}
