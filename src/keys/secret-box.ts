/**
 * Secrets at rest (SPEC section 5): AES-256-GCM with a fresh 96-bit IV per value (NIST SP 800-38D
 * section 8.2: random IVs of 96 bits), a key version in every ciphertext, and the identity of the
 * row and field as additional authenticated data, so a ciphertext copied to another row or field
 * fails to decrypt instead of handing one grower's secret to another.
 *
 * Text form: `v<version>.<iv>.<ciphertext>.<tag>`, each part base64url, so it fits a TEXT column
 * in both SQLite and PostgreSQL and the version can be read without a key.
 */
import crypto from 'node:crypto';
import { FurrowError } from '../domain/index.js';
import { deriveKey } from './master-key.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = /^v([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

/** Versioned 32-byte keys: `current` encrypts, every version in `keys` decrypts. */
export interface SecretKeyRing {
  readonly current: number;
  readonly keys: ReadonlyMap<number, Buffer>;
}

/**
 * A key ring from master keys by version; the highest version encrypts. Each version's key is
 * `deriveKey(master, 'secrets:v<n>')`, so rotating to a new version needs no new master key (the
 * same master derives an unrelated key), and a new master key only needs a new version number.
 */
export function secretKeyRing(versions: readonly { version: number; master: Buffer }[]): SecretKeyRing {
  if (versions.length === 0) throw new Error('a secret key ring needs at least one version; pass { version: 1, master }');
  const keys = new Map<number, Buffer>();
  for (const { version, master } of versions) {
    if (!Number.isInteger(version) || version < 1 || version > 999_999_999) throw new Error(`secret key versions are integers from 1; found ${version}`);
    if (master.length !== 32) throw new Error(`a master key is 32 bytes; version ${version} has ${master.length}`);
    if (keys.has(version)) throw new Error(`secret key version ${version} is given twice; each version needs exactly one master key`);
    keys.set(version, deriveKey(master, `secrets:v${version}`));
  }
  return { current: Math.max(...keys.keys()), keys };
}

/** The usual ring: versions 1..`current`, all derived from one master key (rotation without a new master). */
export function secretKeyRingFromMaster(master: Buffer, current = 1): SecretKeyRing {
  return secretKeyRing(Array.from({ length: current }, (_, i) => ({ version: i + 1, master })));
}

/**
 * The additional authenticated data naming where a secret lives, e.g. `credential:<id>:clientSecret`.
 * Stable text: changing it makes every stored secret undecryptable.
 */
export function secretAad(table: string, rowId: string, field: string): string {
  return `${table}:${rowId}:${field}`;
}

/** Encrypts and decrypts secrets bound to a row identity; see the module comment. */
export interface SecretBox {
  /** The version new ciphertexts carry. */
  readonly currentVersion: number;
  encrypt(plaintext: string, aad: string): string;
  /** @throws FurrowError `secret_undecryptable` when the text is malformed, its version unknown, or it was altered or moved. */
  decrypt(ciphertext: string, aad: string): string;
  /** True when the ciphertext was made with an older key version: decrypt and encrypt it again (lazy rotation). */
  needsReencryption(ciphertext: string): boolean;
}

/** A secret box over a key ring. */
export function createSecretBox(ring: SecretKeyRing): SecretBox {
  const current = ring.keys.get(ring.current);
  if (current === undefined) throw new Error(`the key ring has no key for its current version ${ring.current}`);
  const versions = () => [...ring.keys.keys()].sort((a, b) => a - b).join(', ');

  return {
    currentVersion: ring.current,

    encrypt(plaintext, aad) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv(ALGORITHM, current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(boundAad(ring.current, aad));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [`v${ring.current}`, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },

    decrypt(text, aad) {
      const parts = parse(text, aad);
      const key = ring.keys.get(parts.version);
      if (key === undefined) {
        throw new FurrowError(
          'secret_undecryptable',
          `The secret for ${aad} was encrypted with key version ${parts.version}, but the key ring holds versions ${versions()}. Start Furrow with the master key that encrypted it (or re-enter the credential).`,
        );
      }
      const decipher = crypto.createDecipheriv(ALGORITHM, key, parts.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(boundAad(parts.version, aad));
      decipher.setAuthTag(parts.tag);
      try {
        return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new FurrowError(
          'secret_undecryptable',
          `The secret for ${aad} failed authentication under key version ${parts.version}: it was altered, copied from another row or field, or the master key for that version is not the one that encrypted it. Restore the row or the master key, or re-enter the credential.`,
          { cause },
        );
      }
    },

    needsReencryption(text) {
      return parse(text, 'this value').version !== ring.current;
    },
  };
}

/** The version is authenticated too, so a ciphertext relabelled with another version fails. */
function boundAad(version: number, aad: string): Buffer {
  return Buffer.from(`furrow-secret:v${version}:${aad}`, 'utf8');
}

function parse(text: string, aad: string): { version: number; iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const match = FORMAT.exec(text);
  if (match === null) {
    throw new FurrowError(
      'secret_undecryptable',
      `The secret for ${aad} is not in the form v<version>.<iv>.<ciphertext>.<tag> (base64url); found ${text.length} characters that are not (none of them is shown, in case they are a plain secret). The column was overwritten with something other than a Furrow ciphertext; re-enter the credential.`,
    );
  }
  return {
    version: Number(match[1]),
    iv: Buffer.from(match[2]!, 'base64url'),
    ciphertext: Buffer.from(match[3]!, 'base64url'),
    tag: Buffer.from(match[4]!, 'base64url'),
  };
}
