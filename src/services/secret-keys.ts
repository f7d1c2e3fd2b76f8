/**
 * Secret key rotation while processes run (SPEC section 5: "Key rotation re-encrypts lazily and
 * with `furrow keys rotate`").
 *
 * The encrypting version lives in furrow_meta (`secret_key_version`). Every version's key is
 * derived from the master key, so a secret box decrypts versions newer than the one it was started
 * with (keys/secret-box.ts), and a running process never meets a ciphertext it cannot read. What a
 * process must also learn is that it should encrypt with the new version: `refreshCurrentVersion`
 * re-reads furrow_meta when its last reading is older than `SECRET_KEY_VERSION_TTL_MS`, and callers
 * await it before they encrypt. So once a rotation has bumped the version, no process encrypts
 * with an older one for longer than that TTL; `rotate` sweeps once at once and once more after a
 * grace period longer than the TTL, to catch what processes wrote in between.
 *
 * Every re-encryption is a compare-and-set on the ciphertext it decrypted
 * (`CredentialsRepository.reencrypt`): a row that a refresh or a reconnect changed meanwhile is
 * left to its writer and looked at again, never overwritten with stale secrets.
 */
import crypto from 'node:crypto';
import { FurrowError, isFurrowError, type CredentialRecord } from '../domain/index.js';
import { createSecretBox, masterKeyCheck, secretAad, secretKeyRingFromMaster, type SecretBox } from '../keys/index.js';
import type { Storage } from '../storage/database.js';
import { credentialsRepository, type CredentialsRepository } from '../storage/repositories/credentials.js';
import { metaRepository, type MetaRepository } from '../storage/repositories/meta.js';
import { appKeysRepository, type AppKeysRepository } from '../storage/repositories/app-keys.js';
import { oauthStatesRepository, type OAuthStatesRepository } from '../storage/repositories/oauth-states.js';
import { appKeyAad } from './app-keys.js';
import { pkceVerifierAad } from './magic-links.js';
import { providerEventTokensRepository } from '../storage/repositories/provider-event-tokens.js';
import { eventTokenSecretColumn } from './sync-events.js';

/** The furrow_meta key holding the version new secrets are encrypted with. */
export const SECRET_KEY_VERSION = 'secret_key_version';
/** How long a process keeps encrypting with the version it last read from furrow_meta. */
export const SECRET_KEY_VERSION_TTL_MS = 5_000;
/** How long `furrow keys rotate` waits for running processes to pick up the new version before its last sweep. */
export const ROTATION_GRACE_MS = 3 * SECRET_KEY_VERSION_TTL_MS;

const MASTER_KEY_CHECK = 'master_key_check';
const MAX_CONFLICTS_PER_ROW = 5;

/**
 * The additional authenticated data of a credential's secrets: its natural key (user, provider),
 * which a reconnect keeps. Stable text: changing it makes every stored secret undecryptable.
 */
export function credentialSecretsAad(record: Pick<CredentialRecord, 'userId' | 'provider'>): string {
  return secretAad('credentials', `${record.userId}:${record.provider}`, 'secrets');
}

/**
 * An encrypted column `rotate` sweeps besides the credentials' secrets (app keys, PKCE verifiers).
 * The same rules hold: read, decrypt with its additional data, write back as a compare-and-set.
 */
export interface SecretColumn {
  /** Names its rows in the report: `<name>:<id>`. */
  name: string;
  idsWithKeyVersionBelow(version: number, limit: number): Promise<string[]>;
  /** The row's ciphertext, the additional data it was sealed with and its version; undefined once gone. */
  find(id: string): Promise<{ ciphertext: string; aad: string; keyVersion: number } | undefined>;
  reencrypt(id: string, previous: string, next: string, keyVersion: number): Promise<boolean>;
}

