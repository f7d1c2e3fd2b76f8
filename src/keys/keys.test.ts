import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveKey, hashPassword, masterKeyCheck, resolveMasterKey, verifyPassword } from './index.js';

describe('the master key', () => {
  it('is generated once into the data directory with mode 0600, then reused', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-key-'));
    const first = resolveMasterKey({ configured: undefined, dataDir });
    expect(first.generated).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    const second = resolveMasterKey({ configured: undefined, dataDir });
    expect(second.generated).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('derives independent keys per purpose, and a check value that differs per master key', () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    expect(deriveKey(a, 'jwt').equals(deriveKey(a, 'secrets'))).toBe(false);
    expect(deriveKey(a, 'jwt').equals(deriveKey(a, 'jwt'))).toBe(true);
    expect(masterKeyCheck(a)).not.toBe(masterKeyCheck(b));
  });
});

describe('passwords', () => {
  it('verify only the password they were made from, with a fresh salt each time', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash.startsWith('scrypt$32768$8$1$')).toBe(true);
    expect(hash).not.toBe(await hashPassword('correct horse battery'));
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});
