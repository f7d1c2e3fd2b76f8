/**
 * Provider credentials of Leaf users (SPEC sections 3 and 5): validated against the provider
 * before the answer, stored encrypted, refreshed ahead of expiry, every exchange logged.
 *
 * Refresh is the delicate part, because providers that rotate refresh tokens (Climate, Trimble)
 * kill a token once it is redeemed. Three steps keep every token redeemed exactly once across
 * processes: a refresh already running in this process is shared; across processes a lease on the
 * row (a compare-and-set, so exactly one holder) admits one refresher; the holder re-reads the row
 * after taking the lease and refreshes only if still needed. The new tokens are written in the
 * same statement that releases the lease, so nobody can read the old refresh token after it died.
 */
import crypto from 'node:crypto';
import {
  FurrowError,
  nextStatus,
  nowIso,
  type CredentialEvent,
  type CredentialOutcome,
  type CredentialRecord,
  type CredentialSecrets,
  type OwnerContext,
  type Page,
  type PageRequest,
  type StatusDecision,
  type TokenSet,
} from '../domain/index.js';
import { credentialAlert, type CredentialAlertType } from '../alerts/index.js';
import type { SecretBox } from '../keys/index.js';
import { createAdapterContext } from '../providers/adapter-context.js';
import { credentialView } from '../providers/credential-view.js';
import { environmentOf } from '../providers/define-provider.js';
import type { AdapterContext, FetchLike, Provider, ProviderCredential } from '../providers/provider.js';
import { isProviderError, ProviderError } from '../providers/provider-error.js';
import type { Exchange } from '../providers/redact-exchange.js';
import type { CredentialEventsRepository } from '../storage/repositories/credential-events.js';
import type { CredentialsRepository, CredentialStateUpdate, RefreshedState } from '../storage/repositories/credentials.js';
import type { UsersRepository } from '../storage/repositories/users.js';
import type { Transact, UnitOfWork } from '../storage/unit-of-work.js';
import type { AlertOutbox } from './alerts.js';
import { groupCommit } from './group-commit.js';
import { credentialSecretsAad, type SecretKeysService } from './secret-keys.js';

/** What the credentials service asks of the job queue; `jobs/credential-jobs.ts` implements it. */
export interface CredentialJobs {
  /**
   * Makes sure one refresh job is pending for the credential, due at `runAt`. `force`: refresh
   * then even if the token is not due (a validation or refresh that failed transiently).
   */
  scheduleRefresh(credentialId: string, runAt: Date, options?: { force?: boolean; within?: UnitOfWork }): Promise<void>;
  /** Removes the credential's pending jobs (DELETE stops all jobs for it). */
  cancel(credentialId: string): Promise<void>;
}

/** A credential as `GET .../{provider}-credentials` shows it: no token, secrets masked. */
export interface CredentialView {
  id: string;
  status: string;
  createdTime: string;
  updatedTime: string;
  lastSyncTime: string | null;
  tokenMetadata: { scopes: string[]; accessTokenExpiresAt: string | null; lastRefreshTime: string | null };
  [field: string]: unknown;
}

export type RefreshResult = { refreshed: boolean; record: CredentialRecord; outcome: CredentialOutcome | undefined };

