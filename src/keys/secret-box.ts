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

/**
 * How far past its current version a box derives a key to decrypt. Versions are derived from the
 * master, so a process started before `furrow keys rotate` can decrypt what the rotation wrote;
 * rotations are rare, so a ciphertext claiming a version this far ahead was altered, and refusing
 * it bounds the keys a box derives and keeps.
 */
export const SECRET_KEY_LOOKAHEAD = 100;

const MAX_VERSION = 999_999_999;

/**
 * Versioned 32-byte keys, derived on demand: `current` encrypts (when a box is created), and any
 * version from the lowest given one upwards decrypts, including versions newer than `current`.
 */
export interface SecretKeyRing {
  readonly current: number;
  /** The key of `version`, derived on each call; undefined when no master key covers it. */
  keyFor(version: number): Buffer | undefined;
}

function checkVersion(version: number, what: string): void {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw new Error(`${what} must be an integer from 1 to ${MAX_VERSION}; found ${version}`);
}

/**
 * A key ring from master keys by the version each starts at. Version `n` uses the master given for
 * the highest version at or below `n`, and its key is `deriveKey(master, 'secrets:v<n>')`: rotating
 * to a new version needs no new master key (the same master derives an unrelated key), and a new
 * master key only needs a new version number. `current` (default: the highest version given) may be
 * higher than every version given; those versions use the last master.
 */
export function secretKeyRing(versions: readonly { version: number; master: Buffer }[], current?: number): SecretKeyRing {
  if (versions.length === 0) throw new Error('a secret key ring needs at least one version; pass { version: 1, master }');
  const masters = new Map<number, Buffer>();
  for (const { version, master } of versions) {
    checkVersion(version, 'a secret key version');
    if (master.length !== 32) throw new Error(`a master key is 32 bytes; version ${version} has ${master.length}`);
    if (masters.has(version)) throw new Error(`secret key version ${version} is given twice; each version needs exactly one master key`);
    masters.set(version, master);
  }
  const starts = [...masters.keys()].sort((a, b) => b - a); // highest first
  const highest = starts[0]!;
  const encrypting = current ?? highest;
  checkVersion(encrypting, 'the current secret key version');
  if (encrypting < highest) throw new Error(`the current secret key version ${encrypting} is below version ${highest}, whose master key would never encrypt`);
  return {
    current: encrypting,
    keyFor(version) {
      if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) return undefined;
      const start = starts.find((s) => s <= version);
      return start === undefined ? undefined : deriveKey(masters.get(start)!, `secrets:v${version}`);
    },
  };
}

/** The usual ring: every version derived from one master key (rotation without a new master). */
export function secretKeyRingFromMaster(master: Buffer, current = 1): SecretKeyRing {
  return secretKeyRing([{ version: 1, master }], current);
}

/**
 * The additional authenticated data naming where a secret lives, e.g. `credential:<id>:clientSecret`.
 * Stable text: changing it makes every stored secret undecryptable.
 */
export function secretAad(table: string, rowId: string, field: string): string {
  return `${table}:${rowId}:${field}`;
}

/**
 * Encrypts and decrypts secrets bound to a row identity; see the module comment. The encrypting
 * version only moves forward: when the caller learns a newer one (`secret_key_version` in
 * furrow_meta, see services/secret-keys.ts), or when a ciphertext of a newer version authenticates,
 * which proves another process holding the master key already encrypts with it.
 */
export interface SecretBox {
  /** The version new ciphertexts carry. */
  readonly currentVersion: number;
  /** Makes `version` the encrypting version if it is newer than the current one; true if it was. */
  advanceTo(version: number): boolean;
  encrypt(plaintext: string, aad: string): string;
  /**
   * Decrypts with the key of the ciphertext's version, derived on first use.
   * @throws FurrowError `secret_undecryptable` when the text is malformed, its version underivable
   * or implausibly far ahead, or it was altered or moved.
   */
  decrypt(ciphertext: string, aad: string): string;
  /** True when the ciphertext was made with an older key version: decrypt and encrypt it again (lazy rotation). */
  needsReencryption(ciphertext: string): boolean;
}

/** A secret box over a key ring. */
export function createSecretBox(ring: SecretKeyRing): SecretBox {
  let current = ring.current;
  // Keys derived so far. Only versions up to current + SECRET_KEY_LOOKAHEAD are ever derived, so
  // this stays small even if rows claim arbitrary versions.
  const keys = new Map<number, Buffer>();
  const keyFor = (version: number): Buffer | undefined => {
    let key = keys.get(version);
    if (key === undefined) {
      key = ring.keyFor(version);
      if (key !== undefined) keys.set(version, key);
    }
    return key;
  };
  if (keyFor(current) === undefined) throw new Error(`the key ring cannot derive a key for its current version ${current}`);

  const box: SecretBox = {
    get currentVersion() {
      return current;
    },

    advanceTo(version) {
      checkVersion(version, 'a secret key version');
      if (version <= current) return false;
      if (keyFor(version) === undefined) throw new Error(`the key ring cannot derive a key for version ${version}`);
      current = version;
      return true;
    },

    encrypt(plaintext, aad) {
      const version = current;
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv(ALGORITHM, keyFor(version)!, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(boundAad(version, aad));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [`v${version}`, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },

    decrypt(text, aad) {
      const parts = parse(text, aad);
      if (parts.version > current + SECRET_KEY_LOOKAHEAD) {
        throw new FurrowError(
          'secret_undecryptable',
          `The secret for ${aad} claims key version ${parts.version}, more than ${SECRET_KEY_LOOKAHEAD} versions past the current version ${current}; no rotation gets that far ahead, so the row was altered. Restore the row or re-enter the credential.`,
        );
      }
      const key = keyFor(parts.version);
      if (key === undefined) {
        throw new FurrowError(
          'secret_undecryptable',
          `The secret for ${aad} was encrypted with key version ${parts.version}, which this key ring cannot derive (its master keys start at a later version). Start Furrow with the master key that encrypted it (or re-enter the credential).`,
        );
      }
      const decipher = crypto.createDecipheriv(ALGORITHM, key, parts.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(boundAad(parts.version, aad));
      decipher.setAuthTag(parts.tag);
      let plaintext: string;
      try {
        plaintext = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new FurrowError(
          'secret_undecryptable',
          `The secret for ${aad} failed authentication under key version ${parts.version}: it was altered, copied from another row or field, or the master key for that version is not the one that encrypted it. Restore the row or the master key, or re-enter the credential.`,
          { cause },
        );
      }
      // Authenticated, so made by a holder of the master key: a rotation reached this version.
      if (parts.version > current) current = parts.version;
      return plaintext;
    },

    needsReencryption(text) {
      return parse(text, 'this value').version < current;
    },
  };
  return box;
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
