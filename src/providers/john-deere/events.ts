/**
 * John Deere's Data Subscription Service (providers.md 1.7): one `/eventSubscriptions` entry per
 * connected organization and event type, filtered by `orgId`, delivering to Furrow's callback with
 * the credential's token, which Deere echoes in every event of the delivered array.
 */
import { ProviderError } from '../provider-error.js';
import type { EventTarget, ProviderDelivery, ProviderEvents, SubscriptionsEnsured } from '../provider-events.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ProviderCredential } from '../provider.js';
import type { SyncScope } from '../sync-data.js';
import { DEERE_MEDIA_TYPE, JOHN_DEERE_HOSTS, classifyJohnDeereError, type JohnDeereCredentialFields } from './client.js';

/**
 * The event types a sync needs: new machine files and boundary changes. [I] Deere's catalogue was
 * not captured (providers.md 1.7 names `fieldOperation` and `heartbeat`, and boundary events exist);
 * these are the names the emulator delivers.
 */
export const DEERE_SYNC_EVENT_TYPES = ['fileUpload', 'boundary'] as const;
/** Deere's token pattern (providers.md 1.7). */
export const DEERE_TOKEN_PATTERN = /^[A-Za-z0-9+/=]{0,256}$/;
/** [I] A stop for `nextPage` chains that never end. */
const MAX_PAGES = 1_000;

type Credential = ProviderCredential<JohnDeereCredentialFields>;

interface ListedSubscription {
  eventTypeId: string | undefined;
  uri: string | undefined;
  token: string | undefined;
  orgIds: string[];
  active: boolean;
}

function accessTokenOf(credential: Credential): string {
  const token = credential.tokens?.accessToken;
  if (token === undefined) throw new ProviderError({ errorClass: 'auth_expired', reason: 'the credential holds no access token yet; refresh it first' });
  return token;
}

/** Every subscription the application sees, all `nextPage` pages read. */
async function listSubscriptions(credential: Credential, ctx: AdapterContext): Promise<ListedSubscription[]> {
  const first = `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/eventSubscriptions`;
  const origin = new URL(first).origin;
  const listed: ListedSubscription[] = [];
  let url: string | undefined = first;
  for (let pages = 0; url !== undefined; pages++) {
    if (pages >= MAX_PAGES) throw new ProviderError({ errorClass: 'permanent', reason: `Deere's nextPage links exceed ${MAX_PAGES} pages at ${url}` });
    const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessTokenOf(credential)}`, Accept: DEERE_MEDIA_TYPE } });
    if (!response.ok) throw await providerErrorOf(response, 'api', (result) => classifyJohnDeereError(result));
    const page = (await response.json().catch((error: unknown) => {
      throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
    })) as { values?: unknown; links?: unknown } | null;
    if (!Array.isArray(page?.values)) throw new ProviderError({ errorClass: 'permanent', reason: `expected a Deere collection ({ links, total, values }) from ${url}`, status: response.status });
    for (const value of page.values as Record<string, unknown>[]) listed.push(subscriptionOf(value));
    const links = Array.isArray(page.links) ? (page.links as { rel?: unknown; uri?: unknown }[]) : [];
    const next = links.find((l) => l.rel === 'nextPage' && typeof l.uri === 'string')?.uri as string | undefined;
    if (next !== undefined && new URL(next, url).origin !== origin) throw new ProviderError({ errorClass: 'permanent', reason: `Deere's nextPage link leaves ${origin}: ${next}` });
    url = next === undefined ? undefined : new URL(next, url).toString();
  }
  return listed;
}

function subscriptionOf(value: Record<string, unknown>): ListedSubscription {
  const target = value['targetEndpoint'] as { uri?: unknown } | undefined;
  const filters = Array.isArray(value['filters']) ? (value['filters'] as { key?: unknown; values?: unknown }[]) : [];
  const orgIds = filters.filter((f) => f?.key === 'orgId' && Array.isArray(f.values)).flatMap((f) => (f.values as unknown[]).map(String));
  return {
    eventTypeId: typeof value['eventTypeId'] === 'string' ? value['eventTypeId'] : undefined,
    uri: typeof target?.uri === 'string' ? target.uri : undefined,
    token: typeof value['token'] === 'string' ? value['token'] : undefined,
    orgIds,
    // `status: Active|Paused` (providers.md 1.7); a listing without it is taken as active.
    active: value['status'] === undefined || value['status'] === 'Active',
  };
}

/**
 * A listed subscription is this credential's when it calls back to Furrow for the type and the
 * organization with this credential's token. The token matters: two Furrow users may connect the
 * same Deere organization, and each needs its own subscription to have its own sync queued. Deere
 * lists the token with the subscription; where it is left out, the callback and filter decide.
 */
function covers(subscription: ListedSubscription, eventTypeId: string, organizationId: string, target: EventTarget): boolean {
  return (
    subscription.active &&
    subscription.eventTypeId === eventTypeId &&
    subscription.uri === target.callbackUrl &&
    subscription.orgIds.includes(organizationId) &&
    (subscription.token === undefined || subscription.token === target.token)
  );
}

async function createSubscription(credential: Credential, ctx: AdapterContext, eventTypeId: string, organizationId: string, target: EventTarget): Promise<void> {
  const url = `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/eventSubscriptions`;
  const body = {
    eventTypeId,
    filters: [{ key: 'orgId', values: [organizationId] }],
    targetEndpoint: { targetType: 'https', uri: target.callbackUrl },
    status: 'Active',
    displayName: `Furrow ${eventTypeId} ${organizationId}`,
    token: target.token,
  };
  const response = await callProvider(ctx, url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessTokenOf(credential)}`, Accept: DEERE_MEDIA_TYPE, 'Content-Type': DEERE_MEDIA_TYPE },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await providerErrorOf(response, 'api', (result) => classifyJohnDeereError(result));
  await response.body?.cancel();
}

export async function ensureDeereSubscriptions(credential: Credential, ctx: AdapterContext, organizations: readonly SyncScope[], target: EventTarget): Promise<SubscriptionsEnsured> {
  if (!DEERE_TOKEN_PATTERN.test(target.token)) throw new ProviderError({ errorClass: 'permanent', reason: `Deere subscription tokens must match ${DEERE_TOKEN_PATTERN.source}` });
  const listed = await listSubscriptions(credential, ctx);
  const result: SubscriptionsEnsured = { existing: 0, created: 0 };
  for (const organization of organizations) {
    // An organization the grower has not connected answers 403 to everything organization-scoped.
    if (!organization.connected) continue;
    for (const eventTypeId of DEERE_SYNC_EVENT_TYPES) {
      if (listed.some((s) => covers(s, eventTypeId, organization.providerId, target))) {
        result.existing += 1;
        continue;
      }
      await createSubscription(credential, ctx, eventTypeId, organization.providerId, target);
      result.created += 1;
    }
  }
  return result;
}

/** Deere delivers an array of events, each carrying the subscription's `token` (providers.md 1.7). */
export function parseDeereDelivery(body: unknown): ProviderDelivery | undefined {
  if (!Array.isArray(body) || body.length === 0) return undefined;
  const tokens: string[] = [];
  for (const event of body as unknown[]) {
    const token = (event as { token?: unknown } | null)?.token;
    if (typeof token !== 'string') return undefined;
    tokens.push(token);
  }
  return { tokens };
}

/** The John Deere events part of the adapter. */
export const johnDeereEvents: ProviderEvents<JohnDeereCredentialFields> = {
  ensureSubscriptions: ensureDeereSubscriptions,
  parseDelivery: parseDeereDelivery,
};
