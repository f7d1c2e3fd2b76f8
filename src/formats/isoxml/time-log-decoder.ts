/**
 * Decodes binary time-log records (ISO 11783-10 annex D) straight into columnar batches. A record
 * is: ms since midnight (uint32), days since 1980-01-01 (uint16), the PTN fields the header marks
 * binary, a DLV count (uint8), then count × (DLV index uint8, value int32), all little-endian. DLVs
 * are written only when they change, so each column carries its last value forward.
 */
import { MachineFileError } from '../machine-data.js';
import { ValueKind } from './ddi.js';
import type { TimeLogHeader } from './time-log-header.js';

const DAY_MS = 86_400_000;
const EPOCH_1980 = Date.UTC(1980, 0, 1);
/** Time zones are whole quarter hours; rounding the GPS-minus-terminal difference to one removes fix latency and leap seconds. */
const QUARTER_HOUR_MS = 900_000;

/** Reused output arrays; `length` counts the filled rows. */
export class BatchBuffers {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly time: Float64Array;
  readonly values: Float64Array[];
  length = 0;

  constructor(readonly capacity: number, columnCount: number) {
    this.lon = new Float64Array(capacity);
    this.lat = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.values = Array.from({ length: columnCount }, () => new Float64Array(capacity));
  }
}

/** How one time log's DLVs land in the log's columns. */
export interface ColumnMapping {
  /** Per DLV index: the column it fills, or -1. */
  readonly columnOfDlv: Int16Array;
  readonly factorOfDlv: Float64Array;
  readonly kindOfDlv: Uint8Array;
  /** Per column: a fixed value (a device property) used when no DLV fills it, else NaN. */
  readonly constants: Float64Array;
  /** Per column: 1 when it reports the increase of a running total. */
  readonly isDelta: Uint8Array;
  /** The column that takes PTN `up` (mm) as metres, or -1. */
  readonly elevationColumn: number;
}

/** Counts a decoder keeps for warnings and tests. */
export interface DecodeCounts {
  records: number;
  points: number;
  withoutPosition: number;
  outOfRange: number;
  terminalTimeOnly: number;
}

/**
 * Decodes one time log. `decode()` consumes whole records from a buffer until the batch is full
 * or the next record is incomplete, and returns where it stopped; the caller keeps the rest and
 * calls again with more bytes.
 */
export class TimeLogDecoder {
  readonly counts: DecodeCounts = { records: 0, points: 0, withoutPosition: 0, outOfRange: 0, terminalTimeOnly: 0 };
  private readonly current: Float64Array;
  private readonly lastTotal: Float64Array;
  private readonly emittedTotal: Float64Array;
  /** Per DLV index: its last value, for columns that sum several bins. */
  private readonly binValue: Float64Array;
  private readonly ptnBinary: Uint8Array;
  private readonly ptnFixed: Float64Array;
  private timeOffset = 0;

  constructor(
    private readonly header: TimeLogHeader,
    private readonly mapping: ColumnMapping,
    private readonly batch: BatchBuffers,
    /** The log's file name, for error messages. */
    private readonly fileName: string,
  ) {
    const columns = mapping.constants.length;
    this.current = Float64Array.from(mapping.constants);
    this.lastTotal = new Float64Array(columns).fill(Number.NaN);
    this.emittedTotal = new Float64Array(columns).fill(Number.NaN);
    this.binValue = new Float64Array(header.dlvs.length);
    const p = header.ptn;
    const fields = [p.north, p.east, p.up, p.status, p.pdop, p.hdop, p.satellites, p.gpsUtcTime, p.gpsUtcDate];
    this.ptnBinary = Uint8Array.from(fields, (f) => (f.binary ? 1 : 0));
    this.ptnFixed = Float64Array.from(fields, (f) => f.fixed);
  }

  /**
   * Decodes records from `bytes[pos..]`; `base` is the file offset of `bytes[0]` (for messages).
   * Returns the offset of the first byte not consumed.
   */
  decode(bytes: Uint8Array, pos: number, base: number): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = bytes.length;
    const batch = this.batch;
    const { lon, lat, time, values, capacity } = batch;
    const { columnOfDlv, factorOfDlv, kindOfDlv, isDelta, elevationColumn } = this.mapping;
    const current = this.current;
    const lastTotal = this.lastTotal;
    const emittedTotal = this.emittedTotal;
    const binValue = this.binValue;
    const columnCount = values.length;
    const dlvCount = this.header.dlvs.length;
    const fixedSize = this.header.fixedSize;
    const b = this.ptnBinary;
    const f = this.ptnFixed;
    const northBin = b[0] === 1, eastBin = b[1] === 1, upBin = b[2] === 1, statusBin = b[3] === 1;
    const pdopBin = b[4] === 1, hdopBin = b[5] === 1, satBin = b[6] === 1, gpsTimeBin = b[7] === 1, gpsDateBin = b[8] === 1;
    const fixedNorth = f[0]!, fixedEast = f[1]!, fixedUp = f[2]!, fixedGpsTime = f[7]!, fixedGpsDate = f[8]!;
    const hasGpsTime = (gpsTimeBin || !Number.isNaN(fixedGpsTime)) && (gpsDateBin || !Number.isNaN(fixedGpsDate));
    const counts = this.counts;
    let n = batch.length;
    let p = pos;

