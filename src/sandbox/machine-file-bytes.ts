/**
 * The bytes of a sandbox machine file, made in code from a few numbers so the same file is the same
 * bytes on every call and nothing needs storing. Both kinds look like real exports the readers
 * already handle: a zipped ISOXML TASKDATA set (ISO 11783-10, one binary time log, DDIs of the
 * ISO 11783-11 data dictionary, the crop in the partfield's CTP and an applied product in a PDT)
 * or a zipped point shapefile with John Deere Operations Center column names and imperial units
 * (`VRYIELDVOL`, `WetMass`, `Moisture`, `VRSEEDRATE`, `AppliedRate`, `IsoTime`, `Crop`, ...).
 * Both record a machine driving passes over the field at its working width. Zips are stored, not
 * deflated, so a file's size is known without building it.
 */
import zlib from 'node:zlib';
import type { EmulatedOperationKind } from '../providers/provider-emulator.js';

/** The crops sandbox fields grow: a corn-soybean rotation, as in central Iowa. */
export type SandboxCrop = 'corn' | 'soybeans';

/**
 * Test weight (lb/bu) and standard moisture (%) of Leaf's crops table (research/leaf-api.md 7.5),
 * which shapefile exports use for their dry bushels; the display's name for the crop.
 */
export const SANDBOX_CROPS: Record<SandboxCrop, { poundsPerBushel: number; standardMoisture: number; display: string; isoxml: string }> = {
  corn: { poundsPerBushel: 56, standardMoisture: 15, display: 'CORN', isoxml: 'Corn' },
  soybeans: { poundsPerBushel: 60, standardMoisture: 13, display: 'SOYBEANS', isoxml: 'Soybeans' },
};

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
  /**
   * The operation's value before a small per-point variation: harvest wet mass yield (kg/ha),
   * seeding rate (seeds/ha), application rate (L/ha), tillage depth (cm).
   */
  rate: number;
  /** The field's crop this season. */
  crop: SandboxCrop;
  /** Harvest grain moisture (%); ignored by other operations. */
  moisture: number;
  /** The seeded variety or the applied product; ignored by harvest and tillage. */
  product: string;
  fieldName: string;
  taskName: string;
}

/** [I] Typical ground speed (m/s) and working width (m) per operation: a 30 ft head, 16 rows at 30 in, a 60 ft boom, a 30 ft disk. */
export const SANDBOX_MACHINES: Record<EmulatedOperationKind, { speed: number; width: number; device: string; deviceClass: number }> = {
  harvest: { speed: 2, width: 9.144, device: 'Combine', deviceClass: 7 },
  seeding: { speed: 2.5, width: 12.192, device: 'Planter', deviceClass: 4 },
  application: { speed: 4.5, width: 18.288, device: 'Sprayer', deviceClass: 6 },
  tillage: { speed: 3, width: 9.144, device: 'Disk', deviceClass: 3 },
};

/** Length of a pass: fields are 300-450 m across, so passes stay inside them. */
const PASS_METRES = 200;
/** [I] Ground elevation of the sandbox's fields, central Iowa. */
const ELEVATION_M = 290;
const DAY_MS = 86_400_000;
const EPOCH_1980 = Date.UTC(1980, 0, 1);
const KG_HA_TO_LB_AC = 0.892_179_122;
const PER_HA_TO_PER_AC = 0.404_685_642;
const L_HA_TO_GAL_AC = 0.106_907_196;
const M_TO_FT = 1 / 0.3048;
const M_S_TO_MPH = 3600 / 1609.344;

