/**
 * Random access to a `FileEntry`, which SQLite pages need: the entry's own `open()` when the set
 * offers it (a file on disk), otherwise the entry streamed once into memory, up to
 * `MAX_BUFFERED_BYTES` (a GeoPackage larger than that fails clearly instead of exhausting memory).
 */
import { MachineFileError, type ByteSource, type FileEntry } from '../machine-data.js';

export const MAX_BUFFERED_BYTES = 512 << 20;
/** Detection reads at most this much of a streamed entry: the schema and metadata pages come first. */
export const DETECT_PREFIX_BYTES = 1 << 20;

export type OpenedSource = ByteSource & { close(): void };

/** Thrown by a prefix source for reads past its prefix; detection then cannot tell and claims the file. */
export class BeyondPrefix extends Error {}

function fromBytes(bytes: Uint8Array, size: number, limit: number): OpenedSource {
  return {
    size,
    read: (offset, length) => {
      const end = Math.min(offset + length, size);
      if (end > limit) return Promise.reject(new BeyondPrefix(`read past the first ${limit} bytes`));
      return Promise.resolve(bytes.subarray(offset, Math.max(offset, end)));
    },
    close: () => undefined,
  };
}

function tooLarge(name: string): MachineFileError {
  return new MachineFileError('archive_limit_exceeded', `${name}: the GeoPackage is over ${MAX_BUFFERED_BYTES >> 20} MiB, the most Furrow reads into memory from this source; split the layer or upload the .gpkg on its own.`);
}

async function readUpTo(entry: FileEntry, limit: number, name: string, overLimit: 'fail' | 'stop'): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of entry.stream()) {
    if (total + chunk.length > limit) {
      if (overLimit === 'fail') throw tooLarge(name);
      chunks.push(chunk.subarray(0, limit - total));
      total = limit;
      break;
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** The bytes of an entry, once: reopened from the set each time when it can seek, else held in memory. */
export class EntryBytes {
  private buffered: Uint8Array | null = null;

  constructor(
    private readonly entry: FileEntry,
    private readonly name: string,
  ) {}

  async open(): Promise<OpenedSource> {
    if (this.entry.open !== undefined) return this.entry.open();
    if (this.buffered === null) {
      if (this.entry.size > MAX_BUFFERED_BYTES) throw tooLarge(this.name);
      this.buffered = await readUpTo(this.entry, MAX_BUFFERED_BYTES, this.name, 'fail');
    }
    return fromBytes(this.buffered, this.buffered.length, this.buffered.length);
  }
}

/** For detection: the entry's own random access, or its first `DETECT_PREFIX_BYTES` with `BeyondPrefix` past them. */
export async function openForDetection(entry: FileEntry, name: string): Promise<OpenedSource> {
  if (entry.open !== undefined) return entry.open();
  const prefix = await readUpTo(entry, DETECT_PREFIX_BYTES, name, 'stop');
  return fromBytes(prefix, prefix.length < DETECT_PREFIX_BYTES ? prefix.length : Math.max(entry.size, prefix.length), prefix.length);
}
