/**
 * The bytes of a sandbox machine file, made in code from a few numbers so the same file is the same
 * bytes on every call and nothing needs storing: a zipped ISOXML TASKDATA set (ISO 11783-10, one
 * binary time log) or a zipped point shapefile (ESRI shapefile technical description, 1998). Both
 * record a machine driving a serpentine over the field. Zips are stored, not deflated, so a file's
 * size is known without building it.
 */
import zlib from 'node:zlib';
import type { EmulatedOperationKind } from '../providers/provider-emulator.js';

/** What a file is made from; equal specs give equal bytes. */
export interface MachineFileSpec {
  format: 'isoxml' | 'shapefile';
  operation: EmulatedOperationKind;
  /** Logged positions, one a second. */
  points: number;
  /** Centre of the field, degrees. */
  lat: number;
  lon: number;
  /** Epoch ms of the first record. */
  start: number;
  /** The value logged (yield, rate, depth), before a small per-point variation. */
  rate: number;
  taskName: string;
}

/** DDIs of ISO 11783-11 for the value each operation logs. */
const ISOXML_VALUE_DDI: Record<EmulatedOperationKind, string> = {
  harvest: '0054', // Actual Mass Per Area Yield, mg/m²
  seeding: '000C', // Actual Count Per Area Application Rate, seeds/m²
  application: '0007', // Actual Mass Per Area Application Rate, mg/m²
  tillage: '0043', // Actual Working Width, mm
};

const DBF_VALUE_FIELD: Record<EmulatedOperationKind, string> = { harvest: 'YLD_KG_HA', seeding: 'SEED_HA', application: 'RATE_KG_HA', tillage: 'WIDTH_M' };

const DAY_MS = 86_400_000;
const EPOCH_1980 = Date.UTC(1980, 0, 1);
/** [I] The zip entries' modification time: fixed, so bytes never depend on the clock. */
const DOS_TIME = 0;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;

/** The file's bytes. */
export function machineFileBytes(spec: MachineFileSpec): Uint8Array {
  return writeStoredZip(entriesOf(spec));
}

/** `machineFileBytes(spec).length`, without building the bytes. */
export function machineFileSize(spec: MachineFileSpec): number {
  const sizes = spec.format === 'isoxml' ? isoxmlEntrySizes(spec) : shapefileEntrySizes(spec);
  let total = 22;
  for (const [name, size] of sizes) total += 30 + Buffer.byteLength(name) + size + 46 + Buffer.byteLength(name);
  return total;
}

function entriesOf(spec: MachineFileSpec): [string, Uint8Array][] {
  return spec.format === 'isoxml' ? isoxmlEntries(spec) : shapefileEntries(spec);
}

/** Position and value of point `i`: passes 30 m apart, north then south, 2 m/s. */
function pointAt(spec: MachineFileSpec, i: number): { lat: number; lon: number; value: number; time: number } {
  const perPass = 100;
  const pass = Math.floor(i / perPass);
  const along = i % perPass;
  const northing = (pass % 2 === 0 ? along : perPass - 1 - along) * 2 - perPass;
  const easting = pass * 30 - 150;
  const lat = spec.lat + northing / 111_320;
  const lon = spec.lon + easting / (111_320 * Math.cos((spec.lat * Math.PI) / 180));
  // A smooth deterministic wobble, so maps of the value are not flat.
  const value = spec.rate * (1 + 0.1 * Math.sin(i / 7) + 0.05 * Math.cos(pass));
  return { lat, lon, value, time: spec.start + i * 1000 };
}

// --- ISOXML -------------------------------------------------------------------------------------

const ISOXML_RECORD_SIZE = 4 + 2 + 4 + 4 + 1 + 1 + 5 * 2;

