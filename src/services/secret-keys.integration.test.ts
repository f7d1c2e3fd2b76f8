/**
 * `furrow keys rotate` and the lazy path on both databases (SPEC section 5): every credential moves
 * to the new key version, nothing a concurrent writer stored is overwritten, processes started
 * before the rotation keep decrypting and switch to the new version, and no secret is ever stored
 * in clear.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFurrowError, type CredentialRecord } from '../domain/index.js';
import { createSecretBox, secretKeyRingFromMaster, type SecretBox } from '../keys/index.js';
import type { Storage } from '../storage/database.js';
import { apiOwnersRepository } from '../storage/repositories/api-owners.js';
import { credentialsRepository, type CredentialsRepository } from '../storage/repositories/credentials.js';
import { usersRepository } from '../storage/repositories/users.js';
import { openTestStorage, testDatabases } from '../storage/testing/test-databases.js';
import { metaRepository } from '../storage/repositories/meta.js';
import { credentialSecretsAad, SECRET_KEY_VERSION, secretKeysService } from './secret-keys.js';

const databases = await testDatabases();

const master = crypto.randomBytes(32);
const ownerId = crypto.randomUUID();
const at = '2026-01-02T03:04:05.678Z';

/** A recognisable secret per credential, so a raw read can look for each one. */
const secretsOf = (n: number) => ({ fields: { clientId: `client-${n}`, clientSecret: `s3cr3t-client-${n}-${crypto.randomBytes(6).toString('hex')}` }, tokens: { accessToken: `at-${n}-${crypto.randomBytes(8).toString('hex')}`, refreshToken: `rt-${n}-${crypto.randomBytes(8).toString('hex')}` } });
type Secrets = ReturnType<typeof secretsOf>;

