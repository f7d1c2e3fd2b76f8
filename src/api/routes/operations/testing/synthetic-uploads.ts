/**
 * Small machine-file uploads built in code for the Operations routes' tests: an ISOXML harvest
 * task with one binary time log (ISO 11783-10 annex D record layout), zipped; a corrupt zip; a
 * zip bomb. Nothing copied from the corpus.
 */

import { writeZip } from '../../../../formats/archive/testing/write-zip.js';

const DAY_MS = 86_400_000;
const EPOCH_1980 = Date.UTC(1980, 0, 1);

export interface HarvestLogOptions {
  /** Records, one per second from `start`. */
  points?: number;
  start?: Date;
  /** Mass per area yield, kg/ha (logged as DDI 0x0054 in mg/m²). */
  yieldKgHa?: number;
  /** Origin of the pass, degrees. */
  lat?: number;
  lon?: number;
  taskName?: string;
}

/** TASKDATA.XML, TLG00001.XML and TLG00001.BIN of a combine harvesting a straight pass. */
export function harvestTaskData(options: HarvestLogOptions = {}): Record<string, Uint8Array | string> {
  const points = options.points ?? 60;
  const start = options.start ?? new Date('2024-09-20T14:00:00Z');
  const yieldMgM2 = Math.round((options.yieldKgHa ?? 9000) * 100);
  const lat0 = options.lat ?? 41.85;
  const lon0 = options.lon ?? -93.82;
  const taskData = `<?xml version="1.0" encoding="UTF-8"?>
<ISO11783_TaskData VersionMajor="4" VersionMinor="2" ManagementSoftwareManufacturer="Furrow tests" ManagementSoftwareVersion="1" DataTransferOrigin="2">
  <CTP A="CTP1" B="corn"/>
  <DVC A="DVC-1" B="Combine" D="A00E84000DE00007" E="0001" F="1234567890">
    <DET A="DET-1" B="1" C="1" D="Combine" E="0" F="0"/>
  </DVC>
  <PFD A="PFD1" C="North field" D="100000" G="CTP1"/>
  <TSK A="TSK1" B="${options.taskName ?? 'Harvest north'}" E="PFD1" G="4">
    <TLG A="TLG00001"/>
  </TSK>
</ISO11783_TaskData>
`;
  const header = `<?xml version="1.0" encoding="UTF-8"?>
<TIM A="" D="4">
  <PTN A="" B="" D=""/>
  <DLV A="0054" B="" C="DET-1"/>
  <DLV A="0063" B="" C="DET-1"/>
  <DLV A="0043" B="" C="DET-1"/>
  <DLV A="008D" B="" C="DET-1"/>
</TIM>
`;
  // Per record: ms since midnight (u32), days since 1980 (u16), lat (i32, 1e-7°), lon (i32),
  // status (u8), DLV count (u8), then per DLV its index (u8) and value (i32).
  const recordSize = 4 + 2 + 4 + 4 + 1 + 1 + 4 * 5;
  const bin = Buffer.alloc(points * recordSize);
  for (let i = 0; i < points; i++) {
    const t = start.getTime() + i * 1000;
    const o = i * recordSize;
    bin.writeUInt32LE((t - EPOCH_1980) % DAY_MS, o);
    bin.writeUInt16LE(Math.floor((t - EPOCH_1980) / DAY_MS), o + 4);
    bin.writeInt32LE(Math.round((lat0 + i * 0.00002) * 1e7), o + 6);
    bin.writeInt32LE(Math.round(lon0 * 1e7), o + 10);
    bin.writeUInt8(1, o + 14);
    bin.writeUInt8(4, o + 15);
    bin.writeUInt8(0, o + 16);
    bin.writeInt32LE(yieldMgM2, o + 17);
    bin.writeUInt8(1, o + 21);
    bin.writeInt32LE(180_000, o + 22); // 18 % moisture, ppm
    bin.writeUInt8(2, o + 26);
    bin.writeInt32LE(9_144, o + 27); // 9.144 m (30 ft) working width, mm
    bin.writeUInt8(3, o + 31);
    bin.writeInt32LE(1, o + 32); // actual work state: on
  }
  return { 'TASKDATA/TASKDATA.XML': taskData, 'TASKDATA/TLG00001.XML': header, 'TASKDATA/TLG00001.BIN': new Uint8Array(bin) };
}

/** A zip of the given files (deflated). */
export function zipOf(files: Record<string, Uint8Array | string>): Uint8Array {
  return writeZip(Object.entries(files).map(([name, data]) => ({ name, data })));
}

/** Bytes that start like a zip and are not one. */
export function corruptZip(): Uint8Array {
  const bytes = Buffer.alloc(4096, 0x5a);
  bytes.write('PK\u0003\u0004', 0, 'latin1');
  return new Uint8Array(bytes);
}

/**
 * A harvest task whose binary log inflates to `megabytes` MB of zeros from a ~1000x smaller
 * entry: the archive's ratio limit must stop it while the log is being read.
 */
export function zipBomb(megabytes = 64): Uint8Array {
  const files = harvestTaskData();
  files['TASKDATA/TLG00001.BIN'] = new Uint8Array(megabytes * 2 ** 20);
  return zipOf(files);
}

/** A multipart/form-data body with one file field. */
export function multipartBody(field: string, fileName: string, bytes: Uint8Array): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----furrow${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/zip\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, Buffer.from(bytes), tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

