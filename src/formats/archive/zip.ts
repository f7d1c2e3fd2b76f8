/**
 * A zip reader over a `ByteSource`, with the safety limits an upload service needs. Only the
 * central directory is read up front; entries inflate on demand, chunk by chunk, and every entry
 * counts the bytes it actually produces, because a central directory can lie about sizes (zip
 * bombs). Zips inside the zip are expanded into the same set (`outer.zip/inner.zip/TASKDATA.XML`
 * becomes `inner.zip/TASKDATA.XML`), up to `maxDepth` levels: an inner zip is listed by streaming
 * it once while keeping only its tail (where its central directory is), and its entries are read
 * by streaming it again up to their local header, so memory stays bounded by `maxNestedZipBytes`
 * whatever the inner zip's size. Format: PKWARE APPNOTE.TXT 6.3.10 (sections 4.3.7, 4.3.12,
 * 4.3.14-16 for ZIP64, 4.4.4 for the flags).
 */
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { MachineFileError, type ByteSource, type FileEntry, type FileSet } from '../machine-data.js';

/** Safety limits for one archive, nested archives included. */
export interface ArchiveLimits {
  /** Sum of the uncompressed sizes of every file, nested zips' files included. */
  readonly maxTotalBytes: number;
  /** Number of files, nested zips' files included. */
  readonly maxEntries: number;
  /** Uncompressed / compressed size of one entry, checked once an entry passes `RATIO_FLOOR` bytes. */
  readonly maxRatio: number;
  /** Zips inside zips expanded this many levels deep (1: zips inside the upload; 2: one more). */
  readonly maxDepth: number;
  /** The tail of a nested zip kept in memory to read its central directory. */
  readonly maxNestedZipBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxTotalBytes: 10 * 2 ** 30,
  maxEntries: 50_000,
  // Real machine data (XML, binary logs, DBF) compresses 3-50x; deflate's ceiling is ~1032x.
  maxRatio: 200,
  maxDepth: 2,
  maxNestedZipBytes: 16 * 2 ** 20,
};

/** Small entries may compress absurdly well (a 100 kB file of zeros) and harm nobody. */
const RATIO_FLOOR = 1 << 20;
const READ_CHUNK = 1 << 20;
const EOCD_SIGNATURE = 0x06054b50;
const EOCD64_SIGNATURE = 0x06064b50;
const EOCD64_LOCATOR_SIGNATURE = 0x07064b50;
const CD_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** True for a path that names a zip, which `openZip` expands. */
export function isZipPath(path: string): boolean {
  return /\.zip$/i.test(path);
}

/**
 * The files of a zip, nested zips expanded. Throws `corrupt_file` when there is no readable
 * central directory and `archive_limit_exceeded` when the declared sizes or counts pass a limit;
 * entries' `stream()` throw the same codes when the bytes turn out to break them.
 */
export async function openZip(source: ByteSource, limits: Partial<ArchiveLimits> = {}): Promise<FileSet & { warnings: string[] }> {
  const context: OpenContext = { limits: { ...DEFAULT_ARCHIVE_LIMITS, ...limits }, warnings: [], entryCount: 0, totalBytes: 0 };
  const entries = await expand(await readDirectory(source, 'the zip', context), { kind: 'random', source }, '', 0, context);
  return { entries, warnings: context.warnings };
}

interface OpenContext {
  readonly limits: ArchiveLimits;
  readonly warnings: string[];
  entryCount: number;
  totalBytes: number;
}

/** One central-directory record, offsets already corrected for junk before the directory. */
interface ZipRecord {
  readonly path: string;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Where the local header should be; `altOffset` is where it is if the junk sits after it. */
  readonly localOffset: number;
  readonly altOffset: number;
}

interface Directory {
  readonly records: ZipRecord[];
}

/** Where a zip's bytes come from: random access (a file, a stored entry) or a re-playable stream. */
type ZipBytes =
  | { readonly kind: 'random'; readonly source: ByteSource }
  | { readonly kind: 'sequential'; readonly stream: () => AsyncIterable<Uint8Array> };