export interface CredentialsService {
  get(owner: OwnerContext, userId: string, providerId: string): Promise<CredentialView>;
  /** How GET shows a stored credential. */
  viewOf(record: CredentialRecord): CredentialView;
  /** The user's credentials by provider, for the Leaf user resource. */
  listForUser(owner: OwnerContext, userId: string): Promise<{ provider: string; view: CredentialView }[]>;
  /** The same for a page of users, in one query: each user's id with its credentials' views. */
  listForUsers(owner: OwnerContext, userIds: readonly string[]): Promise<{ userId: string; provider: string; view: CredentialView }[]>;
  /** POST: validate at the provider, then store (or replace in place). */
  connect(owner: OwnerContext, userId: string, providerId: string, body: Record<string, unknown>): Promise<CredentialView>;
  delete(owner: OwnerContext, userId: string, providerId: string): Promise<void>;
  events(owner: OwnerContext, userId: string, providerId: string, page: PageRequest): Promise<Page<CredentialEvent>>;
  /** `POST .../refresh`: refresh now (or join a refresh already running) and answer with the new state. */
  refreshNow(owner: OwnerContext, userId: string, providerId: string): Promise<CredentialView>;
  /**
   * The worker's entry point. `force`: refresh even if not due, unless a refresh completed after
   * `requestedAt`. Throws a `ProviderError` for transient failures, so the job retries with backoff.
   */
  refresh(credentialId: string, options: { force: boolean; requestedAt?: string }): Promise<RefreshResult>;
  /**
   * Runs `fn` against the provider's data API with the credential's secrets and a current access
   * token: refreshes first when due (or when no access token was ever issued), and once more,
   * forced, when the provider answers `auth_expired`. The exchanges go to the events log and the
   * outcome through the status rule; a `ProviderError` is rethrown after that.
   */
  withAccessToken<T>(credentialId: string, fn: (credential: ProviderCredential, ctx: AdapterContext) => Promise<T>): Promise<T>;
  /** When the credential's next refresh should run, or `undefined` if it needs none. */
  nextRefreshAt(record: CredentialRecord): Date | undefined;
  /** Deletes events older than the retention period; returns how many. */
  purgeEvents(now?: number): Promise<number>;
}

export interface CredentialsServiceOptions {
  credentials: CredentialsRepository;
  events: CredentialEventsRepository;
  users: UsersRepository;
  secretBox: SecretBox;
  /** Keeps `secretBox` on the current key version and re-encrypts old rows in passing (services/secret-keys.ts). */
  secretKeys?: Pick<SecretKeysService, 'refreshCurrentVersion' | 'reencryptIfOutdated'>;
  providers: Readonly<Record<string, Provider>>;
  jobs: CredentialJobs;
  fetch: FetchLike;
  /** Furrow's `/sandbox` URL when the sandbox is on: every adapter then calls its emulator. */
  sandboxBaseUrl: () => string | undefined;
  clock?: () => number;
  /** How long a refresh lease lasts; longer than any provider call may take (calls time out first). */
  leaseMs?: number;
  /** How long a caller waits for another process's refresh before giving up. */
  waitMs?: number;
  /** Refresh this long before the access token expires (at most half its lifetime). */
  refreshMarginMs?: number;
  /** Refresh an idle credential at least this often, so refresh tokens that die unused stay alive. */
  keepAliveMs?: number;
  /** Where status transitions, connections and deletions raise their alerts (services/alerts.ts). */
  alerts?: AlertOutbox;
  /** Transactions over the credential tables, so a refresh's writes commit once. */
  transact?: Transact;
  /** Called once a credential is stored OK by POST (created or reconnected): the sync engine queues its first sync here. */
  onConnected?: (record: CredentialRecord) => Promise<void>;
}

/** A refresh's writes, waiting for a commit: a success without alert, or any other outcome as a unit of work. */
type RefreshWrite =
  | { kind: 'refreshed'; record: CredentialRecord; leaseOwner: string; state: RefreshedState; events: CredentialEvent[] }
  | { kind: 'other'; work: (uow?: UnitOfWork) => Promise<CredentialRecord | undefined> };

/** An alert a credential write raises once it commits. */
interface PendingAlert {
  type: CredentialAlertType;
  record: Pick<CredentialRecord, 'id' | 'ownerId' | 'userId' | 'provider' | 'display'>;
  status: string;
  reason: string | null;
}

const DAY = 24 * 60 * 60 * 1000;

function secretsAad(record: Pick<CredentialRecord, 'userId' | 'provider'>): string {
  // The natural key (user, provider) is the row's identity: a reconnect keeps it, and a ciphertext
  // copied into another user's or provider's row fails to decrypt.
  return credentialSecretsAad(record);
}

function statusEvent(credentialId: string, at: string, body: Record<string, unknown>): CredentialEvent {
  return { id: crypto.randomUUID(), credentialId, kind: 'status', createdDate: at, statusCode: null, headers: {}, body: JSON.stringify(body) };
}

function exchangeEvent(credentialId: string, exchange: Exchange): CredentialEvent {
  return {
    id: crypto.randomUUID(),
    credentialId,
    kind: 'exchange',
    createdDate: exchange.startedAt,
    statusCode: exchange.response?.status ?? null,
    headers: exchange.response?.headers ?? {},
    body: JSON.stringify({ request: exchange.request, response: exchange.response === undefined ? undefined : { body: exchange.response.body }, error: exchange.error, durationMs: exchange.durationMs }),
  };
}

