import { describe, expect, it } from 'vitest';
import { isFurrowError } from '../domain/index.js';
import { createSecretBox, deriveKey, SECRET_KEY_LOOKAHEAD, secretAad, secretKeyRing, secretKeyRingFromMaster } from './index.js';

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
    // A version below the first one a master key was given for cannot be derived.
    const fromBefore = box.encrypt(secret, aad);
    expect(() => createSecretBox(secretKeyRing([{ version: 3, master }])).decrypt(fromBefore, aad)).toThrow(/key version 1, which this key ring cannot derive/);
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

  it('derives a different key for each version of the same master key, as deriveKey(master, secrets:v<n>)', () => {
    const ring = secretKeyRingFromMaster(master, 2);
    expect(ring.keyFor(1)!.equals(ring.keyFor(2)!)).toBe(false);
    // The derivation is the stored format: changing it makes every stored secret undecryptable.
    expect(ring.keyFor(1)!.equals(deriveKey(master, 'secrets:v1'))).toBe(true);
    expect(ring.keyFor(7)!.equals(deriveKey(master, 'secrets:v7'))).toBe(true);
  });

  it('rejects a ring with no versions, a duplicated version or a short master key', () => {
    expect(() => secretKeyRing([])).toThrow(/at least one version/);
    expect(() => secretKeyRing([{ version: 1, master }, { version: 1, master: otherMaster }])).toThrow(/given twice/);
    expect(() => secretKeyRing([{ version: 1, master: Buffer.alloc(16) }])).toThrow(/32 bytes/);
    expect(() => secretKeyRing([{ version: 0, master }])).toThrow(/integer from 1/);
    expect(() => secretKeyRing([{ version: 1, master }, { version: 3, master: otherMaster }], 2)).toThrow(/below version 3/);
    expect(() => secretKeyRingFromMaster(master, 1_000_000_000)).toThrow(/integer from 1/);
  });
});

describe('keys derived on demand (rotation while processes run)', () => {
  it('lets a box made before a rotation decrypt what newer versions encrypted', () => {
    const early = createSecretBox(secretKeyRingFromMaster(master, 1));
    const v2 = createSecretBox(secretKeyRingFromMaster(master, 2)).encrypt(secret, aad);
    const v7 = createSecretBox(secretKeyRingFromMaster(master, 7)).encrypt(secret, aad);
    expect(early.decrypt(v2, aad)).toBe(secret);
    expect(early.decrypt(v7, aad)).toBe(secret);
  });

  it('encrypts with the newest version it has authenticated, and never goes back', () => {
    const early = createSecretBox(secretKeyRingFromMaster(master, 1));
    const v1 = early.encrypt(secret, aad);
    early.decrypt(createSecretBox(secretKeyRingFromMaster(master, 3)).encrypt(secret, aad), aad);
    expect(early.currentVersion).toBe(3);
    expect(early.encrypt(secret, aad).startsWith('v3.')).toBe(true);
    expect(early.needsReencryption(v1)).toBe(true);
    early.decrypt(v1, aad);
    expect(early.currentVersion).toBe(3);
    // A newer ciphertext needs no re-encryption (nothing is ever encrypted down to an older key).
    const young = createSecretBox(secretKeyRingFromMaster(master, 1));
    expect(young.needsReencryption(createSecretBox(secretKeyRingFromMaster(master, 2)).encrypt(secret, aad))).toBe(false);
  });

  it('does not move its version for a forged or foreign ciphertext claiming a newer one', () => {
    const box = createSecretBox(secretKeyRingFromMaster(master, 1));
    const relabelled = box.encrypt(secret, aad).replace(/^v1\./, 'v2.');
    expect(undecryptable(() => box.decrypt(relabelled, aad))).toBe(true);
    const foreign = createSecretBox(secretKeyRingFromMaster(otherMaster, 2)).encrypt(secret, aad);
    expect(undecryptable(() => box.decrypt(foreign, aad))).toBe(true);
    expect(box.currentVersion).toBe(1);
  });

  it('advances to a version learned elsewhere, only forwards', () => {
    const box = createSecretBox(secretKeyRingFromMaster(master, 2));
    expect(box.advanceTo(1)).toBe(false);
    expect(box.advanceTo(2)).toBe(false);
    expect(box.currentVersion).toBe(2);
    expect(box.advanceTo(4)).toBe(true);
    expect(box.currentVersion).toBe(4);
    const v4 = box.encrypt(secret, aad);
    expect(v4.startsWith('v4.')).toBe(true);
    expect(createSecretBox(secretKeyRingFromMaster(master, 1)).decrypt(v4, aad)).toBe(secret);
    expect(() => box.advanceTo(0)).toThrow(/integer from 1/);
    expect(() => box.advanceTo(2.5)).toThrow(/integer from 1/);
  });

  it(`refuses a version more than ${SECRET_KEY_LOOKAHEAD} past its current one, which no rotation produces`, () => {
    const box = createSecretBox(secretKeyRingFromMaster(master, 1));
    const far = createSecretBox(secretKeyRingFromMaster(master, 2 + SECRET_KEY_LOOKAHEAD)).encrypt(secret, aad);
    expect(() => box.decrypt(far, aad)).toThrow(new RegExp(`claims key version ${2 + SECRET_KEY_LOOKAHEAD}, more than ${SECRET_KEY_LOOKAHEAD} versions past`));
    expect(box.currentVersion).toBe(1);
    const edge = createSecretBox(secretKeyRingFromMaster(master, 1 + SECRET_KEY_LOOKAHEAD)).encrypt(secret, aad);
    expect(box.decrypt(edge, aad)).toBe(secret);
    // Once the box has moved on, the window moves with it.
    expect(box.decrypt(far, aad)).toBe(secret);
  });

  it('derives later versions from the master key given for the nearest earlier version', () => {
    const ring = secretKeyRing([
      { version: 1, master },
      { version: 3, master: otherMaster },
    ]);
    expect(ring.current).toBe(3);
    expect(ring.keyFor(2)!.equals(deriveKey(master, 'secrets:v2'))).toBe(true);
    expect(ring.keyFor(3)!.equals(deriveKey(otherMaster, 'secrets:v3'))).toBe(true);
    expect(ring.keyFor(5)!.equals(deriveKey(otherMaster, 'secrets:v5'))).toBe(true);
    expect(ring.keyFor(0)).toBeUndefined();
    expect(secretKeyRing([{ version: 2, master }]).keyFor(1)).toBeUndefined();
    const v5 = createSecretBox(secretKeyRing([{ version: 3, master: otherMaster }], 5)).encrypt(secret, aad);
    expect(createSecretBox(ring).decrypt(v5, aad)).toBe(secret);
  });
});