function isoxmlTexts(spec: MachineFileSpec): { taskData: string; header: string } {
  const ddi = ISOXML_VALUE_DDI[spec.operation];
  const taskData = `<?xml version="1.0" encoding="UTF-8"?>
<ISO11783_TaskData VersionMajor="4" VersionMinor="2" ManagementSoftwareManufacturer="Furrow sandbox" ManagementSoftwareVersion="1" DataTransferOrigin="2">
  <DVC A="DVC-1" B="${spec.operation === 'harvest' ? 'Combine' : spec.operation === 'seeding' ? 'Planter' : spec.operation === 'application' ? 'Sprayer' : 'Cultivator'}" D="A00E84000DE00007" E="0001" F="1234567890">
    <DET A="DET-1" B="1" C="1" D="Machine" E="0" F="0"/>
  </DVC>
  <PFD A="PFD1" C="${escapeXml(spec.taskName)}" D="100000"/>
  <TSK A="TSK1" B="${escapeXml(spec.taskName)}" E="PFD1" G="4">
    <TLG A="TLG00001"/>
  </TSK>
</ISO11783_TaskData>
`;
  const header = `<?xml version="1.0" encoding="UTF-8"?>
<TIM A="" D="4">
  <PTN A="" B="" D=""/>
  <DLV A="${ddi}" B="" C="DET-1"/>
  <DLV A="008D" B="" C="DET-1"/>
</TIM>
`;
  return { taskData, header };
}

function isoxmlEntrySizes(spec: MachineFileSpec): [string, number][] {
  const { taskData, header } = isoxmlTexts(spec);
  return [
    ['TASKDATA/TASKDATA.XML', Buffer.byteLength(taskData)],
    ['TASKDATA/TLG00001.XML', Buffer.byteLength(header)],
    ['TASKDATA/TLG00001.BIN', spec.points * ISOXML_RECORD_SIZE],
  ];
}