async function expand(directory: Directory, bytes: ZipBytes, prefix: string, depth: number, context: OpenContext): Promise<FileEntry[]> {
  const { limits } = context;
  const entries: FileEntry[] = [];
  const seen = new Set<string>();
  for (const record of directory.records) {
    const path = prefix + record.path;
    if (seen.has(path)) {
      context.warnings.push(`${path} appears twice in the archive; the first copy is used.`);
      continue;
    }
    seen.add(path);
    const entry: FileEntry = { path, size: record.size, stream: () => streamEntry(bytes, record, path, limits) };
    if (bytes.kind === 'random' && record.method === 0 && (record.flags & 0x1) === 0) {
      // A stored entry is a byte range of the archive: random access for formats that seek.
      const source = bytes.source;
      Object.assign(entry, { open: async () => ({ ...sliceSource(source, await localDataOffset(source, record, path), Math.min(record.size, record.compressedSize)), close: () => undefined }) });
    }
    if (isZipPath(record.path)) {
      if (depth + 1 > limits.maxDepth) {
        throw new MachineFileError('archive_limit_exceeded', `${path} is a zip nested ${depth + 1} levels deep; Furrow expands zips at most ${limits.maxDepth} levels deep (a likely zip bomb). Unpack the outer archives and upload the inner one.`);
      }
      // Listing an inner zip inflates it, so its bytes count towards the total like any file's.
      context.totalBytes += record.size;
      checkTotals(context, path);
      const inner = await openNested(entry, record, bytes, path, context);
      if (inner !== undefined) {
        entries.push(...(await expand(inner.directory, inner.bytes, `${path}/`, depth + 1, context)));
        continue;
      }
      context.totalBytes -= record.size;
    }
    context.entryCount += 1;
    context.totalBytes += record.size;
    checkTotals(context, path);
    entries.push(entry);
  }
  return entries;
}

function checkTotals(context: OpenContext, path: string): void {
  const { limits } = context;
  if (context.entryCount > limits.maxEntries) {
    throw new MachineFileError('archive_limit_exceeded', `The archive holds more than ${limits.maxEntries} files (limit reached at ${path}); split it into smaller uploads.`);
  }
  if (context.totalBytes > limits.maxTotalBytes) {
    throw new MachineFileError('archive_limit_exceeded', `The archive's files add up to more than ${formatBytes(limits.maxTotalBytes)} uncompressed (limit reached at ${path}); split it into smaller uploads.`);
  }
}

/** Lists a zip inside the zip, or leaves it as a plain file (with a warning) when it is not one. */
async function openNested(entry: FileEntry, record: ZipRecord, outer: ZipBytes, path: string, context: OpenContext): Promise<{ directory: Directory; bytes: ZipBytes } | undefined> {
  try {
    if (record.method === 0 && outer.kind === 'random') {
      // A stored inner zip is a plain byte range of the outer one: random access, no re-inflation.
      const dataOffset = await localDataOffset(outer.source, record, path);
      const slice = sliceSource(outer.source, dataOffset, record.size);
      return { directory: await readDirectory(slice, path, context), bytes: { kind: 'random', source: slice } };
    }
    const tail = await streamTail(entry.stream(), context.limits.maxNestedZipBytes);
    return { directory: await readDirectory(tail, path, context), bytes: { kind: 'sequential', stream: () => entry.stream() } };
  } catch (error) {
    if (error instanceof MachineFileError && error.code === 'corrupt_file') {
      context.warnings.push(`${path} is not a readable zip (${error.message}); it was left unexpanded.`);
      return undefined;
    }
    throw error;
  }
}

/** The last `window` bytes of a stream as a ByteSource whose reads before the window fail. */
async function streamTail(stream: AsyncIterable<Uint8Array>, window: number): Promise<ByteSource> {
  const chunks: Uint8Array[] = [];
  let held = 0;
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    held += chunk.length;
    total += chunk.length;
    while (chunks.length > 1 && held - chunks[0]!.length >= window) held -= chunks.shift()!.length;
  }
  const tail = concat(chunks, held);
  const start = total - tail.length;
  return {
    size: total,
    read: async (offset, length) => {
      if (offset < start) {
        throw new MachineFileError('corrupt_file', `its central directory starts more than ${formatBytes(window)} before its end, past what Furrow reads of a nested zip`);
      }
      return tail.subarray(offset - start, Math.min(tail.length, offset - start + length));
    },
  };
}

function sliceSource(source: ByteSource, start: number, size: number): ByteSource {
  return {
    size,
    read: (offset, length) => source.read(start + offset, Math.max(0, Math.min(length, size - offset))),
  };
}

/**
 * Finds the end-of-central-directory record (after an optional comment), follows ZIP64 records,
 * and reads every central-directory record. When bytes were inserted before the directory (a
 * damaged transfer, a self-extractor stub), the recorded offsets are all off by the same amount:
 * like Info-ZIP's unzip, the difference between where the directory is and where the record says
 * it is becomes a correction, reported as a warning.
 */
