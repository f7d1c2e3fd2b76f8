import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeThroughWriter, type BlobStore, type BlobWriter, type RandomAccessBlob } from './blob-store.js';
import { checkBlobKey } from './blob-key.js';

const CHUNK = 1 << 20;

const isMissing = (error: unknown) => typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';

/**
 * Blobs as files under `root` (`FURROW_FILES_DIR`). Writes go to a temporary file in the same
 * file system, are flushed, then renamed over the key, so a crash leaves the old blob or the new
 * one, never half of it. Several processes may share the directory (a shared volume in
 * distributed mode): rename is atomic there too.
 */
export function filesystemBlobStore(root: string): BlobStore {
  const tmpDir = path.join(root, '.tmp');
  const fileOf = (key: string) => path.join(root, ...checkBlobKey(key).split('/'));

  async function createWriter(key: string): Promise<BlobWriter> {
    const target = fileOf(key);
    await fsp.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${crypto.randomUUID()}.part`);
    const handle = await fsp.open(tmp, 'wx');
    let size = 0;
    let done = false;
    return {
      async write(chunk) {
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
        }
        size += chunk.length;
      },
      async commit() {
        if (done) throw new Error('blob writer already finished');
        done = true;
        try {
          await handle.sync();
          await handle.close();
          await fsp.mkdir(path.dirname(target), { recursive: true });
          await fsp.rename(tmp, target);
        } catch (error) {
          await fsp.rm(tmp, { force: true });
          throw error;
        }
        return { size };
      },
      async abort() {
        if (done) return;
        done = true;
        await handle.close().catch(() => {});
        await fsp.rm(tmp, { force: true });
      },
    };
  }

  return {
    createWriter,
    write: (key, source) => writeThroughWriter(createWriter, key, source),
    async read(key) {
      const file = fileOf(key);
      let handle: fsp.FileHandle;
      try {
        handle = await fsp.open(file, 'r');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      return (async function* () {
        try {
          for await (const chunk of handle.createReadStream({ highWaterMark: CHUNK, autoClose: false })) yield chunk as Buffer;
        } finally {
          await handle.close();
        }
      })();
    },
    async open(key): Promise<RandomAccessBlob | undefined> {
      let handle: fsp.FileHandle;
      try {
        handle = await fsp.open(fileOf(key), 'r');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      const { size } = await handle.stat();
      return {
        size,
        async read(offset, length) {
          const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
          let filled = 0;
          while (filled < buffer.length) {
            const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
          }
          return buffer.subarray(0, filled);
        },
        close: () => handle.close(),
      };
    },
    async size(key) {
      try {
        return (await fsp.stat(fileOf(key))).size;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async delete(key) {
      await fsp.rm(fileOf(key), { force: true });
    },
    async deletePrefix(prefix) {
      await fsp.rm(fileOf(prefix), { recursive: true, force: true });
    },
  };
}

/** For tests: whether a leftover temporary file exists (a writer that was neither committed nor aborted). */
export function hasTemporaryFiles(root: string): boolean {
  const dir = path.join(root, '.tmp');
  return fs.existsSync(dir) && fs.readdirSync(dir).length > 0;
}
