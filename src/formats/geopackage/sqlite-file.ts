/**
 * The SQLite database file format (sqlite.org/fileformat2.html), read-only: the 100-byte header
 * and numbered pages read on demand from a `ByteSource`. Everything a damaged file can say (page
 * size, page count, a page number) is checked here before it is used, so a corrupt file fails with
 * `corrupt_file` instead of a wild read.
 */
import { MachineFileError, type ByteSource } from '../machine-data.js';

export const SQLITE_HEADER_LENGTH = 100;
const MAGIC = 'SQLite format 3\0';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface SqliteHeader {
  readonly pageSize: number;
  /** Page size less the bytes each page reserves at its end (encryption, checksums). */
  readonly usableSize: number;
  readonly pageCount: number;
  readonly encoding: TextEncoding;
  /** 0x47504B47 ("GPKG") for GeoPackage 1.2+, "GP10"/"GP11" before. */
  readonly applicationId: number;
}

/** True when `bytes` start with the SQLite magic string. */
export function isSqliteFile(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

export function parseSqliteHeader(bytes: Uint8Array, fileSize: number, name: string): SqliteHeader {
  if (bytes.length < SQLITE_HEADER_LENGTH || !isSqliteFile(bytes)) {
    throw new MachineFileError('corrupt_file', `${name}: not an SQLite database (no "SQLite format 3" header), so not a GeoPackage; the file is damaged or is something else named .gpkg.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, SQLITE_HEADER_LENGTH);
  const rawPageSize = view.getUint16(16, false);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    throw new MachineFileError('corrupt_file', `${name}: the SQLite header gives a page size of ${rawPageSize}, not a power of two from 512 to 65536; the file is corrupt.`);
  }
  const reserved = bytes[20]!;
  const usableSize = pageSize - reserved;
  // The format requires these payload fractions and a usable size of at least 480.
  if (usableSize < 480 || bytes[21] !== 64 || bytes[22] !== 32 || bytes[23] !== 32) {
    throw new MachineFileError('corrupt_file', `${name}: the SQLite header's page layout fields are invalid; the file is corrupt.`);
  }
  const encodingCode = view.getUint32(56, false);
  const encoding: TextEncoding | undefined = encodingCode <= 1 ? 'utf-8' : encodingCode === 2 ? 'utf-16le' : encodingCode === 3 ? 'utf-16be' : undefined;
  if (encoding === undefined) throw new MachineFileError('corrupt_file', `${name}: the SQLite header names text encoding ${encodingCode}; the file is corrupt.`);
  const filePages = Math.floor(fileSize / pageSize);
  const declaredPages = view.getUint32(28, false);
  // The in-header size is only trusted when the last writer knew about it (version-valid-for = change counter).
  const declaredValid = declaredPages > 0 && view.getUint32(92, false) === view.getUint32(24, false);
  if (declaredValid && declaredPages > filePages) {
    throw new MachineFileError('corrupt_file', `${name}: the SQLite header says the database has ${declaredPages} pages of ${pageSize} bytes (${declaredPages * pageSize} bytes) but the file has ${fileSize}; it is truncated.`);
  }
  const pageCount = declaredValid ? declaredPages : filePages;
  if (pageCount < 1) throw new MachineFileError('corrupt_file', `${name}: the file is shorter than one SQLite page; it is truncated.`);
  return { pageSize, usableSize, pageCount, encoding, applicationId: view.getUint32(68, false) };
}

/** Numbered pages of one database, each read when asked for. */
export class PageReader {
  constructor(
    readonly source: ByteSource,
    readonly header: SqliteHeader,
    readonly name: string,
  ) {}

  /** Page `n` (1-based) in full; `corrupt_file` when `n` is outside the database or the bytes end early. */
  async page(n: number, referrer: string): Promise<Uint8Array> {
    const { pageSize, pageCount } = this.header;
    if (!Number.isInteger(n) || n < 1 || n > pageCount) {
      throw new MachineFileError('corrupt_file', `${this.name}: ${referrer} points to page ${n}, outside the database's ${pageCount} pages; the file is corrupt or truncated.`);
    }
    const bytes = await this.source.read((n - 1) * pageSize, pageSize);
    if (bytes.length < pageSize) throw new MachineFileError('corrupt_file', `${this.name}: page ${n} is cut short at the end of the file; the file is truncated.`);
    return bytes;
  }
}
