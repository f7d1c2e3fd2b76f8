/**
 * Syncs on provider events (issue 5; SPEC section 6): each credential whose provider pushes events
 * gets subscriptions for its connected organizations, made by the sync itself, that deliver to
 * Furrow's public callback with a per-credential token. A delivery is authenticated by that token
 * alone (providers sign nothing else; Deere echoes the token in each event, providers.md 1.7), and
 * only queues the credential's sync: what changed is read through the sync's own listings, so a
 * forged or replayed delivery can at most cause one more sync of data the caller cannot see.
 */
import crypto from 'node:crypto';
import { FurrowError, nowIso, type CredentialRecord } from '../domain/index.js';
import { secretAad, type SecretBox } from '../keys/index.js';
import type { Provider } from '../providers/provider.js';
import type { ProviderEvents } from '../providers/provider-events.js';
import type { SyncScope } from '../providers/sync-data.js';
import type { CredentialsRepository } from '../storage/repositories/credentials.js';
import type { ProviderEventTokenRow, ProviderEventTokensRepository } from '../storage/repositories/provider-event-tokens.js';
import type { SyncRunError } from '../storage/repositories/sync.js';
import type { CredentialsService } from './credentials.js';
import type { SecretColumn } from './secret-keys.js';
import type { SyncJobs } from './sync.js';

/** Where providers deliver events: `<FURROW_PUBLIC_URL>/webhooks/provider-events/<provider id>`. */
export const PROVIDER_EVENTS_PATH = '/webhooks/provider-events';
/** 256 random bits, base64: inside Deere's `^[A-Za-z0-9+/=]{0,256}$` (providers.md 1.7). */
const TOKEN_BYTES = 32;
/**
 * [I] A sync whose connected organizations and callback are those of the last successful check
 * skips listing the subscriptions for this long, so a no-change re-sync costs no extra provider
 * call; a subscription deleted at the provider is remade within a day.
 */
export const SUBSCRIPTION_RECHECK_MS = 24 * 3_600_000;

export interface SyncEventsService {
  /**
   * Makes sure the credential's connected organizations have their event subscriptions, creating
   * the token on first use. Never throws: a failure comes back as the run's errors (the sync's data
   * is unaffected, and the daily schedule still syncs the credential), so it stays visible.
   */
  ensureSubscriptions(record: Pick<CredentialRecord, 'id' | 'provider'>, organizations: readonly SyncScope[]): Promise<SyncRunError[]>;
  /**
   * A delivery POSTed to the provider's callback: every token it carries must be a credential's of
   * that provider (else `provider_event_token_invalid`), and each such credential's sync is queued
   * (keyed, so repeated deliveries leave one pending sync). Returns how many credentials.
   */
  handleDelivery(providerId: string, body: unknown): Promise<{ queued: number }>;
  /** The callback URL for a provider, or `undefined` without a public URL. */
  callbackUrl(providerId: string): string | undefined;
}

export interface SyncEventsOptions {
  tokens: ProviderEventTokensRepository;
  credentialRecords: Pick<CredentialsRepository, 'findById'>;
  credentials: Pick<CredentialsService, 'withAccessToken'>;
  providers: Readonly<Record<string, Provider>>;
  secretBox: SecretBox;
  /** Brings the secret box to the current key version before it seals a token. */
  refreshKeyVersion?: () => Promise<number>;
  jobs: SyncJobs;
  /** FURROW_PUBLIC_URL, else the listening address; without one no subscription is made. */
  publicUrl: () => string | undefined;
  /** Off: no subscriptions are made (deliveries are still verified). */
  subscribe?: boolean;
  clock?: () => number;
}

/** The sealed subscription tokens (`provider_event_tokens.token_secret`), swept by `furrow keys rotate`. */
export function eventTokenSecretColumn(tokens: Pick<ProviderEventTokensRepository, 'idsWithKeyVersionBelow' | 'findByCredential' | 'reencrypt'>): SecretColumn {
  return {
    name: 'provider_event_tokens',
    idsWithKeyVersionBelow: (version, limit) => tokens.idsWithKeyVersionBelow(version, limit),
    async find(credentialId) {
      const row = await tokens.findByCredential(credentialId);
      return row === undefined ? undefined : { ciphertext: row.tokenSecret, aad: tokenAad(credentialId), keyVersion: row.keyVersion };
    },
    reencrypt: (credentialId, previous, next, keyVersion) => tokens.reencrypt(credentialId, previous, next, keyVersion),
  };
}

/** The provider's events part, when its adapter has one. */
export function eventsOf(provider: Provider | undefined): ProviderEvents | undefined {
  return provider?.adapter?.events as ProviderEvents | undefined;
}