async function readDirectory(source: ByteSource, name: string, context: OpenContext): Promise<Directory> {
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = tailLength >= EOCD_SIZE ? await source.read(tailStart, tailLength) : new Uint8Array(0);
  const eocdInTail = findEocd(tail);
  if (eocdInTail < 0) {
    throw new MachineFileError('corrupt_file', `${name} has no end-of-central-directory record: it is truncated or not a zip. Upload the complete archive.`);
  }
  const eocdOffset = tailStart + eocdInTail;
  const eocd = new DataView(tail.buffer, tail.byteOffset + eocdInTail, EOCD_SIZE);
  let entryCount = eocd.getUint16(10, true);
  let cdSize = eocd.getUint32(12, true);
  let cdOffset = eocd.getUint32(16, true);
  let cdEnd = eocdOffset;

  const locatorOffset = eocdOffset - 20;
  const locator = locatorOffset >= 0 ? await source.read(locatorOffset, 20) : new Uint8Array(0);
  if (locator.length === 20 && new DataView(locator.buffer, locator.byteOffset, 20).getUint32(0, true) === EOCD64_LOCATOR_SIGNATURE) {
    const recorded = Number(new DataView(locator.buffer, locator.byteOffset, 20).getBigUint64(8, true));
    const zip64 = await readZip64Eocd(source, recorded, locatorOffset, name);
    entryCount = zip64.entryCount;
    cdSize = zip64.cdSize;
    cdOffset = zip64.cdOffset;
    cdEnd = zip64.offset;
  }

  if (entryCount > context.limits.maxEntries) {
    throw new MachineFileError('archive_limit_exceeded', `${name} declares ${entryCount} files; Furrow accepts at most ${context.limits.maxEntries} per archive. Split it into smaller uploads.`);
  }
  const delta = cdEnd - (cdOffset + cdSize);
  if (delta < 0) {
    throw new MachineFileError('corrupt_file', `${name}: the central directory is said to end at byte ${cdOffset + cdSize}, past its end record at byte ${cdEnd}; the zip is truncated or damaged.`);
  }
  if (delta > 0) {
    context.warnings.push(`${name} has ${delta} extra bytes before its central directory (damaged or prefixed archive); offsets were corrected as unzip does.`);
  }
  const cd = await source.read(cdOffset + delta, cdSize);
  if (cd.length < cdSize) throw new MachineFileError('corrupt_file', `${name}: the central directory runs past the end of the file (the zip is truncated).`);
  return { records: parseCentralDirectory(cd, entryCount, delta, name, context) };
}

/** The last EOCD signature whose comment length fits the bytes after it. */
function findEocd(tail: Uint8Array): number {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let loose = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i -= 1) {
    if (view.getUint32(i, true) !== EOCD_SIGNATURE) continue;
    const commentLength = view.getUint16(i + 20, true);
    if (i + EOCD_SIZE + commentLength === tail.length) return i;
    // Some writers append bytes after the record; accept it if nothing better is found.
    if (loose < 0 && i + EOCD_SIZE + commentLength <= tail.length) loose = i;
  }
  return loose;
}

async function readZip64Eocd(source: ByteSource, recorded: number, locatorOffset: number, name: string) {
  for (const offset of [recorded, locatorOffset - 56]) {
    if (offset < 0) continue;
    const bytes = await source.read(offset, 56);
    if (bytes.length < 56) continue;
    const view = new DataView(bytes.buffer, bytes.byteOffset, 56);
    if (view.getUint32(0, true) !== EOCD64_SIGNATURE) continue;
    return {
      offset,
      entryCount: Number(view.getBigUint64(32, true)),
      cdSize: Number(view.getBigUint64(40, true)),
      cdOffset: Number(view.getBigUint64(48, true)),
    };
  }
  throw new MachineFileError('corrupt_file', `${name} has a ZIP64 locator but no ZIP64 end record; the zip is damaged.`);
}