/** App keys' secrets (`app_keys.secrets`). */
export function appKeySecretColumn(appKeys: Pick<AppKeysRepository, 'idsWithKeyVersionBelow' | 'findById' | 'reencrypt'>): SecretColumn {
  return {
    name: 'app_keys',
    idsWithKeyVersionBelow: (version, limit) => appKeys.idsWithKeyVersionBelow(version, limit),
    async find(id) {
      const record = await appKeys.findById(id);
      return record === undefined ? undefined : { ciphertext: record.secrets, aad: appKeyAad(record), keyVersion: record.keyVersion };
    },
    reencrypt: (id, previous, next, keyVersion) => appKeys.reencrypt(id, previous, next, keyVersion),
  };
}

/** PKCE verifiers of OAuth connections in flight (`oauth_states.code_verifier`). */
export function pkceVerifierSecretColumn(states: Pick<OAuthStatesRepository, 'idsWithKeyVersionBelow' | 'find' | 'reencrypt'>): SecretColumn {
  return {
    name: 'oauth_states',
    idsWithKeyVersionBelow: (version, limit) => states.idsWithKeyVersionBelow(version, limit),
    async find(stateHash) {
      const record = await states.find(stateHash);
      return record?.codeVerifier === null || record === undefined ? undefined : { ciphertext: record.codeVerifier, aad: pkceVerifierAad(stateHash), keyVersion: record.keyVersion };
    },
    reencrypt: (stateHash, previous, next, keyVersion) => states.reencrypt(stateHash, previous, next, keyVersion),
  };
}

/** What one pass over the credentials below a version did. */
export interface SweepReport {
  /** Rows written again under the new version (credentials and the other secret columns). */
  reencrypted: number;
  /** Compare-and-sets lost because the row changed meanwhile (the row was then looked at again). */
  conflicts: number;
  /** Rows whose secrets do not decrypt (altered, moved, or another master key): left as they are. Credential ids as they are, other columns' as `<column>:<id>`. */
  undecryptable: string[];
  /** Rows that kept changing under the sweep; the next rotation or the lazy path moves them. */
  gaveUp: string[];
}

export interface RotationReport extends SweepReport {
  from: number;
  to: number;
  /** Rows still below `to` at the end: `undecryptable` and `gaveUp`. */
  remaining: number;
}

export interface RotateOptions {
  /** Rows read and re-encrypted per query; 100 by default. */
  batchSize?: number;
  /** Wait this long after the bump, then sweep again; 0 (the default) sweeps once. The CLI uses `ROTATION_GRACE_MS`. */
  graceMs?: number;
  /** Progress lines for a human (the CLI prints them). */
  log?: (message: string) => void;
}

export interface SecretKeysService {
  /**
   * The version to encrypt with: advances the secret box to `secret_key_version` when the last
   * reading is older than the TTL. Await it right before encrypting. Never throws: when furrow_meta
   * cannot be read the box keeps its version, and the next call tries again.
   */
  refreshCurrentVersion(): Promise<number>;
  /**
   * Lazy rotation: re-encrypts the row under the current version if it is under an older one, as a
   * compare-and-set on `record.secrets`. True if it wrote. Never throws (best effort, in passing).
   */
  reencryptIfOutdated(record: CredentialRecord): Promise<boolean>;
  /**
   * `furrow keys rotate`: refuses a master key other than the database's, bumps
   * `secret_key_version` atomically past every version in use, then re-encrypts every credential
   * below it in batches.
   */
  rotate(options?: RotateOptions): Promise<RotationReport>;
}

export interface SecretKeysOptions {
  credentials: CredentialsRepository;
  meta: MetaRepository;
  /** Encrypted columns besides the credentials' that `rotate` re-encrypts. */
  columns?: readonly SecretColumn[];
  /** The box the credentials service encrypts with: this service advances its version. */
  secretBox: SecretBox;
  masterKey: Buffer;
  clock?: () => number;
  /** `SECRET_KEY_VERSION_TTL_MS` by default. */
  versionTtlMs?: number;
}