function isoxmlEntries(spec: MachineFileSpec): [string, Uint8Array][] {
  const { taskData, header } = isoxmlTexts(spec);
  // ISO 11783-10 annex D: ms since midnight (u32), days since 1980 (u16), lat and lon (i32, 1e-7°),
  // PTN status (u8), DLV count (u8), then per DLV its index (u8) and value (i32).
  const bin = Buffer.alloc(spec.points * ISOXML_RECORD_SIZE);
  const scale = spec.operation === 'harvest' || spec.operation === 'application' ? 100 : spec.operation === 'tillage' ? 1000 : 1 / 10_000;
  for (let i = 0; i < spec.points; i++) {
    const p = pointAt(spec, i);
    const o = i * ISOXML_RECORD_SIZE;
    bin.writeUInt32LE((p.time - EPOCH_1980) % DAY_MS, o);
    bin.writeUInt16LE(Math.floor((p.time - EPOCH_1980) / DAY_MS), o + 4);
    bin.writeInt32LE(Math.round(p.lat * 1e7), o + 6);
    bin.writeInt32LE(Math.round(p.lon * 1e7), o + 10);
    bin.writeUInt8(1, o + 14);
    bin.writeUInt8(2, o + 15);
    bin.writeUInt8(0, o + 16);
    bin.writeInt32LE(Math.round(p.value * scale), o + 17);
    bin.writeUInt8(1, o + 21);
    bin.writeInt32LE(1, o + 22); // actual work state: on
  }
  return [
    ['TASKDATA/TASKDATA.XML', new Uint8Array(Buffer.from(taskData))],
    ['TASKDATA/TLG00001.XML', new Uint8Array(Buffer.from(header))],
    ['TASKDATA/TLG00001.BIN', new Uint8Array(bin)],
  ];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// --- Shapefile ----------------------------------------------------------------------------------

const WGS84_PRJ =
  'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';
/** dBASE fields: the value (N 12.3) and the ISO-8601 time (C 24). */
const DBF_FIELDS = [
  { type: 'N', length: 12, decimals: 3 },
  { type: 'C', length: 24, decimals: 0 },
] as const;
const DBF_RECORD_SIZE = 1 + DBF_FIELDS.reduce((sum, f) => sum + f.length, 0);
const DBF_HEADER_SIZE = 32 + 32 * DBF_FIELDS.length + 1;

function shapefileEntrySizes(spec: MachineFileSpec): [string, number][] {
  const base = baseName(spec);
  return [
    [`${base}.shp`, 100 + spec.points * 28],
    [`${base}.shx`, 100 + spec.points * 8],
    [`${base}.dbf`, DBF_HEADER_SIZE + spec.points * DBF_RECORD_SIZE + 1],
    [`${base}.prj`, WGS84_PRJ.length],
  ];
}

function baseName(spec: MachineFileSpec): string {
  return spec.operation === 'harvest' ? 'yield' : spec.operation === 'seeding' ? 'planting' : spec.operation === 'application' ? 'as_applied' : 'tillage';
}

function shapefileEntries(spec: MachineFileSpec): [string, Uint8Array][] {
  const n = spec.points;
  const points = Array.from({ length: n }, (_, i) => pointAt(spec, i));
  const box = points.reduce((b, p) => [Math.min(b[0]!, p.lon), Math.min(b[1]!, p.lat), Math.max(b[2]!, p.lon), Math.max(b[3]!, p.lat)], [Infinity, Infinity, -Infinity, -Infinity]);
  const header = (fileBytes: number) => {
    const h = Buffer.alloc(100);
    h.writeInt32BE(9994, 0);
    h.writeInt32BE(fileBytes / 2, 24); // file length in 16-bit words
    h.writeInt32LE(1000, 28);
    h.writeInt32LE(1, 32); // shape type: Point
    h.writeDoubleLE(box[0]!, 36);
    h.writeDoubleLE(box[1]!, 44);
    h.writeDoubleLE(box[2]!, 52);
    h.writeDoubleLE(box[3]!, 60);
    return h;
  };
  const shp = Buffer.alloc(100 + n * 28);
  const shx = Buffer.alloc(100 + n * 8);
  header(shp.length).copy(shp);
  header(shx.length).copy(shx);
  points.forEach((p, i) => {
    const o = 100 + i * 28;
    shp.writeInt32BE(i + 1, o);
    shp.writeInt32BE(10, o + 4); // content length in words: type + x + y
    shp.writeInt32LE(1, o + 8);
    shp.writeDoubleLE(p.lon, o + 12);
    shp.writeDoubleLE(p.lat, o + 20);
    shx.writeInt32BE(o / 2, 100 + i * 8);
    shx.writeInt32BE(10, 100 + i * 8 + 4);
  });

  const dbf = Buffer.alloc(DBF_HEADER_SIZE + n * DBF_RECORD_SIZE + 1, 0x20);
  dbf.fill(0, 0, DBF_HEADER_SIZE);
  dbf.writeUInt8(0x03, 0);
  dbf.writeUInt8(124, 1); // 2024-01-01
  dbf.writeUInt8(1, 2);
  dbf.writeUInt8(1, 3);
  dbf.writeUInt32LE(n, 4);
  dbf.writeUInt16LE(DBF_HEADER_SIZE, 8);
  dbf.writeUInt16LE(DBF_RECORD_SIZE, 10);
  const names = [DBF_VALUE_FIELD[spec.operation], 'TIME'];
  DBF_FIELDS.forEach((field, f) => {
    const o = 32 + f * 32;
    dbf.write(names[f]!, o, 'latin1');
    dbf.write(field.type, o + 11, 'latin1');
    dbf.writeUInt8(field.length, o + 16);
    dbf.writeUInt8(field.decimals, o + 17);
  });
  dbf.writeUInt8(0x0d, DBF_HEADER_SIZE - 1);
  points.forEach((p, i) => {
    const o = DBF_HEADER_SIZE + i * DBF_RECORD_SIZE;
    dbf.write(' ', o, 'latin1'); // not deleted
    dbf.write(p.value.toFixed(3).padStart(12).slice(-12), o + 1, 'latin1');
    dbf.write(new Date(p.time).toISOString().padEnd(24), o + 13, 'latin1');
  });
  dbf.writeUInt8(0x1a, dbf.length - 1);

  const base = baseName(spec);
  return [
    [`${base}.shp`, new Uint8Array(shp)],
    [`${base}.shx`, new Uint8Array(shx)],
    [`${base}.dbf`, new Uint8Array(dbf)],
    [`${base}.prj`, new Uint8Array(Buffer.from(WGS84_PRJ, 'latin1'))],
  ];
}

// --- Zip ----------------------------------------------------------------------------------------

/** A zip of stored entries (APPNOTE 6.3.10 sections 4.3.7, 4.3.12, 4.3.16). */
function writeStoredZip(entries: [string, Uint8Array][]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, end]));
}
