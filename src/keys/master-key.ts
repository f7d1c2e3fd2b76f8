/**
 * The master key: every other key (JWT signing, secret encryption) is derived from it with HKDF,
 * so one value in configuration protects everything, and each purpose gets an independent key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeMasterKey } from '../config.js';

export const MASTER_KEY_FILE = 'master.key';

/**
 * The configured master key, or in embedded mode the one kept in `<dataDir>/master.key`, created
 * on first start with mode 0600 so only Furrow's user can read it.
 */
export function resolveMasterKey(options: { configured: string | undefined; dataDir: string }): { key: Buffer; generated: boolean } {
  if (options.configured !== undefined) {
    const key = decodeMasterKey(options.configured);
    if (key === undefined) throw new Error('FURROW_MASTER_KEY is not 32 bytes of base64 or hex');
    return { key, generated: false };
  }
  const file = path.join(options.dataDir, MASTER_KEY_FILE);
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8').trim();
    const key = decodeMasterKey(text);
    if (key === undefined) throw new Error(`${file} does not hold 32 bytes of base64; restore it from a backup or set FURROW_MASTER_KEY`);
    return { key, generated: false };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const key = crypto.randomBytes(32);
  // 'wx' fails if another process created the file meanwhile; then that process's key wins.
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveMasterKey(options);
    throw error;
  }
  return { key, generated: true };
}

/** A 32-byte key for one purpose (RFC 5869 HKDF-SHA256, the purpose as `info`). */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), `furrow:${purpose}`, 32));
}

/**
 * A value stored in the database on first start: a later start with another master key computes
 * a different check and refuses to run, instead of failing later on every decryption.
 */
export function masterKeyCheck(master: Buffer): string {
  return crypto.createHmac('sha256', deriveKey(master, 'key-check')).update('furrow master key check v1').digest('base64');
}
