/**
 * Machine files on disk as a `FileSet`, for `furrow convert` and anything else that starts from a
 * path: a zip (nested zips expanded, with the archive limits), a folder (recursively), or a single
 * file, which brings its folder's other files along because a format may need them (a lone
 * TASKDATA.XML needs its TLG files; a .shp needs its .dbf, .shx and .prj).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isZipPath, openZip, type ArchiveLimits } from '../formats/archive/zip.js';
import { MachineFileError, type ByteSource, type FileEntry, type FileSet } from '../formats/machine-data.js';

const CHUNK = 1 << 20;

export interface OpenedFileSet {
  readonly files: FileSet;
  /**
   * For a single file opened with its siblings: its path inside `files`, so callers can keep only
   * the datasets that use it. Undefined for a zip or a folder (everything in it was asked for).
   */
  readonly selected?: string;
  /** Releases file handles (the zip's). Idempotent. */
  close(): void;
}

/** Opens `pathOnDisk` as a file set; throws `missing_file` when nothing is there. */
export async function openFileSet(pathOnDisk: string, limits: Partial<ArchiveLimits> = {}): Promise<OpenedFileSet> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(pathOnDisk);
  } catch (error) {
    throw new MachineFileError('missing_file', `${pathOnDisk} does not exist or cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path.`, { cause: error });
  }
  if (stat.isDirectory()) return { files: fileSetFromFolder(pathOnDisk, true), close: () => undefined };
  if (isZipPath(pathOnDisk) || (await startsWithZipSignature(pathOnDisk))) {
    const source = byteSourceFromFile(pathOnDisk);
    try {
      return { files: await openZip(source, limits), close: source.close };
    } catch (error) {
      source.close();
      throw error;
    }
  }
  const folder = fileSetFromFolder(path.dirname(pathOnDisk), false);
  const selected = path.basename(pathOnDisk);
  // A text export stands alone; with its siblings it would give way to a shapefile of the same
  // records beside it (see the Ag Leader text format), though it is the file that was asked for.
  if (/\.(txt|csv)$/i.test(selected)) return { files: { entries: folder.entries.filter((e) => e.path === selected) }, selected, close: () => undefined };
  return { files: folder, selected, close: () => undefined };
}

/** The files of a folder, `/`-separated paths relative to it; subfolders only when `recursive`. */
function fileSetFromFolder(dir: string, recursive: boolean): FileSet {
  const entries: FileEntry[] = [];
  const walk = (current: string) => {
    for (const dirent of fs.readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, dirent.name);
      if (dirent.isDirectory() && recursive) walk(full);
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

async function startsWithZipSignature(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

/** Random access to a file through one descriptor, closed by `close()`. */
function byteSourceFromFile(file: string): ByteSource & { close(): void } {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  let closed = false;
  return {
    size,
    read(offset, length) {
      const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
      return new Promise((resolve, reject) => {
        fs.read(fd, buffer, 0, buffer.length, offset, (error, bytesRead) => (error ? reject(error) : resolve(buffer.subarray(0, bytesRead))));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}