function parseVersion(text: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) {
    throw new Error(`furrow_meta.${SECRET_KEY_VERSION} holds "${text.slice(0, 20)}", not a key version (an integer from 1); restore it to the highest version in credentials.key_version`);
  }
  return Number(text);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function secretKeysService(options: SecretKeysOptions): SecretKeysService {
  const { credentials, meta, secretBox: box, masterKey } = options;
  const clock = options.clock ?? Date.now;
  const ttl = options.versionTtlMs ?? SECRET_KEY_VERSION_TTL_MS;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<number> | undefined;

  const refreshCurrentVersion = (): Promise<number> => {
    if (clock() - readAt < ttl) return Promise.resolve(box.currentVersion);
    // One reading at a time; its age counts from when it started, so it is never fresher than it is.
    reading ??= (async () => {
      const started = clock();
      try {
        const stored = await meta.get(SECRET_KEY_VERSION);
        if (stored !== undefined) box.advanceTo(parseVersion(stored));
        readAt = started;
      } catch {
        // Keep the version we have; the next encryption asks again.
      } finally {
        reading = undefined;
      }
      return box.currentVersion;
    })();
    return reading;
  };

  /** The credentials' secrets, as a column like the others (their ids reported bare). */
  const credentialColumn: SecretColumn = {
    name: '',
    idsWithKeyVersionBelow: (version, limit) => credentials.idsWithKeyVersionBelow(version, limit),
    async find(id) {
      const record = await credentials.findById(id);
      return record === undefined ? undefined : { ciphertext: record.secrets, aad: credentialSecretsAad(record), keyVersion: record.keyVersion };
    },
    reencrypt: (id, previous, next, keyVersion) => credentials.reencrypt(id, previous, next, keyVersion),
  };
  const columns = [credentialColumn, ...(options.columns ?? [])];

  /** Decrypts and re-encrypts one row under the box's current version, as a compare-and-set. */
  const reencryptRow = async (column: SecretColumn, id: string, row: { ciphertext: string; aad: string }): Promise<boolean> => {
    const plaintext = box.decrypt(row.ciphertext, row.aad);
    // No await between reading the version and encrypting: the column names the version used.
    const version = box.currentVersion;
    return column.reencrypt(id, row.ciphertext, box.encrypt(plaintext, row.aad), version);
  };

  const checkMasterKey = async () => {
    const expected = masterKeyCheck(masterKey);
    const stored = await meta.setIfAbsent(MASTER_KEY_CHECK, expected);
    if (stored.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(stored), Buffer.from(expected))) {
      throw new FurrowError(
        'master_key_mismatch',
        'The master key does not match the one this database was created with, so its secrets cannot be re-encrypted (and nothing was changed). ' +
          'Set FURROW_MASTER_KEY (or restore <data>/master.key) to the original key.',
      );
    }
  };

  /** Bumps the stored version past both the stored one and any this process has seen. */
  const bump = async (): Promise<{ from: number; to: number }> => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const stored = await meta.setIfAbsent(SECRET_KEY_VERSION, '1');
      const from = parseVersion(stored);
      const to = Math.max(from, box.currentVersion) + 1;
      if (await meta.compareAndSet(SECRET_KEY_VERSION, stored, String(to))) {
        box.advanceTo(to);
        readAt = clock();
        return { from, to };
      }
      // Another rotation bumped it meanwhile: bump past that one.
    }
    throw new Error(`furrow_meta.${SECRET_KEY_VERSION} kept changing during 10 attempts to bump it; is another \`furrow keys rotate\` looping?`);
  };

  /** Re-encrypts every row of `column` below `version`, batch by batch, until only hopeless rows remain. */
  const sweepColumn = async (column: SecretColumn, version: number, batchSize: number, report: SweepReport): Promise<void> => {
    const label = (id: string) => (column.name === '' ? id : `${column.name}:${id}`);
    const skipped = new Set<string>();
    const conflictsOf = new Map<string, number>();
    for (;;) {
      // The skipped rows may come back first: ask for that many more, so a batch is never all skipped.
      const ids = (await column.idsWithKeyVersionBelow(version, batchSize + skipped.size)).filter((id) => !skipped.has(id));
      if (ids.length === 0) return;
      for (const id of ids) {
        const row = await column.find(id);
        if (row === undefined || row.keyVersion >= version) continue; // deleted, or moved on by its writer
        let written: boolean;
        try {
          written = await reencryptRow(column, id, row);
        } catch (error) {
          if (!isFurrowError(error, 'secret_undecryptable')) throw error;
          report.undecryptable.push(label(id));
          skipped.add(id);
          continue;
        }
        if (written) {
          report.reencrypted += 1;
          continue;
        }
        report.conflicts += 1;
        const conflicts = (conflictsOf.get(id) ?? 0) + 1;
        conflictsOf.set(id, conflicts);
        if (conflicts >= MAX_CONFLICTS_PER_ROW) {
          report.gaveUp.push(label(id));
          skipped.add(id);
        }
      }
    }
  };

  /** Every secret column below `version`. */
  const sweep = async (version: number, batchSize: number): Promise<SweepReport> => {
    const report: SweepReport = { reencrypted: 0, conflicts: 0, undecryptable: [], gaveUp: [] };
    for (const column of columns) await sweepColumn(column, version, batchSize, report);
    return report;
  };

  return {
    refreshCurrentVersion,

    async reencryptIfOutdated(record) {
      try {
        await refreshCurrentVersion();
        if (!box.needsReencryption(record.secrets)) return false;
        return await reencryptRow(credentialColumn, record.id, { ciphertext: record.secrets, aad: credentialSecretsAad(record) });
      } catch {
        return false;
      }
    },

    async rotate(rotateOptions = {}) {
      const batchSize = rotateOptions.batchSize ?? 100;
      const graceMs = rotateOptions.graceMs ?? 0;
      const log = rotateOptions.log ?? (() => {});
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer; found ${batchSize}`);
      await checkMasterKey();
      const bumpedAt = clock();
      const { from, to } = await bump();
      log(`Secret key version is now ${to} (was ${from}); re-encrypting credentials, app keys and PKCE verifiers below it.`);
      let report = await sweep(to, batchSize);
      if (graceMs > 0) {
        const wait = bumpedAt + graceMs - clock();
        if (wait > 0) {
          log(`Re-encrypted ${report.reencrypted}. Waiting ${Math.ceil(wait / 1000)} s for running processes to switch to version ${to}, then sweeping again.`);
          await sleep(wait);
        }
        const again = await sweep(to, batchSize);
        report = {
          reencrypted: report.reencrypted + again.reencrypted,
          conflicts: report.conflicts + again.conflicts,
          undecryptable: again.undecryptable,
          gaveUp: again.gaveUp,
        };
      }
      return { from, to, ...report, remaining: report.undecryptable.length + report.gaveUp.length };
    },
  };
}

/**
 * The service over a storage, with a box of its own (for the CLI; a server shares the credentials
 * service's box instead, so that box moves to the new version too).
 */
export function secretKeysOn(storage: Pick<Storage, 'db' | 'dialect'>, masterKey: Buffer, options: { clock?: () => number } = {}): SecretKeysService {
  return secretKeysService({
    credentials: credentialsRepository(storage.db, storage.dialect),
    meta: metaRepository(storage.db),
    columns: [appKeySecretColumn(appKeysRepository(storage.db, storage.dialect)), pkceVerifierSecretColumn(oauthStatesRepository(storage.db)), eventTokenSecretColumn(providerEventTokensRepository(storage.db))],
    secretBox: createSecretBox(secretKeyRingFromMaster(masterKey)),
    masterKey,
    clock: options.clock,
  });
}
