import { sql, type Kysely, type Selectable } from 'kysely';
import type { CredentialRecord, CredentialStatus } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { CredentialTable, Database } from '../schema.js';
import { preparedLookup, preparedQuery } from '../prepared-query.js';
import type { UnitOfWork } from '../unit-of-work.js';

/** The columns a refresh or a status change writes. */
export interface CredentialStateUpdate {
  status?: CredentialStatus;
  statusReason?: string | null;
  consecutiveFailures?: number;
  secrets?: string;
  keyVersion?: number;
  accessExpiresAt?: string | null;
  scopes?: string[] | null;
  lastRefreshAt?: string | null;
  lastSyncTime?: string | null;
  display?: Record<string, unknown>;
  updatedAt: string;
}

/** What a successful refresh writes: every column of the new token state. */
export interface RefreshedState {
  status: CredentialStatus;
  statusReason: string | null;
  consecutiveFailures: number;
  secrets: string;
  keyVersion: number;
  accessExpiresAt: string | null;
  scopes: string[] | null;
  lastRefreshAt: string;
  updatedAt: string;
}

/** A credentials row as the domain sees it. */
export function credentialRecordOf(row: Selectable<CredentialTable>, dialect: StorageDialect): CredentialRecord {
  return {
    id: row.id,
    ownerId: row.api_owner_id,
    userId: row.user_id,
    provider: row.provider,
    environment: row.environment,
    status: row.status as CredentialStatus,
    statusReason: row.status_reason,
    consecutiveFailures: Number(row.consecutive_failures),
    display: dialect.parseJson<Record<string, unknown>>(row.display),
    secrets: row.secrets,
    keyVersion: Number(row.key_version),
    accessExpiresAt: row.access_expires_at,
    scopes: row.scopes === null ? null : dialect.parseJson<string[] | null>(row.scopes),
    lastRefreshAt: row.last_refresh_at,
    lastSyncTime: row.last_sync_time,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Provider credentials. Methods named `…ForOwner` are scoped by API owner; the rest serve workers.
 * Writes that can raise an alert take an optional unit of work, so the alert commits with them.
 */
export function credentialsRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toRecord = (row: Selectable<CredentialTable>) => credentialRecordOf(row, dialect);
  const columns = (u: CredentialStateUpdate): Partial<CredentialTable> => {
    const set: Partial<CredentialTable> = { updated_at: u.updatedAt };
    if (u.status !== undefined) set.status = u.status;
    if (u.statusReason !== undefined) set.status_reason = u.statusReason;
    if (u.consecutiveFailures !== undefined) set.consecutive_failures = u.consecutiveFailures;
    if (u.secrets !== undefined) set.secrets = u.secrets;
    if (u.keyVersion !== undefined) set.key_version = u.keyVersion;
    if (u.accessExpiresAt !== undefined) set.access_expires_at = u.accessExpiresAt;
    if (u.scopes !== undefined) set.scopes = u.scopes === null ? null : dialect.json(u.scopes);
    if (u.lastRefreshAt !== undefined) set.last_refresh_at = u.lastRefreshAt;
    if (u.lastSyncTime !== undefined) set.last_sync_time = u.lastSyncTime;
    if (u.display !== undefined) set.display = dialect.json(u.display);
    return set;
  };
  const byId = preparedQuery(db, 1, (id: string) => db.selectFrom('credentials').selectAll().where('id', '=', id));
  // Every refresh takes the lease: compiled once, like the hot reads.
  const acquireLease = preparedQuery(db, 4, (id: string, owner: string, now: string, until: string) =>
    db
      .updateTable('credentials')
      .set({ refresh_lease_owner: owner, refresh_lease_until: until })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now)]))
      .returningAll(),
  );
  // Every GET of a Leaf user lists its credentials, so this lookup is as hot as the user's own.
  const byUser = preparedLookup(db, dialect, 2, (ownerId: string, userId: string) =>
    db.selectFrom('credentials').selectAll().where('api_owner_id', '=', ownerId).where('user_id', '=', userId),
  );

  return {
    async findForOwner(ownerId: string, userId: string, provider: string): Promise<CredentialRecord | undefined> {
      const row = await db.selectFrom('credentials').selectAll().where('api_owner_id', '=', ownerId).where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    /** The credentials of several users of one owner in one query (a page of the user list). */
    async listForUsers(ownerId: string, userIds: readonly string[]): Promise<CredentialRecord[]> {
      if (userIds.length === 0) return [];
      const rows = await db.selectFrom('credentials').selectAll().where('api_owner_id', '=', ownerId).where('user_id', 'in', [...userIds]).execute();
      return rows.map(toRecord);
    },
    async listForUser(ownerId: string, userId: string): Promise<CredentialRecord[]> {
      return (await byUser(ownerId, userId)).map(toRecord);
    },
    async findById(id: string): Promise<CredentialRecord | undefined> {
      const [row] = await byId(id);
      return row === undefined ? undefined : toRecord(row);
    },
    /**
     * Stores a credential; when the user already has one for the provider, replaces it in place
     * (same id, same creation time, same events log): SPEC section 3, reconnect.
     */
    async upsert(record: CredentialRecord, uow?: UnitOfWork): Promise<CredentialRecord> {
      const q = uow?.db ?? db;
      await q
        .insertInto('credentials')
        .values({
          id: record.id,
          api_owner_id: record.ownerId,
          user_id: record.userId,
          provider: record.provider,
          environment: record.environment,
          status: record.status,
          status_reason: record.statusReason,
          consecutive_failures: record.consecutiveFailures,
          display: dialect.json(record.display),
          secrets: record.secrets,
          key_version: record.keyVersion,
          access_expires_at: record.accessExpiresAt,
          scopes: record.scopes === null ? null : dialect.json(record.scopes),
          last_refresh_at: record.lastRefreshAt,
          last_sync_time: record.lastSyncTime,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
        })
        .onConflict((oc) =>
          oc.columns(['user_id', 'provider']).doUpdateSet((eb) => ({
            environment: eb.ref('excluded.environment'),
            status: eb.ref('excluded.status'),
            status_reason: eb.ref('excluded.status_reason'),
            consecutive_failures: eb.ref('excluded.consecutive_failures'),
            display: eb.ref('excluded.display'),
            secrets: eb.ref('excluded.secrets'),
            key_version: eb.ref('excluded.key_version'),
            access_expires_at: eb.ref('excluded.access_expires_at'),
            scopes: eb.ref('excluded.scopes'),
            last_refresh_at: eb.ref('excluded.last_refresh_at'),
            refresh_lease_owner: null,
            refresh_lease_until: null,
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
      const stored = await q.selectFrom('credentials').selectAll().where('user_id', '=', record.userId).where('provider', '=', record.provider).executeTakeFirstOrThrow();
      return toRecord(stored);
    },
    /**
     * Takes the refresh lease if nobody holds an unexpired one. A compare-and-set: of several
     * processes asking at once, exactly one gets the row (as it stands under the lease).
     */
    async tryAcquireLease(id: string, owner: string, now: string, until: string): Promise<CredentialRecord | undefined> {
      // RETURNING hands back the row as it is under our lease: no second read.
      const [row] = await acquireLease(id, owner, now, until);
      return row === undefined ? undefined : toRecord(row);
    },
    /**
     * Writes the outcome of a refresh and releases the lease in one statement, only while the
     * caller still holds it: a holder whose lease expired must not overwrite a newer token. Given a
     * unit of work, it is still one statement, inside the caller's transaction.
     */
    async completeLease(id: string, owner: string, update: CredentialStateUpdate, uow?: UnitOfWork): Promise<CredentialRecord | undefined> {
      const row = await (uow?.db ?? db)
        .updateTable('credentials')
        .set({ ...columns(update), refresh_lease_owner: null, refresh_lease_until: null })
        .where('id', '=', id)
        .where('refresh_lease_owner', '=', owner)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    /**
     * `completeLease` for several refreshes with one statement: each row is written, and its lease
     * released, only while its owner still holds the lease. Returns the rows written, in any order.
     */
    async completeLeases(items: readonly { id: string; owner: string; state: RefreshedState }[], uow?: UnitOfWork): Promise<CredentialRecord[]> {
      if (items.length === 0) return [];
      const json = sql.raw(String(dialect.jsonType));
      // VALUES columns are column1..columnN in both SQLite and PostgreSQL; the casts type them for PostgreSQL.
      const values = items.map(
        ({ id, owner, state: u }) =>
          sql`(cast(${id} as text), cast(${owner} as text), cast(${u.status} as text), cast(${u.statusReason} as text),
            cast(${u.consecutiveFailures} as integer), cast(${u.secrets} as text), cast(${u.keyVersion} as integer),
            cast(${u.accessExpiresAt} as text), cast(${u.scopes === null ? null : dialect.json(u.scopes)} as ${json}),
            cast(${u.lastRefreshAt} as text), cast(${u.updatedAt} as text))`,
      );
      // SQLite's RETURNING takes no table-qualified star and returns the updated table's columns only.
      const returning = dialect.kind === 'postgres' ? sql`credentials.*` : sql`*`;
      const { rows } = await sql<Selectable<CredentialTable>>`
        update credentials set
          status = v.column3, status_reason = v.column4, consecutive_failures = v.column5, secrets = v.column6,
          key_version = v.column7, access_expires_at = v.column8, scopes = v.column9, last_refresh_at = v.column10,
          updated_at = v.column11, refresh_lease_owner = null, refresh_lease_until = null
        from (values ${sql.join(values)}) as v
        where credentials.id = v.column1 and credentials.refresh_lease_owner = v.column2
        returning ${returning}`.execute(uow?.db ?? db);
      return rows.map(toRecord);
    },
    async releaseLease(id: string, owner: string): Promise<void> {
      await db.updateTable('credentials').set({ refresh_lease_owner: null, refresh_lease_until: null }).where('id', '=', id).where('refresh_lease_owner', '=', owner).execute();
    },
    /** Status and metadata changes that need no lease (validation retries, sync times). */
    async update(id: string, update: CredentialStateUpdate, uow?: UnitOfWork): Promise<boolean> {
      const result = await (uow?.db ?? db).updateTable('credentials').set(columns(update)).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async deleteForOwner(ownerId: string, id: string, uow?: UnitOfWork): Promise<boolean> {
      const result = await (uow?.db ?? db).deleteFrom('credentials').where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    /** Ids of credentials whose secrets were encrypted with an older key version. */
    async idsWithKeyVersionBelow(version: number, limit: number): Promise<string[]> {
      const rows = await db.selectFrom('credentials').select('id').where('key_version', '<', version).limit(limit).execute();
      return rows.map((r) => r.id);
    },
    /** Replaces the ciphertext only if it is still the one the caller decrypted (no lost update). */
    async reencrypt(id: string, previous: string, secrets: string, keyVersion: number): Promise<boolean> {
      const result = await db.updateTable('credentials').set({ secrets, key_version: keyVersion }).where('id', '=', id).where('secrets', '=', previous).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Every credential id with its next access-token expiry, for scheduling refreshes on start. */
    async listRefreshable(): Promise<{ id: string; accessExpiresAt: string | null; status: string }[]> {
      const rows = await db.selectFrom('credentials').select(['id', 'access_expires_at', 'status']).execute();
      return rows.map((r) => ({ id: r.id, accessExpiresAt: r.access_expires_at, status: r.status }));
    },
  };
}
export type CredentialsRepository = ReturnType<typeof credentialsRepository>;
