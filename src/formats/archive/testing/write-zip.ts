/**
 * Builds zips in memory for tests and benchmarks, including the ones a careful writer never makes:
 * sizes that lie, junk before the central directory, ZIP64 records, hostile names.
 */
import zlib from 'node:zlib';

export interface ZipEntrySpec {
  readonly name: string;
  readonly data: Uint8Array | string;
  /** 8 (deflate, the default) or 0 (stored). */
  readonly method?: 0 | 8;
  /** Overrides the uncompressed size written to the headers (a lying archive). */
  readonly declaredSize?: number;
}

export interface ZipOptions {
  readonly comment?: string;
  /** Write ZIP64 end records and extra fields even though nothing needs them. */
  readonly zip64?: boolean;
  /** Bytes inserted between the last entry and the central directory (offsets then point short). */
  readonly junkBeforeDirectory?: Uint8Array;
}

/** A zip file as bytes. */
export function writeZip(entries: readonly ZipEntrySpec[], options: ZipOptions = {}): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data) : Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    const method = entry.method ?? 8;
    const body = method === 8 ? zlib.deflateRawSync(raw) : raw;
    const name = Buffer.from(entry.name, 'utf8');
    const size = entry.declaredSize ?? raw.length;
    const crc = zlib.crc32(raw);
    const zip64 = options.zip64 === true;
    const extra = zip64 ? zip64Extra(size, body.length, offset) : Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(zip64 ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(zip64 ? 45 : 20, 4);
    record.writeUInt16LE(zip64 ? 45 : 20, 6);
    record.writeUInt16LE(0x800, 8);
    record.writeUInt16LE(method, 10);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(zip64 ? 0xffffffff : body.length, 20);
    record.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt16LE(extra.length, 30);
    record.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    parts.push(local, name, extra, body);
    central.push(record, name, extra);
    offset += local.length + name.length + extra.length + body.length;
  }
  const cdOffset = offset;
  if (options.junkBeforeDirectory !== undefined) parts.push(Buffer.from(options.junkBeforeDirectory));
  const cd = Buffer.concat(central);
  parts.push(cd);
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  if (options.zip64 === true) {
    const cdEnd = cdOffset + (options.junkBeforeDirectory?.length ?? 0) + cd.length;
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(entries.length), 32);
    record.writeBigUInt64LE(BigInt(cd.length), 40);
    record.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(cdEnd), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
    eocd.writeUInt16LE(0xffff, 8);
    eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(0xffffffff, 12);
    eocd.writeUInt32LE(0xffffffff, 16);
  } else {
    eocd.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
    eocd.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
    eocd.writeUInt32LE(cd.length, 12);
    eocd.writeUInt32LE(cdOffset, 16);
  }
  eocd.writeUInt16LE(comment.length, 20);
  parts.push(eocd, comment);
  return new Uint8Array(Buffer.concat(parts));
}

function zip64Extra(size: number, compressedSize: number, offset: number): Buffer {
  const extra = Buffer.alloc(4 + 24);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(24, 2);
  extra.writeBigUInt64LE(BigInt(size), 4);
  extra.writeBigUInt64LE(BigInt(compressedSize), 12);
  extra.writeBigUInt64LE(BigInt(offset), 20);
  return extra;
}