function parseCentralDirectory(cd: Uint8Array, declaredCount: number, delta: number, name: string, context: OpenContext): ZipRecord[] {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const records: ZipRecord[] = [];
  let p = 0;
  let count = 0;
  while (p + 46 <= cd.length && view.getUint32(p, true) === CD_SIGNATURE) {
    count += 1;
    if (count > context.limits.maxEntries) {
      throw new MachineFileError('archive_limit_exceeded', `${name} holds more than ${context.limits.maxEntries} files; split it into smaller uploads.`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new MachineFileError('corrupt_file', `${name}: central directory record ${count} runs past the directory's end; the zip is damaged.`);
    const rawName = cd.subarray(p + 46, p + 46 + nameLength);
    // ZIP64 extended information (APPNOTE 4.5.3): only the fields that overflowed, in this order.
    const extra = new DataView(cd.buffer, cd.byteOffset + p + 46 + nameLength, extraLength);
    for (let e = 0; e + 4 <= extraLength; ) {
      const id = extra.getUint16(e, true);
      const length = extra.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          const value = q + 8 <= e + 4 + length ? Number(extra.getBigUint64(q, true)) : Number.NaN;
          q += 8;
          return value;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
        if ([size, compressedSize, localOffset].some(Number.isNaN)) throw new MachineFileError('corrupt_file', `${name}: a ZIP64 record is shorter than its fields; the zip is damaged.`);
      }
      e += 4 + length;
    }
    p = end;
    const decoded = (flags & 0x800) !== 0 ? new TextDecoder('utf-8').decode(rawName) : decodeCp437(rawName);
    if (decoded.endsWith('/') || decoded.endsWith('\\')) continue;
    const safe = normaliseEntryPath(decoded);
    if (typeof safe !== 'string') {
      context.warnings.push(`${name}: the entry "${decoded}" was skipped: ${safe.refused}.`);
      continue;
    }
    records.push({ path: safe, method, flags, crc, compressedSize, size, localOffset: localOffset + delta, altOffset: localOffset });
  }
  if (count < declaredCount && declaredCount !== 0xffff) {
    throw new MachineFileError('corrupt_file', `${name}: the end record declares ${declaredCount} files but the central directory holds ${count}; the zip is damaged.`);
  }
  return records;
}

/**
 * A safe relative path, or why the name is refused. Names are only names here (nothing is written
 * to disk), but a downstream consumer that extracts must never see `../` or an absolute path.
 */
export function normaliseEntryPath(raw: string): string | { refused: string } {
  if (raw.includes('\0')) return { refused: 'its name contains a NUL byte' };
  const slashed = raw.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return { refused: 'it has an absolute path' };
  const parts: string[] = [];
  for (const part of slashed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return { refused: 'its path climbs out of the archive (../)' };
      parts.pop();
    } else parts.push(part);
  }
  if (parts.length === 0) return { refused: 'its name is empty' };
  return parts.join('/');
}

async function localDataOffset(source: ByteSource, record: ZipRecord, name: string): Promise<number> {
  for (const offset of record.localOffset === record.altOffset ? [record.localOffset] : [record.localOffset, record.altOffset]) {
    const header = await source.read(offset, 30);
    if (header.length < 30) continue;
    const view = new DataView(header.buffer, header.byteOffset, 30);
    if (view.getUint32(0, true) !== LOCAL_SIGNATURE) continue;
    return offset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
  }
  throw new MachineFileError('corrupt_file', `${name}: no local header where the central directory says it starts (byte ${record.altOffset}); the zip is damaged.`);
}

async function* streamEntry(bytes: ZipBytes, record: ZipRecord, path: string, limits: ArchiveLimits): AsyncIterable<Uint8Array> {
  if ((record.flags & 0x1) !== 0) throw new MachineFileError('unsupported_file_format', `${path} is encrypted; upload the archive without a password.`);
  if (record.method !== 0 && record.method !== 8) {
    throw new MachineFileError('unsupported_file_format', `${path} uses zip compression method ${record.method}; Furrow reads stored and deflated entries. Re-create the zip with standard (deflate) compression.`);
  }
  if (record.size > RATIO_FLOOR && record.size > limits.maxRatio * Math.max(1, record.compressedSize)) {
    throw new MachineFileError('archive_limit_exceeded', `${path} declares ${formatBytes(record.size)} from ${formatBytes(record.compressedSize)} compressed, a ratio over ${limits.maxRatio}: a likely zip bomb.`);
  }
  const compressed = bytes.kind === 'random' ? readRange(bytes.source, record, path) : readFromStream(bytes.stream(), record, path);
  const output = record.method === 0 ? compressed : inflate(compressed, path);
  let produced = 0;
  let crc = 0;
  for await (const chunk of output) {
    produced += chunk.length;
    // With the declared ratio checked above, this also bounds the actual ratio.
    if (produced > record.size) {
      throw new MachineFileError('archive_limit_exceeded', `${path} inflates past its declared size of ${formatBytes(record.size)}: the archive lies about its sizes (a likely zip bomb).`);
    }
    crc = zlib.crc32(chunk, crc);
    yield chunk;
  }
  if (produced !== record.size) throw new MachineFileError('corrupt_file', `${path} holds ${produced} bytes but the zip declares ${record.size}; the archive is damaged.`);
  if (crc !== record.crc) throw new MachineFileError('corrupt_file', `${path} fails its CRC-32 check; the archive is damaged.`);
}