/** Every non-empty string value of the posted fields and tokens: redacted wherever it appears. */
function secretValuesOf(provider: Provider, secrets: CredentialSecrets): string[] {
  const values: string[] = [];
  for (const name of Object.keys(provider.secretFields)) {
    const v = secrets.fields[name];
    if (typeof v === 'string' && v.length >= 4) values.push(v);
  }
  for (const v of [secrets.tokens?.accessToken, secrets.tokens?.refreshToken]) if (typeof v === 'string' && v.length >= 4) values.push(v);
  return values;
}

/** Two credential bodies with the same properties and values (strings, as the schemas have them). */
function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => Object.hasOwn(b, name) && a[name] === b[name]);
}

export function credentialsService(options: CredentialsServiceOptions): CredentialsService {
  const { credentials, events, users, secretBox, providers, jobs } = options;
  const clock = options.clock ?? Date.now;
  const leaseMs = options.leaseMs ?? 60_000;
  const waitMs = options.waitMs ?? 30_000;
  const refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
  const keepAliveMs = options.keepAliveMs ?? 7 * DAY;
  const processId = crypto.randomUUID();
  const inFlight = new Map<string, Promise<RefreshResult>>();

  const providerOf = (providerId: string): Provider => {
    const provider = providers[providerId];
    if (provider === undefined) throw new FurrowError('not_found', `Unknown provider "${providerId}"; expected one of ${Object.keys(providers).join(', ')}.`);
    return provider;
  };
  const adapterOf = (provider: Provider) => {
    if (provider.adapter === undefined) {
      throw new FurrowError('provider_not_implemented', `${provider.name} credentials are validated but not yet connected: Furrow has no ${provider.name} adapter in this release.`);
    }
    return provider.adapter;
  };
  const contextFor = (provider: Provider, environment: string, secrets: CredentialSecrets, exchanges: Exchange[]) =>
    createAdapterContext({
      providerId: provider.id,
      environment: environment as ProviderCredential['environment'],
      fetch: options.fetch,
      onExchange: (e) => exchanges.push(e),
      sandboxBaseUrl: options.sandboxBaseUrl(),
      secretValues: secretValuesOf(provider, secrets),
      now: clock,
    });
  const decrypt = (record: CredentialRecord): CredentialSecrets => {
    const plaintext = secretBox.decrypt(record.secrets, secretsAad(record));
    // Lazy rotation (SPEC section 5): a row under an older key version is re-encrypted in passing,
    // by compare-and-set, so it never overwrites a newer write; it never rejects.
    void options.secretKeys?.reencryptIfOutdated(record);
    return JSON.parse(plaintext) as CredentialSecrets;
  };
  const encrypt = (record: Pick<CredentialRecord, 'userId' | 'provider'>, secrets: CredentialSecrets) => secretBox.encrypt(JSON.stringify(secrets), secretsAad(record));

  const view = (record: CredentialRecord): CredentialView => ({
    id: record.id,
    ...record.display,
    status: record.status,
    createdTime: record.createdAt,
    updatedTime: record.updatedAt,
    lastSyncTime: record.lastSyncTime,
    tokenMetadata: { scopes: record.scopes ?? [], accessTokenExpiresAt: record.accessExpiresAt, lastRefreshTime: record.lastRefreshAt },
  });

  const findForOwner = async (owner: OwnerContext, userId: string, provider: Provider) => {
    const record = await credentials.findForOwner(owner.ownerId, userId, provider.id);
    if (record === undefined) throw new FurrowError('not_found', `Leaf user ${userId} has no ${provider.name} credentials.`);
    return record;
  };

  const nextRefreshAt = (record: CredentialRecord): Date | undefined => {
    const provider = providers[record.provider];
    if (provider === undefined || !provider.capabilities.supportsRefresh || record.status === 'UNAUTHENTICATED') return undefined;
    const keepAlive = Date.parse(record.lastRefreshAt ?? record.updatedAt) + keepAliveMs;
    if (record.accessExpiresAt === null) return new Date(keepAlive);
    const expires = Date.parse(record.accessExpiresAt);
    const issued = Date.parse(record.lastRefreshAt ?? record.updatedAt);
    const margin = Math.min(refreshMarginMs, Math.max(0, (expires - issued) / 2));
    return new Date(Math.min(expires - margin, keepAlive));
  };
  const isDue = (record: CredentialRecord) => {
    const at = nextRefreshAt(record);
    return at !== undefined && at.getTime() <= clock();
  };
  const schedule = async (record: CredentialRecord, within?: UnitOfWork) => {
    const at = nextRefreshAt(record);
    if (at !== undefined) await jobs.scheduleRefresh(record.id, at, within === undefined ? {} : { within });
  };

  /** Applies the status rule to one outcome and returns the columns to write and the events. */
  const decide = (record: CredentialRecord, outcome: CredentialOutcome, at: string) => {
    const decision = nextStatus({ status: record.status, consecutiveFailures: record.consecutiveFailures }, outcome);
    const update: CredentialStateUpdate = { status: decision.status, consecutiveFailures: decision.consecutiveFailures, statusReason: decision.reason, updatedAt: at };
    const changes = decision.changed ? [statusEvent(record.id, at, { from: record.status, to: decision.status, reason: decision.reason, alert: decision.alert ?? null })] : [];
    return { update, changes, decision };
  };

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Runs a credential write and, when it raises an alert, emits the alert in the same transaction
   * (SPEC section 9): the alert is sent exactly when the write commits, and not when `wrote` says
   * nothing was written (a lost lease, a row already gone). Writes without an alert stay single
   * statements, outside any transaction.
   */
  async function writeWithAlert<T>(alert: PendingAlert | undefined, write: (uow?: UnitOfWork) => Promise<T>, wrote: (result: T) => boolean = (result) => result !== false): Promise<T> {
    const outbox = options.alerts;
    if (alert === undefined || outbox === undefined) return write();
    return outbox.transact(async (uow) => {
      const result = await write(uow);
      if (wrote(result)) await emitAlert(uow, alert);
      return result;
    });
  }

  async function emitAlert(uow: UnitOfWork, alert: PendingAlert): Promise<void> {
    const outbox = options.alerts;
    if (outbox === undefined) return;
    const provider = providers[alert.record.provider];
    const identity = provider?.clientIdentityField === undefined ? undefined : alert.record.display[provider.clientIdentityField];
    await outbox.emit(
      uow,
      credentialAlert({
        type: alert.type,
        ownerId: alert.record.ownerId,
        credentialId: alert.record.id,
        userId: alert.record.userId,
        status: alert.status,
        provider: { apiName: provider?.apiName ?? alert.record.provider, name: provider?.name ?? alert.record.provider },
        credential: typeof identity === 'string' ? identity : null,
        reason: alert.reason,
      }),
    );
  }

  /**
   * The writes of refreshes that finish together, in one transaction (group-commit.ts): the
   * successful ones with one statement per table (their leases' write-and-release, their events),
   * then the rest (failures, alerts) one by one. 10,000 refreshes due at once otherwise pay a
   * transaction and three statements each. Resolves to the row written, or undefined when the
   * lease was lost.
   */
  const writeRefreshBatch = async (items: RefreshWrite[], uow: UnitOfWork): Promise<(CredentialRecord | undefined)[]> => {
    const results: (CredentialRecord | undefined)[] = items.map(() => undefined);
    const refreshed = items.flatMap((item, i) => (item.kind === 'refreshed' ? [{ ...item, i }] : []));
    if (refreshed.length > 0) {
      const rows = new Map((await credentials.completeLeases(refreshed.map((r) => ({ id: r.record.id, owner: r.leaseOwner, state: r.state })), uow)).map((row) => [row.id, row]));
      const written = refreshed.filter((r) => rows.has(r.record.id));
      await events.appendAll(written.flatMap((r) => r.events.map((event) => ({ ownerId: r.record.ownerId, event }))), uow);
      // Together, so a queue can add the jobs of one transaction with one statement.
      await Promise.all(
        written.map(async (r) => {
          const row = rows.get(r.record.id)!;
          await schedule(row, uow);
          results[r.i] = row;
        }),
      );
    }
    for (const [i, item] of items.entries()) if (item.kind === 'other') results[i] = await item.work(uow);
    return results;
  };
  const transact = options.transact ?? options.alerts?.transact;
  const writeRefresh = transact === undefined ? undefined : groupCommit(transact, writeRefreshBatch);

  /** The alert of a status decision, if it raises one. */
  const alertOf = (record: CredentialRecord, decision: StatusDecision): PendingAlert | undefined =>
    decision.alert === undefined ? undefined : { type: decision.alert, record, status: decision.status, reason: decision.reason };

  async function refreshUnderLease(credentialId: string, force: boolean, requestedAt: string): Promise<RefreshResult> {
    const leaseOwner = `${processId}:${crypto.randomUUID()}`;
    const deadline = clock() + waitMs;
    let leased: CredentialRecord | undefined;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      const now = nowIso(clock);
      leased = await credentials.tryAcquireLease(credentialId, leaseOwner, now, new Date(clock() + leaseMs).toISOString());
      if (leased !== undefined) break;
      const current = await credentials.findById(credentialId);
      if (current === undefined) throw new FurrowError('not_found', `Credential ${credentialId} no longer exists.`);
      // Another process is refreshing; its result serves us if it completed after we asked.
      if (current.lastRefreshAt !== null && current.lastRefreshAt >= requestedAt) return { refreshed: false, record: current, outcome: undefined };
      if (clock() > deadline) {
        throw new ProviderError({ errorClass: 'retry_later', reason: `another process has held the refresh of credential ${credentialId} for over ${waitMs} ms` });
      }
      await sleep(wait + Math.random() * wait);
    }

    let completed = false;
    try {
      // The row as the lease found it: nobody else writes tokens while we hold it.
      const record = leased;
      const satisfied = force ? record.lastRefreshAt !== null && record.lastRefreshAt >= requestedAt : !isDue(record);
      if (satisfied) return { refreshed: false, record, outcome: undefined };
      const provider = providerOf(record.provider);
      const adapter = adapterOf(provider);
      const secrets = decrypt(record);
      const exchanges: Exchange[] = [];
      const ctx = contextFor(provider, record.environment, secrets, exchanges);
      const credential: ProviderCredential = { id: record.id, environment: record.environment as ProviderCredential['environment'], fields: secrets.fields, tokens: secrets.tokens ?? undefined };

      let outcome: CredentialOutcome;
      let update: CredentialStateUpdate;
      let changes: CredentialEvent[];
      let decision: StatusDecision;
      let failure: ProviderError | undefined;
      let refreshed: RefreshedState | undefined;
      try {
        const tokens = await adapter.refresh(credential, ctx);
        await options.secretKeys?.refreshCurrentVersion();
        // A provider that does not rotate answers without a refresh token: keep the one we have.
        const kept: TokenSet = { ...tokens, refreshToken: tokens.refreshToken ?? secrets.tokens?.refreshToken ?? (secrets.fields.refreshToken as string | undefined) };
        const at = nowIso(clock);
        outcome = { ok: true };
        ({ update, changes, decision } = decide(record, outcome, at));
        refreshed = {
          status: decision.status,
          statusReason: decision.reason,
          consecutiveFailures: decision.consecutiveFailures,
          updatedAt: at,
          secrets: encrypt(record, { fields: secrets.fields, tokens: kept }),
          keyVersion: secretBox.currentVersion,
          accessExpiresAt: kept.expiresAt ?? null,
          scopes: kept.scopes ?? record.scopes,
          lastRefreshAt: at,
        };
        Object.assign(update, refreshed);
      } catch (error) {
        if (!isProviderError(error)) throw error;
        failure = error;
        outcome = { ok: false, errorClass: error.errorClass };
        ({ update, changes, decision } = decide(record, outcome, nowIso(clock)));
      }
      // One commit (shared with the refreshes finishing alongside) for the lease's write-and-release,
      // the exchanges it made, the alert it raises and the next refresh job. Nothing is recorded
      // when the lease was lost (the write matched no row).
      const alert = alertOf(record, decision);
      // A transient failure is retried by the queue with backoff, so it schedules nothing.
      const retried = failure !== undefined && (failure.errorClass === 'rate_limited' || failure.errorClass === 'retry_later');
      const recorded = [...exchanges.map((e) => exchangeEvent(record.id, e)), ...changes];
      const work = async (uow?: UnitOfWork) => {
        const row = await credentials.completeLease(record.id, leaseOwner, update, uow);
        if (row === undefined) return undefined;
        await events.append(record.ownerId, recorded, uow);
        if (alert !== undefined && uow !== undefined) await emitAlert(uow, alert);
        if (!retried) await schedule(row, uow);
        return row;
      };
      // Without transactions on offer, statement by statement.
      const written =
        writeRefresh === undefined
          ? await work()
          : await writeRefresh(refreshed !== undefined && alert === undefined ? { kind: 'refreshed', record, leaseOwner, state: refreshed, events: recorded } : { kind: 'other', work });
      completed = true;
      if (written === undefined) {
        // Our lease expired mid-call and someone else took over; whatever we got is stale.
        throw new ProviderError({ errorClass: 'retry_later', reason: 'the refresh lease expired before the provider answered' });
      }
      if (retried) throw failure;
      return { refreshed: failure === undefined, record: written, outcome };
    } finally {
      if (!completed) await credentials.releaseLease(credentialId, leaseOwner);
    }
  }

  /**
   * Posting the stored body again continues the stored grant instead of presenting the posted
   * refresh token anew: rotating providers invalidated that token at its first refresh (Trimble at
   * once, Climate an hour later; providers.md 0.2), and presenting it again is refused, or taken
   * for a stolen token. The stored tokens are read under the refresh lease, so no refresh runs
   * between reading them and writing their successors; the caller's upsert releases the lease,
   * `release()` does on paths that store no credential. `undefined` when the body differs.
   */
  async function continueStoredGrant(existing: CredentialRecord, fields: Record<string, unknown>) {
    if (!sameFields(decrypt(existing).fields, fields)) return undefined;
    const leaseOwner = `${processId}:${crypto.randomUUID()}`;
    const deadline = clock() + waitMs;
    let current: CredentialRecord | undefined;
    for (let wait = 20; (current = await credentials.tryAcquireLease(existing.id, leaseOwner, nowIso(clock), new Date(clock() + leaseMs).toISOString())) === undefined; wait = Math.min(wait * 2, 500)) {
      if (clock() > deadline) throw new FurrowError('provider_unavailable', `A refresh of credential ${existing.id} has run for over ${waitMs} ms; nothing was changed. Post the credentials again later.`);
      await sleep(wait + Math.random() * wait);
    }
    const stored = decrypt(current);
    const release = async (issued?: TokenSet) => {
      if (issued === undefined) return credentials.releaseLease(current.id, leaseOwner);
      // The provider issued tokens before refusing: keep them, or the stored credential is left
      // holding a refresh token that was just redeemed.
      const kept: TokenSet = { ...issued, refreshToken: issued.refreshToken ?? stored.tokens?.refreshToken };
      await credentials.completeLease(current.id, leaseOwner, { secrets: encrypt(current, { fields: stored.fields, tokens: kept }), keyVersion: secretBox.currentVersion, accessExpiresAt: kept.expiresAt ?? null, updatedAt: nowIso(clock) });
    };
    if (!sameFields(stored.fields, fields)) {
      await release();
      return undefined;
    }
    return { tokens: stored.tokens ?? undefined, release };
  }

  const service: CredentialsService = {
    viewOf: (record) => view(record),
    async get(owner, userId, providerId) {
      const provider = providerOf(providerId);
      return view(await findForOwner(owner, userId, provider));
    },

    async listForUsers(owner, userIds) {
      return (await credentials.listForUsers(owner.ownerId, userIds)).map((record) => ({ userId: record.userId, provider: record.provider, view: view(record) }));
    },
    async listForUser(owner, userId) {
      return (await credentials.listForUser(owner.ownerId, userId)).map((record) => ({ provider: record.provider, view: view(record) }));
    },

    async connect(owner, userId, providerId, body) {
      const provider = providerOf(providerId);
      if ((await users.get(owner.ownerId, userId)) === undefined) throw new FurrowError('not_found', `No Leaf user with id ${userId}.`);
      const adapter = adapterOf(provider);
      const environment = environmentOf(provider, body);
      const fields: Record<string, unknown> = {};
      for (const name of [...provider.publicFields, ...Object.keys(provider.secretFields)]) if (body[name] !== undefined) fields[name] = body[name];
      const existing = await credentials.findForOwner(owner.ownerId, userId, provider.id);
      const continued = existing === undefined ? undefined : await continueStoredGrant(existing, fields);
      const secrets: CredentialSecrets = { fields, tokens: continued?.tokens ?? null };
      const exchanges: Exchange[] = [];
      const ctx = contextFor(provider, environment, secrets, exchanges);
      const id = existing?.id ?? crypto.randomUUID();

      let status: CredentialRecord['status'] = 'OK';
      let reason = existing === undefined ? 'connected' : 'reconnected';
      let retryAfterMs = 60_000;
      try {
        secrets.tokens = (await adapter.validate({ id, environment, fields, tokens: continued?.tokens }, ctx)) ?? null;
      } catch (error) {
        if (!isProviderError(error)) {
          await continued?.release();
          throw error;
        }
        if (error.errorClass !== 'retry_later' && error.errorClass !== 'rate_limited') {
          // Nothing is stored: the provider said no, and retrying will not change its mind.
          await continued?.release(error.tokens);
          throw new FurrowError('credentials_invalid', `${provider.name} rejected the credentials: ${error.reason}`, { cause: error });
        }
        // Tokens issued before the failure (a refresh that rotated, then a data call that failed).
        if (error.tokens !== undefined) secrets.tokens = error.tokens;
        status = 'TEMPORARILY_UNAVAILABLE';
        reason = `provider_unreachable: ${error.reason}`;
        // Honour the provider's Retry-After when it gave one.
        retryAfterMs = Math.max(error.retryAfterMs ?? retryAfterMs, 1000);
      }
      const at = nowIso(clock);
      const tokens = secrets.tokens;
      await options.secretKeys?.refreshCurrentVersion();
      const next: CredentialRecord = {
        id,
        ownerId: owner.ownerId,
        userId,
        provider: provider.id,
        environment,
        status,
        statusReason: reason,
        consecutiveFailures: status === 'OK' ? 0 : 1,
        display: credentialView(provider, fields),
        secrets: encrypt({ userId, provider: provider.id }, secrets),
        keyVersion: secretBox.currentVersion,
        accessExpiresAt: tokens?.expiresAt ?? null,
        scopes: tokens?.scopes ?? null,
        lastRefreshAt: tokens === null ? null : at,
        lastSyncTime: existing?.lastSyncTime ?? null,
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      };
      // A first connection sends credentialsCreated; a reconnect that brings a failing credential
      // back to OK sends credentialsRecovered (SPEC section 5: success after failure).
      const alert: CredentialAlertType | undefined = existing === undefined ? 'credentialsCreated' : existing.status !== 'OK' && status === 'OK' ? 'credentialsRecovered' : undefined;
      const record = await writeWithAlert(alert === undefined ? undefined : { type: alert, record: next, status, reason }, (uow) => credentials.upsert(next, uow), () => true);
      await events.append(owner.ownerId, [
        ...exchanges.map((e) => exchangeEvent(record.id, e)),
        statusEvent(record.id, at, { from: existing?.status ?? null, to: status, reason, alert: alert ?? null }),
      ]);
      // A credential the provider could not be asked about is validated again by the refresh job.
      if (status === 'OK') await schedule(record);
      else await jobs.scheduleRefresh(record.id, new Date(clock() + retryAfterMs), { force: true });
      if (status === 'OK') await options.onConnected?.(record);
      return view(record);
    },

    async delete(owner, userId, providerId) {
      const provider = providerOf(providerId);
      const record = await findForOwner(owner, userId, provider);
      const adapter = provider.adapter;
      if (adapter?.revoke !== undefined && provider.capabilities.supportsRevoke) {
        // Best effort: the grower asked to disconnect, and a provider outage must not prevent that.
        try {
          const secrets = decrypt(record);
          await adapter.revoke({ id: record.id, environment: record.environment as ProviderCredential['environment'], fields: secrets.fields, tokens: secrets.tokens ?? undefined }, contextFor(provider, record.environment, secrets, []));
        } catch {
          // The grant stays valid at the provider until it expires; Furrow no longer holds it.
        }
      }
      await jobs.cancel(record.id);
      // The events log goes with the credential (ON DELETE CASCADE); synced data stays.
      await writeWithAlert({ type: 'credentialsDeleted', record, status: record.status, reason: null }, (uow) => credentials.deleteForOwner(owner.ownerId, record.id, uow));
    },

    async events(owner, userId, providerId, page) {
      const record = await findForOwner(owner, userId, providerOf(providerId));
      return events.list(owner.ownerId, record.id, page);
    },

    async refreshNow(owner, userId, providerId) {
      const provider = providerOf(providerId);
      const record = await findForOwner(owner, userId, provider);
      adapterOf(provider);
      if (!provider.capabilities.supportsRefresh) return view(record);
      try {
        return view((await service.refresh(record.id, { force: true })).record);
      } catch (error) {
        // A transient failure is an answer here: the new status (and the retry job) say the rest.
        if (!isProviderError(error)) throw error;
        await jobs.scheduleRefresh(record.id, new Date(clock() + (error.retryAfterMs ?? 30_000)), { force: true });
        return view((await credentials.findById(record.id)) ?? record);
      }
    },

    refresh(credentialId, { force, requestedAt }) {
      const asked = requestedAt ?? nowIso(clock);
      const running = inFlight.get(credentialId);
      if (running !== undefined) return running;
      const promise = refreshUnderLease(credentialId, force, asked).finally(() => inFlight.delete(credentialId));
      inFlight.set(credentialId, promise);
      return promise;
    },

    async withAccessToken(credentialId, fn) {
      let record = await credentials.findById(credentialId);
      if (record === undefined) throw new FurrowError('not_found', `Credential ${credentialId} no longer exists.`);
      const provider = providerOf(record.provider);
      adapterOf(provider);
      // The refresh applies the status rule and logs its own exchanges: its failures go up as they are.
      const refreshed = async (current: CredentialRecord, force: boolean): Promise<CredentialRecord> => {
        const result = await service.refresh(current.id, { force });
        if (result.outcome !== undefined && !result.outcome.ok) {
          throw new ProviderError({ errorClass: result.outcome.errorClass, reason: `refreshing the access token failed (${result.record.statusReason ?? result.outcome.errorClass})` });
        }
        return result.record;
      };
      const noAccessToken = decrypt(record).tokens?.accessToken === undefined;
      if (provider.capabilities.supportsRefresh && (noAccessToken || isDue(record))) record = await refreshed(record, noAccessToken);

      const exchanges: Exchange[] = [];
      const call = (current: CredentialRecord) => {
        const secrets = decrypt(current);
        const credential: ProviderCredential = { id: current.id, environment: current.environment as ProviderCredential['environment'], fields: secrets.fields, tokens: secrets.tokens ?? undefined };
        return fn(credential, contextFor(provider, current.environment, secrets, exchanges));
      };
      let result: Awaited<ReturnType<typeof fn>> | undefined;
      let failure: ProviderError | undefined;
      try {
        result = await call(record);
      } catch (error) {
        if (!isProviderError(error)) throw error;
        failure = error;
      }
      if (failure?.errorClass === 'auth_expired' && provider.capabilities.supportsRefresh) {
        // A 401 from the data API says only that this access token died early (RFC 6750 section
        // 3.1): refresh once and ask again; a second 401 counts against the credential.
        try {
          record = await refreshed(record, true);
        } catch (error) {
          await events.append(record.ownerId, exchanges.map((e) => exchangeEvent(credentialId, e)));
          throw error;
        }
        failure = undefined;
        try {
          result = await call(record);
        } catch (error) {
          if (!isProviderError(error)) throw error;
          failure = error;
        }
      }
      const latest = (await credentials.findById(record.id)) ?? record;
      const { update, changes, decision } = decide(latest, failure === undefined ? { ok: true } : { ok: false, errorClass: failure.errorClass }, nowIso(clock));
      if (decision.changed || decision.consecutiveFailures !== latest.consecutiveFailures) await writeWithAlert(alertOf(latest, decision), (uow) => credentials.update(latest.id, update, uow));
      await events.append(latest.ownerId, [...exchanges.map((e) => exchangeEvent(latest.id, e)), ...changes]);
      if (failure !== undefined) throw failure;
      return result as Awaited<ReturnType<typeof fn>>;
    },

    nextRefreshAt,

    async purgeEvents(now = clock()) {
      return events.purgeOlderThan(new Date(now - 30 * DAY).toISOString());
    },
  };
  return service;
}
