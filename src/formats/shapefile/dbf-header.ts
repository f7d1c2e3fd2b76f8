/**
 * The dBASE III/IV table header beside a shapefile: record count and length, and the field
 * descriptors (32 bytes each, ended by 0x0D). The header is checked against itself and the file
 * size, because a header that lies about the record length would silently shift every value.
 */
import { MachineFileError } from '../machine-data.js';

export type DbfFieldType = 'C' | 'N' | 'F' | 'D' | 'L' | 'other';

export interface DbfField {
  readonly name: string;
  readonly type: DbfFieldType;
  /** Offset of the field inside a record (byte 0 of a record is the deletion flag). */
  readonly offset: number;
  readonly length: number;
  readonly decimals: number;
}

export interface DbfHeader {
  readonly recordCount: number;
  readonly headerLength: number;
  readonly recordLength: number;
  /** The date the table says it was last written, UTC midnight ms; null when absent or invalid. */
  readonly lastUpdate: number | null;
  /** Language driver id (byte 29), a code page hint when there is no .cpg. */
  readonly languageDriver: number;
  readonly fields: readonly DbfField[];
}

const DESCRIPTOR = 32;

/** How many bytes `parseDbfHeader` needs: the fixed part says how long the whole header is. */
export function dbfHeaderLength(prefix: Uint8Array, name: string): number {
  if (prefix.length < 32) throw new MachineFileError('corrupt_file', `${name}: the .dbf is ${prefix.length} bytes long; a dBASE header needs at least 32.`);
  return prefix[8]! | (prefix[9]! << 8);
}

/**
 * Parses and checks the header. `fileSize` is the declared size of the .dbf; pass NaN when
 * unknown.
 */
export function parseDbfHeader(bytes: Uint8Array, fileSize: number, name: string): DbfHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[0]! & 0x07;
  if (version !== 3 && version !== 4) {
    throw new MachineFileError('corrupt_file', `${name}: expected a dBASE III or IV table (.dbf version 3 or 4), found version byte 0x${bytes[0]!.toString(16)}; re-export the layer as a standard shapefile.`);
  }
  const recordCount = view.getUint32(4, true);
  const headerLength = view.getUint16(8, true);
  const recordLength = view.getUint16(10, true);
  if (headerLength < DESCRIPTOR + 1 || bytes.length < headerLength) {
    throw new MachineFileError('corrupt_file', `${name}: the .dbf header says it is ${headerLength} bytes long but ${bytes.length} bytes are there; the file is truncated or not a dBASE table.`);
  }
  const fields: DbfField[] = [];
  let offset = 1;
  for (let at = DESCRIPTOR; at + DESCRIPTOR <= headerLength && bytes[at] !== 0x0d; at += DESCRIPTOR) {
    let nameEnd = at;
    while (nameEnd < at + 11 && bytes[nameEnd] !== 0) nameEnd++;
    const fieldName = String.fromCharCode(...bytes.subarray(at, nameEnd)).trim();
    const typeChar = String.fromCharCode(bytes[at + 11]!).toUpperCase();
    const length = bytes[at + 16]!;
    const type: DbfFieldType = typeChar === 'C' || typeChar === 'N' || typeChar === 'F' || typeChar === 'D' || typeChar === 'L' ? typeChar : 'other';
    // dBASE stores character fields longer than 255 with the decimal byte as the high byte.
    const fullLength = type === 'C' ? length + (bytes[at + 17]! << 8) : length;
    fields.push({ name: fieldName, type, offset, length: fullLength, decimals: type === 'C' ? 0 : bytes[at + 17]! });
    offset += fullLength;
  }
  if (offset !== recordLength) {
    throw new MachineFileError('corrupt_file', `${name}: the .dbf header says records are ${recordLength} bytes long, but its ${fields.length} fields add up to ${offset} (with the deletion flag); the table is corrupt. Re-export the layer.`);
  }
  const expected = headerLength + recordCount * recordLength;
  if (Number.isFinite(fileSize) && fileSize < expected) {
    throw new MachineFileError('corrupt_file', `${name}: the .dbf header promises ${recordCount} records of ${recordLength} bytes (${expected} bytes in all) but the file has ${fileSize} bytes; it is truncated.`);
  }
  const year = 1900 + bytes[1]!;
  const month = bytes[2]!;
  const day = bytes[3]!;
  const lastUpdate = month >= 1 && month <= 12 && day >= 1 && day <= 31 ? Date.UTC(year, month - 1, day) : null;
  return { recordCount, headerLength, recordLength, lastUpdate, languageDriver: bytes[29]!, fields };
}

/**
 * The text encoding of C fields: the .cpg when there is one (ESRI's convention), else the
 * language driver byte, else Windows-1252 (what US display software writes, and a superset of
 * the ASCII the columns mapped here carry).
 */
export function dbfEncoding(cpg: string | undefined, languageDriver: number): string {
  const label = cpg?.trim().toLowerCase();
  if (label !== undefined && label !== '') {
    const normalised = /^\d+$/.test(label) ? (label === '65001' ? 'utf-8' : `windows-${label}`) : label.replace(/^ansi[ _]?/, 'windows-');
    try {
      return new TextDecoder(normalised).encoding;
    } catch {
      // An unknown label falls through to the language driver.
    }
  }
  if (languageDriver === 0x4d || languageDriver === 0x7a) return 'gbk'; // code page 936
  return 'windows-1252';
}
