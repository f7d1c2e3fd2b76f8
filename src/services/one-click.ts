/**
 * Leaf's one-click connection (leaf-api.md 3.3: Panorama's `POST /users/{id}/one-click-integration/
 * Panorama` "handles the Cognito token exchange and sharing handshake automatically"; 3.6: John
 * Deere's historical one answered `{ signInUrl }` and completed at
 * `/users/one-click-integration/JohnDeere/callback`). Start: remember the start body under a random
 * `state` and answer the provider page the grower opens. Callback: the provider sends the grower
 * back with `state` and what completes the credential body, which is then connected as a posted
 * one would be (validated at the provider, stored encrypted).
 *
 * [I] Leaf's start answer and callback are not documented beyond that (leaf-api.md 3.3 "One-click
 * response body: not captured"); Furrow answers John Deere's shape.
 */
import crypto from 'node:crypto';
import { FurrowError, type OwnerContext } from '../domain/index.js';
import { resolveBaseUrl } from '../providers/adapter-context.js';
import { environmentOf } from '../providers/define-provider.js';
import type { Provider } from '../providers/provider.js';
import type { CredentialsService, CredentialView } from './credentials.js';
import type { UsersService } from './users.js';

/**
 * [I] How long a grower has between the start and the callback: the share page is one sign-in and
 * one choice away, and a pending start holds the partner's password in memory.
 */
export const ONE_CLICK_TTL_MS = 60 * 60 * 1000;
/** [I] Pending starts one process keeps; past it the oldest is dropped, so memory stays bounded. */
export const MAX_PENDING_ONE_CLICKS = 10_000;

/** A started one-click, waiting for the provider's callback. */
export interface PendingOneClick {
  owner: OwnerContext;
  userId: string;
  providerId: string;
  start: Record<string, unknown>;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * Started one-clicks by `state`, in memory: the start body holds the partner's password, and only
 * for minutes, so it is kept out of the database. [I] The callback must reach the API process that
 * answered the start: a deployment with several API processes routes `/one-click-integration/`
 * to one of them (sticky), or a restart in between makes the grower start again.
 */
export class PendingOneClicks {
  private readonly pending = new Map<string, PendingOneClick>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers a start; returns its `state`, 256 random bits. */
  add(entry: Omit<PendingOneClick, 'expiresAt'>): { state: string; expiresAt: number } {
    this.forgetExpired();
    while (this.pending.size >= MAX_PENDING_ONE_CLICKS) this.pending.delete(this.pending.keys().next().value!);
    const state = crypto.randomBytes(32).toString('base64url');
    const expiresAt = this.now() + ONE_CLICK_TTL_MS;
    this.pending.set(state, { ...entry, expiresAt });
    return { state, expiresAt };
  }

  /** The start of `state` if it is still pending, for `providerId`. */
  get(state: string, providerId: string): PendingOneClick | undefined {
    const entry = this.pending.get(state);
    if (entry === undefined || entry.providerId !== providerId) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.pending.delete(state);
      return undefined;
    }
    return entry;
  }

  /** Ends a start: a `state` completes one credential, once. */
  delete(state: string): void {
    this.pending.delete(state);
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [state, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(state);
  }
}

/** What a one-click needs. */
export interface OneClickDependencies {
  credentials: Pick<CredentialsService, 'connect'>;
  users: Pick<UsersService, 'get'>;
  pending: PendingOneClicks;
}

/** The start's answer: the page for the grower, and the callback Furrow expects (the provider's redirect setting). */
export interface OneClickStarted {
  signInUrl: string;
  callbackUrl: string;
  /** ISO-8601 UTC: the callback is refused after this. */
  expiresAt: string;
}

/** The callback's answer, in the shape of John Deere's one-click (leaf-api.md 3.6). */
export interface OneClickCompleted {
  status: 'CREDENTIAL_ASSIGNED';
  message: string;
  leafUserId: string;
  credential: CredentialView;
}

/**
 * Starts a one-click for a Leaf user: the user must exist; the start body (already validated
 * against the provider's `startSchema`) is kept until the callback.
 */
export async function startOneClick(
  deps: OneClickDependencies,
  owner: OwnerContext,
  userId: string,
  provider: Provider,
  start: Record<string, unknown>,
  urls: { callbackUrl: string; sandboxBaseUrl: string | undefined },
): Promise<OneClickStarted> {
  const flow = oneClickOf(provider);
  await deps.users.get(owner, userId);
  if (provider.adapter === undefined) throw new FurrowError('provider_not_implemented', `Furrow has no ${provider.name} adapter in this release, so a one-click cannot complete.`);
  const { state, expiresAt } = deps.pending.add({ owner, userId, providerId: provider.id, start });
  const environment = environmentOf(provider, start);
  const baseUrl = (hostUrls: Parameters<typeof resolveBaseUrl>[0]) => resolveBaseUrl(hostUrls, { providerId: provider.id, environment, sandboxBaseUrl: urls.sandboxBaseUrl });
  return { signInUrl: flow.startUrl(start, { state, callbackUrl: urls.callbackUrl, baseUrl }), callbackUrl: urls.callbackUrl, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Completes a one-click from the provider's callback: the pending start of `state`, the query's
 * additions, then `connect` as for a posted body. A start stays pending until a credential is
 * stored, so a grower whose share was refused can share again and come back.
 */
export async function completeOneClick(deps: OneClickDependencies, provider: Provider, query: Readonly<Record<string, string>>): Promise<OneClickCompleted> {
  const flow = oneClickOf(provider);
  const state = query['state'];
  const pending = state === undefined ? undefined : deps.pending.get(state, provider.id);
  if (state === undefined || pending === undefined) {
    throw new FurrowError('not_found', `No pending ${provider.name} one-click for this state: it expired (after ${ONE_CLICK_TTL_MS / 60_000} minutes), was completed, or was started on another Furrow process. Start again with POST /users/{id}/one-click-integration/${provider.apiName}.`);
  }
  const built = flow.credentialBody(pending.start, query);
  if ('missing' in built) {
    throw new FurrowError('validation_failed', `${provider.name}'s callback lacks the ${built.missing} query parameter; expected it beside state.`, { fieldErrors: [{ field: `querystring.${built.missing}`, message: 'is required' }] });
  }
  const credential = await deps.credentials.connect(pending.owner, pending.userId, provider.id, built.body);
  deps.pending.delete(state);
  return { status: 'CREDENTIAL_ASSIGNED', message: `${provider.apiName} Credential assigned to Leaf User`, leafUserId: pending.userId, credential };
}

function oneClickOf(provider: Provider) {
  if (provider.oneClick === undefined) throw new FurrowError('not_found', `${provider.name} has no one-click connection; POST its credentials to /users/{id}/${provider.credentialsPath}.`);
  return provider.oneClick;
}
