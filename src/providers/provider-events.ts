/**
 * Provider events, an optional part of `ProviderAdapter` (issue 5: "on provider events"): the
 * provider pushes a notice to Furrow's callback when a grower's data changes, and Furrow answers by
 * syncing that credential. The adapter knows the provider's subscription API and delivery format;
 * what the notice says is not trusted beyond "sync this credential": the sync reads the change
 * through the same listings as any run.
 */
import type { AdapterContext, ProviderCredential } from './provider.js';
import type { SyncScope } from './sync-data.js';

/** Where a provider delivers and how Furrow recognises the delivery as its own. */
export interface EventTarget {
  /** Furrow's public callback for the provider (`FURROW_PUBLIC_URL/webhooks/provider-events/<id>`). */
  callbackUrl: string;
  /** The credential's subscription token, echoed by the provider in each delivery. */
  token: string;
}

/** What `ensureSubscriptions` did. */
export interface SubscriptionsEnsured {
  /** Subscriptions that already existed for this callback and token. */
  existing: number;
  created: number;
}

/** A delivery as the adapter reads it: the subscription tokens it carries (one per event). */
export interface ProviderDelivery {
  tokens: string[];
}

export interface ProviderEvents<Fields = Record<string, unknown>> {
  /**
   * Makes sure each connected organization has one subscription per event type Furrow needs,
   * pointing at `target`: lists the existing ones and creates only the missing, so calling it on
   * every sync never duplicates one. `credential.tokens` holds a current access token.
   */
  ensureSubscriptions(credential: ProviderCredential<Fields>, ctx: AdapterContext, organizations: readonly SyncScope[], target: EventTarget): Promise<SubscriptionsEnsured>;
  /** The tokens of a delivery body, or `undefined` when the body is not one of this provider's deliveries. */
  parseDelivery(body: unknown): ProviderDelivery | undefined;
}
