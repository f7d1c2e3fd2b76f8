/**
 * SQLite's record format (fileformat2.html section 2.1): a header of serial types, then the values
 * back to back. `RecordReader.decode` reads the header of one row into reused typed arrays; values
 * are then read only for the columns asked for, straight from the page bytes.
 */
import { TextDecoder } from 'node:util';
import { MachineFileError } from '../machine-data.js';
import { parseAsciiNumber } from '../shapefile/ascii-number.js';
import { readVarint, varint } from './sqlite-varint.js';

/** A value as the schema tables are read: small tables, so plain JS values. */
export type SqlValue = number | string | Uint8Array | null;

const INT_SIZES = [0, 1, 2, 3, 4, 6, 8, 8, 0, 0];

function valueSize(serialType: number): number {
  if (serialType < 10) return INT_SIZES[serialType]!;
  if (serialType < 12) return -1;
  return Math.floor((serialType - 12) / 2);
}

export class RecordReader {
  /** Number of values in the record (older rows may have fewer than the table has columns). */
  count = 0;
  types = new Float64Array(32);
  offsets = new Int32Array(32);
  bytes: Uint8Array = new Uint8Array(0);
  view = new DataView(this.bytes.buffer);
  private readonly decoder: TextDecoder;

  constructor(
    encoding: string,
    private readonly name: string,
  ) {
    this.decoder = new TextDecoder(encoding);
  }

  /** Reads the header of the record in `bytes[start, end)`, up to `maxColumns` values. */
  decode(bytes: Uint8Array, start: number, end: number, maxColumns: number): void {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const headerSize = readVarint(bytes, start, end);
    if (headerSize < varint.length || start + headerSize > end || varint.length === 0) this.fail('a record header runs past its row');
    let at = start + varint.length;
    const headerEnd = start + headerSize;
    let offset = headerEnd;
    let n = 0;
    while (at < headerEnd && n < maxColumns) {
      const type = readVarint(bytes, at, headerEnd);
      if (type < 0) this.fail('a record header is cut off');
      at += varint.length;
      const size = valueSize(type);
      if (size < 0) this.fail(`a record uses the reserved serial type ${type}`);
      if (offset + size > end) this.fail('a record value runs past its row');
      if (n === this.types.length) this.grow();
      this.types[n] = type;
      this.offsets[n] = offset;
      offset += size;
      n++;
    }
    this.count = n;
  }

  /** A numeric value; text is parsed as a number; NULL, blobs and non-numeric text are NaN. */
  number(i: number): number {
    if (i >= this.count) return NaN;
    const type = this.types[i]!;
    const at = this.offsets[i]!;
    const view = this.view;
    switch (type) {
      case 0: return NaN;
      case 1: return view.getInt8(at);
      case 2: return view.getInt16(at, false);
      case 3: return (view.getInt8(at) << 16) | view.getUint16(at + 1, false);
      case 4: return view.getInt32(at, false);
      case 5: return view.getInt16(at, false) * 4_294_967_296 + view.getUint32(at + 2, false);
      case 6: return Number(view.getBigInt64(at, false));
      case 7: return view.getFloat64(at, false);
      case 8: return 0;
      case 9: return 1;
      default:
        if (type % 2 === 1 && this.decoder.encoding === 'utf-8') return parseAsciiNumber(this.bytes, at, at + (type - 13) / 2);
        if (type % 2 === 1) return Number(this.text(i));
        return NaN;
    }
  }

  isText(i: number): boolean {
    return i < this.count && this.types[i]! >= 13 && this.types[i]! % 2 === 1;
  }

  isNull(i: number): boolean {
    return i >= this.count || this.types[i] === 0;
  }

  /** Where a text or blob value's bytes are: `[offsets[i], offsets[i] + size(i))`. */
  size(i: number): number {
    return i < this.count ? valueSize(this.types[i]!) : 0;
  }

  isBlob(i: number): boolean {
    return i < this.count && this.types[i]! >= 12 && this.types[i]! % 2 === 0;
  }

  text(i: number): string | null {
    if (!this.isText(i)) return null;
    const at = this.offsets[i]!;
    return this.decoder.decode(this.bytes.subarray(at, at + this.size(i)));
  }

  /** Any value as a plain JS value, for the small schema and metadata tables. */
  value(i: number): SqlValue {
    if (this.isNull(i)) return null;
    if (this.isText(i)) return this.text(i);
    if (this.isBlob(i)) return this.bytes.slice(this.offsets[i]!, this.offsets[i]! + this.size(i));
    return this.number(i);
  }

  private grow(): void {
    const types = new Float64Array(this.types.length * 2);
    types.set(this.types);
    const offsets = new Int32Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    this.types = types;
    this.offsets = offsets;
  }

  private fail(what: string): never {
    throw new MachineFileError('corrupt_file', `${this.name}: ${what}; the file is corrupt.`);
  }
}