describe.each(databases)('secret key rotation on $name', (database) => {
  let storage: Storage;
  let credentials: CredentialsRepository;
  /** Every plaintext secret value ever written, for the raw scan. */
  let plaintexts: string[];

  beforeEach(async () => {
    storage = await openTestStorage(database);
    credentials = credentialsRepository(storage.db, storage.dialect);
    plaintexts = [];
    await apiOwnersRepository(storage.db, storage.dialect).insert({ id: ownerId, email: 'owner@example.com', passwordHash: 'x', createdAt: at });
  });
  afterEach(async () => {
    await storage.close();
  });

  const remember = (secrets: Secrets) => {
    plaintexts.push(secrets.fields.clientSecret, secrets.tokens.accessToken, secrets.tokens.refreshToken);
    return secrets;
  };

  /** Stores `count` credentials (one user each) encrypted by `box`, as the credentials service does. */
  async function seed(count: number, box: SecretBox): Promise<Map<string, Secrets>> {
    const users = usersRepository(storage.db, storage.dialect);
    const stored = new Map<string, Secrets>();
    for (let n = 0; n < count; n += 1) {
      const userId = crypto.randomUUID();
      await users.insert(ownerId, { id: userId, name: `grower ${n}`, email: null, phone: null, address: null, externalId: null, createdTime: at, updatedTime: at });
      const secrets = remember(secretsOf(n));
      const record = await credentials.upsert(recordFor(userId, n % 2 === 0 ? 'john-deere' : 'climate-field-view', secrets, box));
      stored.set(record.id, secrets);
    }
    return stored;
  }

  function recordFor(userId: string, provider: string, secrets: Secrets, box: SecretBox): CredentialRecord {
    return {
      id: crypto.randomUUID(),
      ownerId,
      userId,
      provider,
      environment: 'production',
      status: 'OK',
      statusReason: 'connected',
      consecutiveFailures: 0,
      display: { clientId: secrets.fields.clientId },
      keyVersion: box.currentVersion,
      secrets: box.encrypt(JSON.stringify(secrets), credentialSecretsAad({ userId, provider })),
      accessExpiresAt: null,
      scopes: ['ag1'],
      lastRefreshAt: at,
      lastSyncTime: null,
      createdAt: at,
      updatedAt: at,
    };
  }

  const serviceWith = (options: { box?: SecretBox; credentials?: CredentialsRepository; clock?: () => number; masterKey?: Buffer } = {}) =>
    secretKeysService({
      credentials: options.credentials ?? credentials,
      meta: metaRepository(storage.db),
      secretBox: options.box ?? createSecretBox(secretKeyRingFromMaster(master)),
      masterKey: options.masterKey ?? master,
      clock: options.clock,
    });

  const decrypted = async (id: string, box: SecretBox) => {
    const record = (await credentials.findById(id))!;
    return { version: record.keyVersion, label: record.secrets.split('.')[0], secrets: JSON.parse(box.decrypt(record.secrets, credentialSecretsAad(record))) as Secrets };
  };

  it('re-encrypts every credential to the new version in batches, and every one still decrypts', async () => {
    const stored = await seed(23, createSecretBox(secretKeyRingFromMaster(master)));
    const report = await serviceWith().rotate({ batchSize: 5 });
    expect(report).toEqual({ from: 1, to: 2, reencrypted: 23, conflicts: 0, undecryptable: [], gaveUp: [], remaining: 0 });
    expect(await metaRepository(storage.db).get(SECRET_KEY_VERSION)).toBe('2');
    expect(await credentials.idsWithKeyVersionBelow(2, 100)).toEqual([]);
    const fresh = createSecretBox(secretKeyRingFromMaster(master, 2));
    for (const [id, secrets] of stored) {
      expect(await decrypted(id, fresh)).toEqual({ version: 2, label: 'v2', secrets });
    }

    // A second rotation moves everything again, from whatever version the database is at.
    const again = await serviceWith().rotate({ batchSize: 7 });
    expect(again).toMatchObject({ from: 2, to: 3, reencrypted: 23, remaining: 0 });
    for (const [id, secrets] of stored) expect(await decrypted(id, fresh)).toEqual({ version: 3, label: 'v3', secrets });
  });

  it('lets a process started before the rotation decrypt the new version and then encrypt with it', async () => {
    const early = createSecretBox(secretKeyRingFromMaster(master, 1));
    const earlyKeys = serviceWith({ box: early });
    expect(await earlyKeys.refreshCurrentVersion()).toBe(1);
    const stored = await seed(3, early);

    await serviceWith().rotate();
    // Decrypting a v2 row needs a key the early process never derived at start.
    for (const [id, secrets] of stored) expect((await decrypted(id, early)).secrets).toEqual(secrets);
    // An authenticated v2 ciphertext proves the rotation: the early box now encrypts with v2.
    expect(early.currentVersion).toBe(2);
    expect(early.encrypt('x', 'aad').startsWith('v2.')).toBe(true);
  });

  it('moves a running process to the new version within the TTL, without a restart', async () => {
    let now = 1_000_000;
    const box = createSecretBox(secretKeyRingFromMaster(master, 1));
    const running = serviceWith({ box, clock: () => now });
    expect(await running.refreshCurrentVersion()).toBe(1);

    await serviceWith().rotate(); // another process, e.g. `furrow keys rotate`
    now += 1_000;
    expect(await running.refreshCurrentVersion()).toBe(1); // the reading is still fresh
    now += 5_000;
    expect(await running.refreshCurrentVersion()).toBe(2);
    expect(box.currentVersion).toBe(2);
    expect(box.encrypt('x', 'aad').startsWith('v2.')).toBe(true);
  });

  it('does not clobber a row changed between the read and the write: it reads it again', async () => {
    const old = createSecretBox(secretKeyRingFromMaster(master, 1));
    const stored = await seed(4, old);
    const [staleTarget, freshTarget] = [...stored.keys()];
    const newer = new Map<string, Secrets>();
    // Two concurrent writers, each right after the rotation read the row: a process still on v1
    // (within its TTL) and one already on v2. Both store new tokens.
    const intercepted: CredentialsRepository = {
      ...credentials,
      async findById(id) {
        const record = await credentials.findById(id);
        if (record !== undefined && (id === staleTarget || id === freshTarget) && !newer.has(id)) {
          const secrets = remember(secretsOf(100 + newer.size));
          newer.set(id, secrets);
          const writer = id === staleTarget ? old : createSecretBox(secretKeyRingFromMaster(master, 2));
          await credentials.update(id, { secrets: writer.encrypt(JSON.stringify(secrets), credentialSecretsAad(record)), keyVersion: writer.currentVersion, updatedAt: at });
        }
        return record;
      },
    };

    const report = await serviceWith({ credentials: intercepted }).rotate({ batchSize: 2 });
    expect(report).toMatchObject({ to: 2, reencrypted: 3, conflicts: 2, remaining: 0 });
    const box = createSecretBox(secretKeyRingFromMaster(master, 2));
    for (const [id, secrets] of stored) {
      expect(await decrypted(id, box)).toEqual({ version: 2, label: 'v2', secrets: newer.get(id) ?? secrets });
    }
  });

  it('re-encrypts lazily, as a compare-and-set, when a row under an older version is read', async () => {
    const box = createSecretBox(secretKeyRingFromMaster(master, 1));
    const stored = await seed(2, box);
    const [first, second] = [...stored.keys()] as [string, string];
    const keys = serviceWith({ box });
    expect(await keys.reencryptIfOutdated((await credentials.findById(first))!)).toBe(false); // already current

    // Another process rotated the version (without sweeping yet).
    expect(await metaRepository(storage.db).compareAndSet(SECRET_KEY_VERSION, (await metaRepository(storage.db).setIfAbsent(SECRET_KEY_VERSION, '1')), '2')).toBe(true);
    const lazy = serviceWith({ box: createSecretBox(secretKeyRingFromMaster(master, 1)) });
    expect(await lazy.reencryptIfOutdated((await credentials.findById(first))!)).toBe(true);
    expect(await decrypted(first, box)).toEqual({ version: 2, label: 'v2', secrets: stored.get(first) });
    expect(await lazy.reencryptIfOutdated((await credentials.findById(first))!)).toBe(false);

    // A stale copy of the row loses to the newer tokens written since it was read.
    const staleCopy = (await credentials.findById(second))!;
    const rotated = remember(secretsOf(200));
    await credentials.update(second, { secrets: box.encrypt(JSON.stringify(rotated), credentialSecretsAad(staleCopy)), keyVersion: 1, updatedAt: at });
    expect(await lazy.reencryptIfOutdated(staleCopy)).toBe(false);
    expect((await decrypted(second, box)).secrets).toEqual(rotated);
  });

  it('leaves undecryptable rows alone, reports them, and still finishes', async () => {
    const box = createSecretBox(secretKeyRingFromMaster(master));
    const stored = await seed(3, box);
    const [moved, source] = [...stored.keys()] as [string, string];
    // A ciphertext copied from another row: its AAD names the other row, so it must not decrypt here.
    await credentials.update(moved, { secrets: (await credentials.findById(source))!.secrets, updatedAt: at });
    const report = await serviceWith().rotate({ batchSize: 1 });
    expect(report).toMatchObject({ to: 2, reencrypted: 2, undecryptable: [moved], remaining: 1 });
    expect((await credentials.findById(moved))!.keyVersion).toBe(1);
  });

  it('refuses another master key before changing anything', async () => {
    await seed(1, createSecretBox(secretKeyRingFromMaster(master)));
    await serviceWith().rotate();
    const wrong = crypto.randomBytes(32);
    const refused = await serviceWith({ masterKey: wrong, box: createSecretBox(secretKeyRingFromMaster(wrong)) })
      .rotate()
      .then(() => undefined, (error: unknown) => error);
    expect(isFurrowError(refused, 'master_key_mismatch')).toBe(true);
    expect(await metaRepository(storage.db).get(SECRET_KEY_VERSION)).toBe('2');
  });

  it('bumps atomically: two rotations at once get two versions', async () => {
    await seed(5, createSecretBox(secretKeyRingFromMaster(master)));
    const reports = await Promise.all([serviceWith().rotate(), serviceWith().rotate()]);
    expect(reports.map((r) => r.to).sort()).toEqual([2, 3]);
    expect(await metaRepository(storage.db).get(SECRET_KEY_VERSION)).toBe('3');
    expect(await credentials.idsWithKeyVersionBelow(3, 100)).toEqual([]);
  });

  it('stores no secret in clear: not in any column of any table', async () => {
    const box = createSecretBox(secretKeyRingFromMaster(master));
    await seed(6, box);
    await serviceWith({ box }).rotate({ batchSize: 4 });
    const keys = serviceWith({ box });
    await keys.reencryptIfOutdated((await credentials.findById((await credentials.listRefreshable())[0]!.id))!);

    const db = storage.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['credentials', 'credential_events', 'furrow_meta', 'users']));
    /** Every column of every table holding a secret, as text, base64, base64url or hex. */
    const scan = async () => {
      let cells = 0;
      const found: string[] = [];
      for (const table of tables) {
        const from = table.schema === undefined ? db : db.withSchema(table.schema);
        for (const row of await from.selectFrom(table.name).selectAll().execute()) {
          for (const [column, value] of Object.entries(row)) {
            if (value === null || value === undefined) continue;
            cells += 1;
            const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value);
            for (const secret of plaintexts) {
              const forms = [secret, ...(['base64', 'base64url', 'hex'] as const).map((encoding) => Buffer.from(secret).toString(encoding).slice(0, 16))];
              if (forms.some((form) => text.includes(form))) found.push(`${table.name}.${column}`);
            }
          }
        }
      }
      return { cells, found };
    };
    expect(plaintexts.length).toBe(18);
    const { cells, found } = await scan();
    expect(cells).toBeGreaterThan(6 * 15);
    expect(found).toEqual([]);

    // The scan does find a secret stored in clear.
    await db.updateTable('users').set({ address: `at ${plaintexts[4]!} street` }).where('name', '=', 'grower 1').execute();
    expect((await scan()).found).toEqual(['users.address']);
  });
});