    while (n < capacity && p + fixedSize <= end) {
      const start = p;
      const ms = view.getUint32(p, true);
      const days = view.getUint16(p + 4, true);
      p += 6;
      if (ms > DAY_MS + 1000) this.corrupt(`time of day ${ms} ms is past midnight`, base + start);
      let north = fixedNorth, east = fixedEast, up = fixedUp;
      let gpsMs = fixedGpsTime, gpsDays = fixedGpsDate;
      if (northBin) { north = view.getInt32(p, true) * 1e-7; p += 4; }
      if (eastBin) { east = view.getInt32(p, true) * 1e-7; p += 4; }
      if (upBin) { up = view.getInt32(p, true); p += 4; }
      if (statusBin) p += 1;
      if (pdopBin) p += 2;
      if (hdopBin) p += 2;
      if (satBin) p += 1;
      if (gpsTimeBin) { gpsMs = view.getUint32(p, true); p += 4; }
      if (gpsDateBin) { gpsDays = view.getUint16(p, true); p += 2; }
      const count = bytes[p]!;
      p += 1;
      if (p + count * 5 > end) { p = start; break; }
      if (count > dlvCount) this.corrupt(`record says ${count} values follow but the header declares ${dlvCount} DLVs`, base + start);
      for (let k = 0; k < count; k++) {
        const index = bytes[p]!;
        if (index >= dlvCount) this.corrupt(`DLV index ${index} is out of range (the header declares ${dlvCount} DLVs)`, base + p);
        const column = columnOfDlv[index]!;
        if (column >= 0) {
          const raw = view.getInt32(p + 1, true);
          const kind = kindOfDlv[index];
          if (kind === ValueKind.Scaled) current[column] = raw * factorOfDlv[index]!;
          else if (kind === ValueKind.TotalDelta) lastTotal[column] = raw * factorOfDlv[index]!;
          else if (kind === ValueKind.BinSum) {
            const value = raw * factorOfDlv[index]!;
            const sum = current[column]!;
            current[column] = (Number.isNaN(sum) ? 0 : sum) + value - binValue[index]!;
            binValue[index] = value;
          } else if (kind === ValueKind.WorkState) current[column] = raw === 1 ? 1 : raw === 0 ? 0 : Number.NaN;
          else current[column] = condensedWorkState(raw);
        }
        p += 5;
      }
      counts.records++;

      const terminalTime = EPOCH_1980 + days * DAY_MS + ms;
      if (hasGpsTime && gpsMs < DAY_MS && gpsDays > 0 && gpsDays < 0xffff) {
        this.timeOffset = Math.round((EPOCH_1980 + gpsDays * DAY_MS + gpsMs - terminalTime) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
      } else counts.terminalTimeOnly++;

      // A terminal writes 0/0 (or nothing) while it has no fix: no point, but its values still count.
      if ((north === 0 && east === 0) || Number.isNaN(north) || Number.isNaN(east)) { counts.withoutPosition++; continue; }
      if (!(north >= -90 && north <= 90 && east >= -180 && east <= 180)) { counts.outOfRange++; continue; }
      lon[n] = east;
      lat[n] = north;
      time[n] = terminalTime + this.timeOffset;
      for (let c = 0; c < columnCount; c++) {
        if (isDelta[c] === 1) {
          const total = lastTotal[c]!;
          const previous = emittedTotal[c]!;
          // The first point has no earlier total; a total that goes down was reset by the terminal.
          values[c]![n] = total >= previous ? total - previous : Number.NaN;
          emittedTotal[c] = total;
        } else values[c]![n] = current[c]!;
      }
      if (elevationColumn >= 0) values[elevationColumn]![n] = up / 1000;
      n++;
      counts.points++;
    }
    batch.length = n;
    return p;
  }

  private corrupt(what: string, offset: number): never {
    throw new MachineFileError(
      'corrupt_file',
      `${this.fileName} is corrupt at byte ${offset} (record ${this.counts.records + 1}): ${what}. The records before it were read; the log is not converted because the rest cannot be trusted.`,
    );
  }
}

/** 1 when any of the 16 sections is on, 0 when none is on and at least one is off, NaN otherwise. */
function condensedWorkState(raw: number): number {
  let off = false;
  for (let s = 0; s < 16; s++) {
    const state = (raw >>> (s * 2)) & 3;
    if (state === 1) return 1;
    if (state === 0) off = true;
  }
  return off ? 0 : Number.NaN;
}
