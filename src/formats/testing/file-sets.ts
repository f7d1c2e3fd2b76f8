/**
 * File sets for tests and benchmarks: a directory on disk, or named byte arrays in memory. The
 * service layer has its own (blob store, uploads); `formats/` itself never touches the disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ByteSource, FileEntry, FileSet } from '../machine-data.js';

const CHUNK = 1 << 20;

/** Every file under `dir`, recursively, with `/`-separated paths relative to it. */
export function fileSetFromDirectory(dir: string): FileSet {
  const entries: FileEntry[] = [];
  const walk = (current: string) => {
    for (const dirent of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, dirent.name);
      if (dirent.isDirectory()) walk(full);
      else if (dirent.isFile()) {
        entries.push({
          path: path.relative(dir, full).split(path.sep).join('/'),
          size: fs.statSync(full).size,
          stream: () => streamFile(full),
          open: () => Promise.resolve(byteSourceFromFile(full)),
        });
      }
    }
  };
  walk(dir);
  return { entries };
}

async function* streamFile(file: string): AsyncIterable<Uint8Array> {
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK })) yield chunk as Buffer;
}

/** Files held in memory, for synthetic fixtures and fuzzing. */
export function fileSetFromMemory(files: Record<string, Uint8Array | string>): FileSet {
  return {
    entries: Object.entries(files).map(([name, content]) => {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      return {
        path: name,
        size: bytes.length,
         
        stream: async function* () { for (let i = 0; i < bytes.length; i += CHUNK) yield bytes.subarray(i, i + CHUNK); },
      };
    }),
  };
}

/** Random access to a file on disk (for zip central directories). */
export function byteSourceFromFile(file: string): ByteSource & { close(): void } {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
      return new Promise((resolve, reject) => {
        fs.read(fd, buffer, 0, buffer.length, offset, (error, bytesRead) => (error ? reject(error) : resolve(buffer.subarray(0, bytesRead))));
      });
    },
    close: () => fs.closeSync(fd),
  };
}

/** Random access to bytes in memory. */
export function byteSourceFromBytes(bytes: Uint8Array): ByteSource {
   
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}