const hashOf = (token: string) => crypto.createHash('sha256').update(token, 'utf8').digest();
const tokenAad = (credentialId: string) => secretAad('provider_event_tokens', credentialId, 'token');
/** Compared against when no row matches, so an unknown token costs the same comparison as a known one. */
const NO_HASH = Buffer.alloc(32);

export function syncEventsService(deps: SyncEventsOptions): SyncEventsService {
  const clock = deps.clock ?? Date.now;

  const callbackUrl = (providerId: string) => {
    const base = deps.publicUrl();
    return base === undefined ? undefined : `${base.replace(/\/+$/, '')}${PROVIDER_EVENTS_PATH}/${encodeURIComponent(providerId)}`;
  };

  /** The credential's token row: the stored one, or a new one stored first (a concurrent run's wins). */
  async function tokenRowFor(credentialId: string): Promise<ProviderEventTokenRow> {
    const stored = await deps.tokens.findByCredential(credentialId);
    if (stored !== undefined) return stored;
    const token = crypto.randomBytes(TOKEN_BYTES).toString('base64');
    await deps.refreshKeyVersion?.();
    return deps.tokens.insertIfAbsent({
      credentialId,
      tokenHash: hashOf(token).toString('hex'),
      tokenSecret: deps.secretBox.encrypt(token, tokenAad(credentialId)),
      keyVersion: deps.secretBox.currentVersion,
      createdAt: nowIso(clock),
    });
  }

  /** The credential a token belongs to, compared in constant time; undefined when it is no credential's of this provider. */
  async function credentialOf(providerId: string, token: string): Promise<string | undefined> {
    const hash = hashOf(token);
    // The lookup is by hash, which a caller cannot steer toward a stored one, so it leaks nothing
    // about stored tokens; the comparison below is the check itself.
    const row = await deps.tokens.findByHash(hash.toString('hex'));
    const stored = row === undefined ? NO_HASH : Buffer.from(row.tokenHash, 'hex');
    const matches = stored.length === hash.length && crypto.timingSafeEqual(stored, hash);
    if (row === undefined || !matches) return undefined;
    const record = await deps.credentialRecords.findById(row.credentialId);
    return record?.provider === providerId ? record.id : undefined;
  }

  return {
    callbackUrl,
    async ensureSubscriptions(record, organizations) {
      const events = eventsOf(deps.providers[record.provider]);
      const target = callbackUrl(record.provider);
      if (events === undefined || target === undefined || deps.subscribe === false) return [];
      const connected = organizations.filter((o) => o.connected);
      if (connected.length === 0) return [];
      try {
        const row = await tokenRowFor(record.id);
        const covered = crypto.createHash('sha256').update([target, ...connected.map((o) => o.providerId).sort()].join('\n')).digest('hex');
        if (row.subscribedKey === covered && row.checkedAt !== null && clock() - Date.parse(row.checkedAt) < SUBSCRIPTION_RECHECK_MS) return [];
        const token = deps.secretBox.decrypt(row.tokenSecret, tokenAad(record.id));
        await deps.credentials.withAccessToken(record.id, (credential, ctx) => events.ensureSubscriptions(credential, ctx, connected, { callbackUrl: target, token }));
        await deps.tokens.markChecked(record.id, covered, nowIso(clock));
        return [];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [{ kind: 'events', providerId: null, message: `event subscriptions could not be made, so changes arrive with the next scheduled sync: ${message}` }];
      }
    },
    async handleDelivery(providerId, body) {
      const events = eventsOf(deps.providers[providerId]);
      if (events === undefined) {
        throw new FurrowError('not_found', `Provider ${providerId} delivers no events to Furrow; the providers with events have a callback under ${PROVIDER_EVENTS_PATH}/<provider id>.`);
      }
      const delivery = events.parseDelivery(body);
      if (delivery === undefined || delivery.tokens.length === 0) {
        throw new FurrowError('validation_failed', `Expected a ${deps.providers[providerId]!.name} event delivery carrying its subscription token in each event; found a body that is not one.`);
      }
      const credentialIds = new Set<string>();
      for (const token of new Set(delivery.tokens)) {
        const credentialId = await credentialOf(providerId, token);
        if (credentialId === undefined) {
          throw new FurrowError('provider_event_token_invalid', `The delivery's subscription token is not one Furrow gave a ${deps.providers[providerId]!.name} subscription (or its credential was deleted); nothing was queued. A credential's syncs check its subscriptions at least daily and remake missing ones.`);
        }
        credentialIds.add(credentialId);
      }
      for (const credentialId of credentialIds) await deps.jobs.syncCredential(credentialId);
      return { queued: credentialIds.size };
    },
  };
}