/** The file's bytes. */
export function machineFileBytes(spec: MachineFileSpec): Uint8Array {
  return writeStoredZip(entriesOf(spec), spec.start);
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

interface LoggedPoint {
  lat: number;
  lon: number;
  /** Metres above sea level. */
  elevation: number;
  /** Degrees from north. */
  heading: number;
  /** `spec.rate` varied. */
  value: number;
  /** `spec.moisture` varied. */
  moisture: number;
  time: number;
}

/** Point `i`: passes `width` apart, centred on the field, north then south at the operation's speed. */
function pointAt(spec: MachineFileSpec, i: number): LoggedPoint {
  const { speed, width } = SANDBOX_MACHINES[spec.operation];
  const perPass = Math.max(1, Math.floor(PASS_METRES / speed));
  const passes = Math.ceil(spec.points / perPass);
  const pass = Math.floor(i / perPass);
  const along = i % perPass;
  const northbound = pass % 2 === 0;
  const northing = (northbound ? along : perPass - 1 - along) * speed - PASS_METRES / 2;
  const easting = (pass - (passes - 1) / 2) * width;
  const lat = spec.lat + northing / 111_320;
  const lon = spec.lon + easting / (111_320 * Math.cos((spec.lat * Math.PI) / 180));
  // Smooth deterministic wobbles, so maps are not flat; both average out to the spec's values.
  const value = spec.rate * (1 + 0.1 * Math.sin(i / 7) + 0.05 * Math.cos(pass));
  const moisture = spec.moisture * (1 + 0.05 * Math.sin(i / 11));
  const elevation = ELEVATION_M + 3 * Math.sin(northing / 60) + easting / 50;
  return { lat, lon, elevation, heading: northbound ? 0 : 180, value, moisture, time: spec.start + i * 1000 };
}

// --- ISOXML -------------------------------------------------------------------------------------

interface Dlv {
  ddi: number;
  raw: (p: LoggedPoint, spec: MachineFileSpec) => number;
}

/**
 * What each operation logs, by ISO 11783-11 DDI, raw values in the dictionary's units and
 * resolutions: mg/m² (0054), ppm (0063), 0.001 seeds/m² (000B, 000C), 0.01 mm³/m² (0001, 0002),
 * mm (0033, 0034, 0043), mm/s (018D); 008D is the actual work state, 1 = on.
 */
const COMMON_DLVS: readonly Dlv[] = [
  { ddi: 0x0043, raw: (_p, s) => Math.round(SANDBOX_MACHINES[s.operation].width * 1000) },
  { ddi: 0x018d, raw: (_p, s) => Math.round(SANDBOX_MACHINES[s.operation].speed * 1000) },
  { ddi: 0x008d, raw: () => 1 },
];
const ISOXML_DLVS: Record<EmulatedOperationKind, readonly Dlv[]> = {
  harvest: [
    { ddi: 0x0054, raw: (p) => Math.round(p.value * 100) }, // kg/ha -> mg/m²
    { ddi: 0x0063, raw: (p) => Math.round(p.moisture * 10_000) }, // % -> ppm
    ...COMMON_DLVS,
  ],
  seeding: [
    { ddi: 0x000c, raw: (p) => Math.round(p.value / 10) }, // seeds/ha -> 0.001 seeds/m²
    { ddi: 0x000b, raw: (_p, s) => Math.round(s.rate / 10) },
    ...COMMON_DLVS,
  ],
  application: [
    { ddi: 0x0002, raw: (p) => Math.round(p.value * 10_000) }, // L/ha -> 0.01 mm³/m²
    { ddi: 0x0001, raw: (_p, s) => Math.round(s.rate * 10_000) },
    ...COMMON_DLVS,
  ],
  tillage: [
    { ddi: 0x0034, raw: (p) => Math.round(p.value * 10) }, // cm -> mm
    { ddi: 0x0033, raw: (_p, s) => Math.round(s.rate * 10) },
    ...COMMON_DLVS,
  ],
};

/**
 * ISO 11783-10 annex D: time (u32 ms), date (u16 days), then the PTN's binary attributes in order
 * (north, east, up as i32, status u8, GPS UTC time u32 and date u16), DLV count (u8), 5 bytes per DLV.
 */
function isoxmlRecordSize(spec: MachineFileSpec): number {
  return 4 + 2 + 4 + 4 + 4 + 1 + 4 + 2 + 1 + 5 * ISOXML_DLVS[spec.operation].length;
}

/** An ISO 11783-5 NAME with the operation's device class (bits 49-55), self-configurable, agricultural industry group. */
function deviceName(operation: EmulatedOperationKind): string {
  const deviceClass = SANDBOX_MACHINES[operation].deviceClass;
  return `A0${(deviceClass << 1).toString(16).padStart(2, '0').toUpperCase()}84000DE00007`;
}

function isoxmlTexts(spec: MachineFileSpec): { taskData: string; header: string } {
  const crop = SANDBOX_CROPS[spec.crop];
  const machine = SANDBOX_MACHINES[spec.operation];
  const variety = spec.operation === 'seeding' ? `<CVT A="CVT1" B="${escapeXml(spec.product)}"/>` : '';
  const product = spec.operation === 'application' ? `\n  <PDT A="PDT1" B="${escapeXml(spec.product)}" F="1"/>` : '';
  const allocation = spec.operation === 'application' ? `\n    <PAN A="PDT1"/>` : '';
  const taskData = `<?xml version="1.0" encoding="UTF-8"?>
<ISO11783_TaskData VersionMajor="4" VersionMinor="2" ManagementSoftwareManufacturer="Furrow sandbox" ManagementSoftwareVersion="1" DataTransferOrigin="2">
  <CTP A="CTP1" B="${crop.isoxml}">${variety}</CTP>${product}
  <DVC A="DVC-1" B="${machine.device}" D="${deviceName(spec.operation)}" E="0001" F="1234567890">
    <DET A="DET-1" B="1" C="1" D="${machine.device}" E="0" F="0"/>
  </DVC>
  <PFD A="PFD1" C="${escapeXml(spec.fieldName)}" D="100000" G="CTP1"${variety === '' ? '' : ' H="CVT1"'}/>
  <TSK A="TSK1" B="${escapeXml(spec.taskName)}" E="PFD1" G="4">${allocation}
    <TLG A="TLG00001"/>
  </TSK>
</ISO11783_TaskData>
`;
  const dlvs = ISOXML_DLVS[spec.operation].map((dlv) => `  <DLV A="${dlv.ddi.toString(16).toUpperCase().padStart(4, '0')}" B="" C="DET-1"/>\n`).join('');
  const header = `<?xml version="1.0" encoding="UTF-8"?>
<TIM A="" D="4">
  <PTN A="" B="" C="" D="" H="" I=""/>
${dlvs}</TIM>
`;
  return { taskData, header };
}

function isoxmlEntrySizes(spec: MachineFileSpec): [string, number][] {
  const { taskData, header } = isoxmlTexts(spec);
  return [
    ['TASKDATA/TASKDATA.XML', Buffer.byteLength(taskData)],
    ['TASKDATA/TLG00001.XML', Buffer.byteLength(header)],
    ['TASKDATA/TLG00001.BIN', spec.points * isoxmlRecordSize(spec)],
  ];
}

function isoxmlEntries(spec: MachineFileSpec): [string, Uint8Array][] {
  const { taskData, header } = isoxmlTexts(spec);
  const dlvs = ISOXML_DLVS[spec.operation];
  const size = isoxmlRecordSize(spec);
  const bin = Buffer.alloc(spec.points * size);
  for (let i = 0; i < spec.points; i++) {
    const p = pointAt(spec, i);
    let o = i * size;
    bin.writeUInt32LE((p.time - EPOCH_1980) % DAY_MS, o);
    bin.writeUInt16LE(Math.floor((p.time - EPOCH_1980) / DAY_MS), o + 4);
    bin.writeInt32LE(Math.round(p.lat * 1e7), o + 6);
    bin.writeInt32LE(Math.round(p.lon * 1e7), o + 10);
    bin.writeInt32LE(Math.round(p.elevation * 1000), o + 14); // mm
    bin.writeUInt8(1, o + 18); // GNSS fix
    bin.writeUInt32LE((p.time - EPOCH_1980) % DAY_MS, o + 19); // the receiver's UTC: the terminal keeps UTC too
    bin.writeUInt16LE(Math.floor((p.time - EPOCH_1980) / DAY_MS), o + 23);
    bin.writeUInt8(dlvs.length, o + 25);
    o += 26;
    dlvs.forEach((dlv, index) => {
      bin.writeUInt8(index, o);
      bin.writeInt32LE(dlv.raw(p, spec), o + 1);
      o += 5;
    });
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

interface DbfColumn {
  name: string;
  type: 'N' | 'C';
  length: number;
  decimals: number;
  value: (p: LoggedPoint, spec: MachineFileSpec) => number | string;
}

const num = (name: string, length: number, decimals: number, value: DbfColumn['value']): DbfColumn => ({ name, type: 'N', length, decimals, value });
const text = (name: string, length: number, value: DbfColumn['value']): DbfColumn => ({ name, type: 'C', length, decimals: 0, value });

/** Columns every Operations Center export carries, in the account's imperial units. */
const COMMON_COLUMNS: readonly DbfColumn[] = [
  text('Field', 20, (_p, s) => s.fieldName),
  text('Crop', 12, (_p, s) => SANDBOX_CROPS[s.crop].display),
  text('IsoTime', 24, (p) => new Date(p.time).toISOString()),
  num('SWATHWIDTH', 8, 2, (_p, s) => SANDBOX_MACHINES[s.operation].width * M_TO_FT),
  num('DISTANCE', 8, 2, (_p, s) => SANDBOX_MACHINES[s.operation].speed * M_TO_FT),
  num('Speed', 6, 2, (_p, s) => SANDBOX_MACHINES[s.operation].speed * M_S_TO_MPH),
  num('Heading', 6, 1, (p) => p.heading),
  num('Elevation', 8, 1, (p) => p.elevation * M_TO_FT),
  num('SECTIONID', 4, 0, () => 1),
];

/**
 * Each operation's value columns. Harvest gives wet mass and dry bushels per acre (dry at the
 * crop's standard moisture); tillage has no depth column Operations Center is known to export,
 * so the sandbox's tillage files are ISOXML and a tillage shapefile (an export) carries no depth.
 */
const SHAPEFILE_COLUMNS: Record<EmulatedOperationKind, readonly DbfColumn[]> = {
  harvest: [
    num('VRYIELDVOL', 10, 2, (p, s) => dryBushelsPerAcre(p.value, p.moisture, s.crop)),
    num('WetMass', 10, 2, (p) => p.value * KG_HA_TO_LB_AC),
    num('Moisture', 6, 2, (p) => p.moisture),
    ...COMMON_COLUMNS,
  ],
  seeding: [
    num('VRSEEDRATE', 10, 1, (p) => p.value * PER_HA_TO_PER_AC),
    text('Product', 24, (_p, s) => s.product),
    text('Variety', 24, (_p, s) => s.product),
    ...COMMON_COLUMNS,
  ],
  application: [
    num('AppliedRate', 10, 2, (p) => p.value * L_HA_TO_GAL_AC),
    num('TargetRate', 10, 2, (_p, s) => s.rate * L_HA_TO_GAL_AC),
    text('Product', 24, (_p, s) => s.product),
    ...COMMON_COLUMNS,
  ],
  tillage: COMMON_COLUMNS,
};

/** Wet kg/ha at `moisture` % as dry bushels per acre at the crop's standard moisture. */
export function dryBushelsPerAcre(wetKgPerHa: number, moisture: number, crop: SandboxCrop): number {
  const { poundsPerBushel, standardMoisture } = SANDBOX_CROPS[crop];
  return (wetKgPerHa * KG_HA_TO_LB_AC * ((100 - moisture) / (100 - standardMoisture))) / poundsPerBushel;
}

function dbfLayout(spec: MachineFileSpec): { columns: readonly DbfColumn[]; headerSize: number; recordSize: number } {
  const columns = SHAPEFILE_COLUMNS[spec.operation];
  return { columns, headerSize: 32 + 32 * columns.length + 1, recordSize: 1 + columns.reduce((sum, c) => sum + c.length, 0) };
}

function shapefileEntrySizes(spec: MachineFileSpec): [string, number][] {
  const base = baseName(spec);
  const { headerSize, recordSize } = dbfLayout(spec);
  return [
    [`${base}.shp`, 100 + spec.points * 28],
    [`${base}.shx`, 100 + spec.points * 8],
    [`${base}.dbf`, headerSize + spec.points * recordSize + 1],
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

  const { columns, headerSize, recordSize } = dbfLayout(spec);
  const dbf = Buffer.alloc(headerSize + n * recordSize + 1, 0x20);
  dbf.fill(0, 0, headerSize);
  const written = new Date(spec.start);
  dbf.writeUInt8(0x03, 0);
  dbf.writeUInt8(written.getUTCFullYear() - 1900, 1); // last update: the day the file was logged
  dbf.writeUInt8(written.getUTCMonth() + 1, 2);
  dbf.writeUInt8(written.getUTCDate(), 3);
  dbf.writeUInt32LE(n, 4);
  dbf.writeUInt16LE(headerSize, 8);
  dbf.writeUInt16LE(recordSize, 10);
  columns.forEach((column, f) => {
    const o = 32 + f * 32;
    dbf.write(column.name, o, 'latin1');
    dbf.write(column.type, o + 11, 'latin1');
    dbf.writeUInt8(column.length, o + 16);
    dbf.writeUInt8(column.decimals, o + 17);
  });
  dbf.writeUInt8(0x0d, headerSize - 1);
  points.forEach((p, i) => {
    let o = headerSize + i * recordSize;
    dbf.write(' ', o, 'latin1'); // not deleted
    o += 1;
    for (const column of columns) {
      const value = column.value(p, spec);
      const cell = typeof value === 'number' ? value.toFixed(column.decimals).padStart(column.length).slice(-column.length) : value.slice(0, column.length).padEnd(column.length);
      dbf.write(cell, o, 'latin1');
      o += column.length;
    }
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

/** An MS-DOS date (APPNOTE 4.4.6): the file's own day, so the bytes never depend on the clock. */
function dosDate(epochMs: number): number {
  const date = new Date(epochMs);
  return ((Math.max(1980, date.getUTCFullYear()) - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
}

/** A zip of stored entries (APPNOTE 6.3.10 sections 4.3.7, 4.3.12, 4.3.16). */
function writeStoredZip(entries: [string, Uint8Array][], modified: number): Uint8Array {
  const date = dosDate(modified);
  const time = 0;
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
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
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
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
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
