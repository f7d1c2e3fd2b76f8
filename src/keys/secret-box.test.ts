import { describe, expect, it } from 'vitest';
import { isFurrowError } from '../domain/index.js';
import { createSecretBox, secretAad, secretKeyRing, secretKeyRingFromMaster } from './index.js';

const master = Buffer.alloc(32, 7);
const otherMaster = Buffer.alloc(32, 9);
const aad = secretAad('credential', '3f0c6a52-1111-4c3e-9a55-1c0a5d7e2b10', 'clientSecret');
const secret = 'jd-client-secret-0123456789abcdef';

function undecryptable(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (error) {
    return isFurrowError(error, 'secret_undecryptable');
  }
}

describe('the secret box', () => {
  const box = createSecretBox(secretKeyRingFromMaster(master));

  it('decrypts what it encrypted, for the same row and field', () => {
    const ciphertext = box.encrypt(secret, aad);
    expect(box.decrypt(ciphertext, aad)).toBe(secret);
    expect(box.decrypt(box.encrypt('', aad), aad)).toBe('');
    expect(box.decrypt(box.encrypt('ünïcødé 🌾', aad), aad)).toBe('ünïcødé 🌾');
  });

  it('writes v<version>.<iv>.<ciphertext>.<tag> without the plaintext, with a fresh IV each time', () => {
    const first = box.encrypt(secret, aad);
    const second = box.encrypt(secret, aad);
    expect(first).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(first).not.toBe(second);
    for (const encoding of ['utf8', 'base64', 'base64url', 'hex'] as const) {
      expect(first).not.toContain(Buffer.from(secret).toString(encoding).slice(0, 12));
    }
  });

  it('refuses a ciphertext moved to another row or another field', () => {
    const ciphertext = box.encrypt(secret, aad);
    expect(undecryptable(() => box.decrypt(ciphertext, secretAad('credential', 'another-row', 'clientSecret')))).toBe(true);
    expect(undecryptable(() => box.decrypt(ciphertext, secretAad('credential', '3f0c6a52-1111-4c3e-9a55-1c0a5d7e2b10', 'refreshToken')))).toBe(true);
  });

  it('refuses a tampered ciphertext, IV, tag or version label', () => {
    const [version, iv, body, tag] = box.encrypt(secret, aad).split('.') as [string, string, string, string];
    const flip = (part: string) => `${part[0] === 'A' ? 'B' : 'A'}${part.slice(1)}`;
    for (const tampered of [
      [version, iv, flip(body), tag],
      [version, flip(iv), body, tag],
      [version, iv, body, flip(tag)],
      [version, iv, body.slice(0, -2), tag],
    ]) {
      expect(undecryptable(() => box.decrypt(tampered.join('.'), aad))).toBe(true);
    }
    // A version relabelled to another key the ring holds still fails: the version is authenticated.
    const twoVersions = createSecretBox(secretKeyRingFromMaster(master, 2));
    const v1 = box.encrypt(secret, aad);
    expect(undecryptable(() => twoVersions.decrypt(v1.replace(/^v1\./, 'v2.'), aad))).toBe(true);
  });

  it('refuses malformed text and an unknown version with a message naming the row, never the secret', () => {
    expect(undecryptable(() => box.decrypt(secret, aad))).toBe(true);
    try {
      box.decrypt(secret, aad);
    } catch (error) {
      expect((error as Error).message).toContain(aad);
      expect((error as Error).message).not.toContain(secret.slice(0, 4));
    }
    const fromTheFuture = createSecretBox(secretKeyRingFromMaster(master, 5)).encrypt(secret, aad);
    expect(() => box.decrypt(fromTheFuture, aad)).toThrow(/key version 5, but the key ring holds versions 1/);
  });

  it('refuses a ciphertext made under another master key', () => {
    const other = createSecretBox(secretKeyRingFromMaster(otherMaster));
    expect(undecryptable(() => box.decrypt(other.encrypt(secret, aad), aad))).toBe(true);
  });
});

describe('key rotation', () => {
  it('decrypts old versions while the newest encrypts, and reports what needs re-encryption', () => {
    const before = createSecretBox(secretKeyRingFromMaster(master, 1));
    const old = before.encrypt(secret, aad);
    const after = createSecretBox(secretKeyRingFromMaster(master, 2));
    expect(after.currentVersion).toBe(2);
    expect(after.decrypt(old, aad)).toBe(secret);
    expect(after.needsReencryption(old)).toBe(true);
    const fresh = after.encrypt(after.decrypt(old, aad), aad);
    expect(fresh.startsWith('v2.')).toBe(true);
    expect(after.needsReencryption(fresh)).toBe(false);
    expect(before.needsReencryption(old)).toBe(false);
  });

  it('can move to a new master key while the old one still decrypts its version', () => {
    const old = createSecretBox(secretKeyRing([{ version: 1, master }])).encrypt(secret, aad);
    const ring = secretKeyRing([
      { version: 1, master },
      { version: 2, master: otherMaster },
    ]);
    const box = createSecretBox(ring);
    expect(box.decrypt(old, aad)).toBe(secret);
    expect(box.decrypt(box.encrypt(secret, aad), aad)).toBe(secret);
  });

  it('derives a different key for each version of the same master key', () => {
    const ring = secretKeyRingFromMaster(master, 2);
    expect(ring.keys.get(1)!.equals(ring.keys.get(2)!)).toBe(false);
  });

  it('rejects a ring with no versions, a duplicated version or a short master key', () => {
    expect(() => secretKeyRing([])).toThrow(/at least one version/);
    expect(() => secretKeyRing([{ version: 1, master }, { version: 1, master: otherMaster }])).toThrow(/given twice/);
    expect(() => secretKeyRing([{ version: 1, master: Buffer.alloc(16) }])).toThrow(/32 bytes/);
    expect(() => secretKeyRing([{ version: 0, master }])).toThrow(/integers from 1/);
  });
});