async function* readRange(source: ByteSource, record: ZipRecord, path: string): AsyncIterable<Uint8Array> {
  const start = await localDataOffset(source, record, path);
  for (let offset = 0; offset < record.compressedSize; offset += READ_CHUNK) {
    const length = Math.min(READ_CHUNK, record.compressedSize - offset);
    const chunk = await source.read(start + offset, length);
    if (chunk.length < length) throw new MachineFileError('corrupt_file', `${path} runs past the end of the archive; the zip is truncated.`);
    yield chunk;
  }
}

/** The compressed bytes of an entry of a zip that can only be streamed from its start. */
async function* readFromStream(stream: AsyncIterable<Uint8Array>, record: ZipRecord, path: string): AsyncIterable<Uint8Array> {
  const reader = new ForwardReader(stream);
  const candidates = [record.localOffset, record.altOffset].sort((a, b) => a - b);
  let dataStart = -1;
  for (const offset of new Set(candidates)) {
    await reader.skipTo(offset);
    const header = await reader.peek(30);
    if (header === undefined || new DataView(header.buffer, header.byteOffset, 30).getUint32(0, true) !== LOCAL_SIGNATURE) continue;
    const view = new DataView(header.buffer, header.byteOffset, 30);
    dataStart = offset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    break;
  }
  if (dataStart < 0) throw new MachineFileError('corrupt_file', `${path}: no local header where the central directory says it starts; the zip is damaged.`);
  await reader.skipTo(dataStart);
  let remaining = record.compressedSize;
  while (remaining > 0) {
    const chunk = await reader.take(Math.min(remaining, READ_CHUNK));
    if (chunk === undefined) throw new MachineFileError('corrupt_file', `${path} runs past the end of the archive; the zip is truncated.`);
    remaining -= chunk.length;
    yield chunk;
  }
  await reader.close();
}

/** Forward-only reads over a chunk stream: skip, peek and take without buffering what is skipped. */
class ForwardReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Uint8Array = new Uint8Array(0);
  private position = 0;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  async skipTo(offset: number): Promise<void> {
    while (this.position + this.buffer.length < offset) {
      this.position += this.buffer.length;
      this.buffer = new Uint8Array(0);
      if (!(await this.fill())) return;
    }
    if (offset > this.position) {
      this.buffer = this.buffer.subarray(offset - this.position);
      this.position = offset;
    }
  }

  async peek(length: number): Promise<Uint8Array | undefined> {
    while (this.buffer.length < length) if (!(await this.fill())) return undefined;
    return this.buffer.subarray(0, length);
  }

  /** Up to `max` bytes (at least one), or undefined at the end. */
  async take(max: number): Promise<Uint8Array | undefined> {
    if (this.buffer.length === 0 && !(await this.fill())) return undefined;
    const chunk = this.buffer.subarray(0, max);
    this.buffer = this.buffer.subarray(chunk.length);
    this.position += chunk.length;
    return chunk;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }

  private async fill(): Promise<boolean> {
    const next = await this.iterator.next();
    if (next.done === true) return false;
    this.buffer = this.buffer.length === 0 ? next.value : concat([this.buffer, next.value], this.buffer.length + next.value.length);
    return true;
  }
}

async function* inflate(compressed: AsyncIterable<Uint8Array>, path: string): AsyncIterable<Uint8Array> {
  const inflater = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
  // Errors from either side reach the loop below through the destroyed inflater.
  pipeline(Readable.from(compressed, { objectMode: false }), inflater, () => undefined);
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof MachineFileError) throw error;
    throw new MachineFileError('corrupt_file', `${path} does not inflate (${(error as Error).message}); the archive is damaged.`, { cause: error });
  } finally {
    inflater.destroy();
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** IBM code page 437, bytes 0x80-0xFF: zip names without the UTF-8 flag (APPNOTE appendix D). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeCp437(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
  return out;
}
