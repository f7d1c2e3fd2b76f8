/**
 * The shape every provider folder exports: a `Provider` value (what Leaf's API says about the
 * provider: ids, the credential POST body, which fields are secret, what it can do) and, once
 * written, a `ProviderAdapter` (the provider's real protocol). Shared code asks these values for
 * capabilities and never switches on a provider id (STYLE.md, "a provider is a value").
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { ProviderErrorClass, TokenSet } from '../domain/index.js';
import type { ProviderEmulator } from './provider-emulator.js';
import type { ProviderLink } from './provider-link.js';
import type { Exchange } from './redact-exchange.js';
import type { ProviderSync } from './sync-data.js';
import type { ProviderEvents } from './provider-events.js';
import type { RateBudget } from './rate-budget.js';

/** Leaf's environment names (leaf-api.md 3.1: "STAGE (also known as Sandbox or Test) and PRODUCTION"). */
export const ENVIRONMENTS = ['STAGE', 'PRODUCTION'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The body property that selects the environment, named the same by every provider that has one (leaf-api.md 3.3). */
export const ENVIRONMENT_FIELD = 'clientEnvironment';

/**
 * How a credential authenticates (providers.md 0.1 and 0.2, adjusted to what Leaf stores: Furrow
 * receives refresh tokens, never runs the authorization-code step itself).
 */
export type AuthKind =
  /** OAuth 2.0 client + grower refresh token (RFC 6749 section 6). */
  | 'oauth2_refresh_token'
  /** No token: every request is signed (Raven Slingshot, HMAC-SHA1 over method, host, path, time and keys). */
  | 'hmac_signed_keys'
  /** An API key plus an access/refresh token pair issued for it (Stara). */
  | 'api_key_token_pair'
  /** Username and password exchanged for a session token (Sentera legacy sessions, Agvance). */
  | 'password_session'
  /** AWS Cognito user pool: InitiateAuth with REFRESH_TOKEN_AUTH (Panorama). */
  | 'cognito_user_pool';

/** The levels of the grower/farm/field hierarchy a provider has (leaf-api.md 3.7). */
export type HierarchyLevel = 'grower' | 'farm' | 'field';

/** What a provider can do; core code asks these, never the id. Every flag defaults to false. */
export interface ProviderCapabilities {
  /** The credential holds something that expires and the adapter can renew it without the grower. */
  supportsRefresh: boolean;
  /**
   * A refresh returns a new refresh token and the old one dies (Climate: one hour later; Trimble:
   * at once). Store the new one before anything else uses it, and never refresh twice at once.
   */
  rotatesRefreshToken: boolean;
  /** The provider documents a revocation endpoint, so DELETE revokes there too. */
  supportsRevoke: boolean;
  /** The provider can push change events to Furrow; otherwise sync polls. */
  supportsWebhooks: boolean;
  /** Organizations with a connected/selected state of their own (Leaf's `/organizations/{provider}`: JohnDeere, Trimble). */
  hasOrganizations: boolean;
  /** Machine files or operations are synced from this provider. */
  hasMachineFiles: boolean;
}

/** How GET shows a secret field: masked (last 4 characters) or not at all (SPEC section 3: tokens and passwords never). */
export type SecretDisplay = 'masked' | 'hidden';

/** A provider's base URL per environment, as an adapter's client.ts declares it. */
export interface HostUrls {
  PRODUCTION: string;
  /** Absent when the provider has no separate test host. */
  STAGE?: string;
  /**
   * Path of this host under `/sandbox/<provider-id>`; defaults to the production URL's path.
   * Set it when two hosts of one provider would serve colliding paths.
   */
  sandboxPath?: string;
}

/** A fetch-compatible function: tests and the sandbox pass their own. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** What an adapter gets besides the credential: HTTP, URLs for the credential's environment, a clock. */
export interface AdapterContext {
  readonly environment: Environment;
  /** The URL to call for one of the adapter's hosts: the environment's, or the emulator's when the sandbox is on. */
  baseUrl(urls: HostUrls): string;
  /** Fetch that records every exchange, redacted, through `onExchange`. */
  fetch: FetchLike;
  /** Records an exchange made some other way than `fetch` (it is redacted first). */
  onExchange(exchange: Exchange): void;
  now(): number;
}

/** A credential as an adapter sees it: the POST body with defaults applied and secrets decrypted. */
export interface ProviderCredential<Fields = Record<string, unknown>> {
  id: string;
  environment: Environment;
  /** What the user posted (only the schema's properties). */
  fields: Fields;
  /**
   * Tokens the provider issued since. A refresh token here supersedes `fields.refreshToken`:
   * rotating providers invalidate the posted one after the first refresh.
   */
  tokens: TokenSet | undefined;
}

/** One HTTP answer an adapter asks to be classified. */
export interface HttpResult {
  /** A 401 from the token endpoint means the grant is gone; from the data API, only that the access token expired. */
  purpose: 'token' | 'api';
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

/** An error class with the reason and, for rate limits and retry-later answers, how long to wait. */
export interface ErrorClassification {
  errorClass: ProviderErrorClass;
  reason: string;
  retryAfterMs?: number;
}

/**
 * An organization as a provider lists it, for Leaf's organization endpoints (leaf-api.md 3.5):
 * Deere's organizations, Trimble's. The id is the provider's, so it is the natural key of a sync.
 */
export interface ProviderOrganization {
  id: string;
  name: string;
  /** The grower let this application into the organization, so its data can be read. */
  connected: boolean;
  /**
   * The provider's page where the grower connects the organization to the application, or manages
   * the connection once made (Leaf shows it as `managementUri`).
   */
  connectUrl?: string;
}

/**
 * A provider's real protocol. Failures are thrown as `ProviderError` carrying an error class, so
 * services apply one status rule (`nextStatus`) to every provider.
 */
export interface ProviderAdapter<Fields = Record<string, unknown>> {
  /**
   * Checks a freshly posted credential against the provider (SPEC section 3: POST validates
   * before answering) and returns the first token set, or `undefined` when the credential has no
   * token (signed requests). `credential.tokens` holds the stored tokens when the body posted is
   * the one already stored (the grant goes on). A failure after the provider issued tokens throws
   * them with the error (`ProviderError.tokens`), so a rotated refresh token is stored even then.
   */
  validate(credential: ProviderCredential<Fields>, ctx: AdapterContext): Promise<TokenSet | undefined>;
  /** Renews the access token (refresh grant, re-login or Cognito refresh). Called only when `supportsRefresh`. */
  refresh(credential: ProviderCredential<Fields>, ctx: AdapterContext): Promise<TokenSet>;
  /** Revokes the grant at the provider. Present only when `supportsRevoke`. */
  revoke?(credential: ProviderCredential<Fields>, ctx: AdapterContext): Promise<void>;
  /**
   * Every organization the credential's user belongs to, all pages read, with its connection
   * state. Present only when `hasOrganizations`; `credential.tokens` holds a current access token.
   */
  listOrganizations?(credential: ProviderCredential<Fields>, ctx: AdapterContext): Promise<ProviderOrganization[]>;
  /** The error class of an answer, or `undefined` when it is a success (some errors come with 200, e.g. GraphQL `errors`). */
  classifyError(result: HttpResult): ErrorClassification | undefined;
  /** What a sync reads (`sync-data.ts`); absent until the provider's sync listings are written. */
  sync?: ProviderSync<Fields>;
  /** Event subscriptions and deliveries (`provider-events.ts`); absent where the provider has none and syncs poll. */
  events?: ProviderEvents<Fields>;
}

/** The property names of a credential body. */
export type FieldName<S extends TObject> = keyof Static<S> & string;

// Field names below are plain strings: `keyof` would make `Provider<S>` invariant in S, and then
// no provider would fit `Provider` in the registry. `defineProvider()` checks the names against
// the schema instead.
/** A provider, as a value. Build one with `defineProvider()`. */
export interface Provider<S extends TObject = TObject> {
  /** Kebab-case; equals the folder name, the registry key and Leaf's URL stem (`<id>-credentials`). */
  id: string;
  /** Leaf's name for the provider in other APIs (`/organizations/{provider}`, integrations summaries). */
  apiName: string;
  /** Human-readable name for messages and docs. */
  name: string;
  /** The Leaf user resource's property holding this credential (leaf-api.md 2.2). */
  userField: string;
  /** The path segment of the credentials routes under `/users/{id}/`. */
  credentialsPath: string;
  auth: AuthKind;
  /** Environments the body may select with `clientEnvironment`; empty when the provider has one (PRODUCTION). */
  environments: readonly Environment[];
  /** The environment used when the body leaves `clientEnvironment` out; `undefined` when required or absent. */
  defaultEnvironment: Environment | undefined;
  capabilities: ProviderCapabilities;
  /** The hierarchy levels data syncs at. */
  hierarchy: readonly HierarchyLevel[];
  /** The POST body Leaf documents (leaf-api.md 3.3); unknown properties are ignored, as Leaf does. */
  credentialSchema: S;
  /** The documented example body, valid against the schema; the sandbox hands out bodies of this shape. */
  credentialExample: Static<S>;
  /** Body fields encrypted at rest, with how GET shows them. */
  secretFields: Readonly<Record<string, SecretDisplay>>;
  /** Body fields stored and shown as they are. Together with `secretFields`: every schema property exactly once. */
  publicFields: readonly string[];
  /** The public field Leaf's credential alerts carry as `credential` ("the client identification"). */
  clientIdentityField: string | undefined;
  /** The real protocol; `undefined` until written (routes then answer 501 `provider_not_implemented`). */
  adapter: ProviderAdapter<Static<S>> | undefined;
  /** The protocol served locally by the sandbox (`src/sandbox`); absent until written. */
  emulator?: ProviderEmulator<Static<S>> | undefined;
  /** The request rate each developer app of this provider may use (`rate-budget.ts`); absent: unknown, only 429s slow calls down. */
  rateBudget?: RateBudget | undefined;
  /** Leaf's one-click connection for this provider (`/one-click-integration/{apiName}`); absent for most. */
  oneClick?: OneClickFlow | undefined;
  /** How a grower connects it through Magic Link and the widget, with the app key it needs; absent: not offered there. */
  link?: ProviderLink | undefined;
}

/**
 * Leaf's one-click connection (`POST /users/{id}/one-click-integration/{apiName}`; leaf-api.md 3.3
 * for Panorama's, 3.6 for John Deere's historical one): Furrow sends the grower to a page of the
 * provider, and the provider sends them back to Furrow's callback with what completes the
 * credential body. The provider says what its start body is, which page, and how the callback
 * completes the body; the route and the pending state are the same for every provider.
 */
export interface OneClickFlow {
  /** The start request's body as Leaf documents it; its `clientEnvironment` picks the environment. */
  startSchema: TObject;
  /** The page the grower opens, leading back to `callbackUrl` with `state`. */
  startUrl(start: Record<string, unknown>, request: { state: string; callbackUrl: string; baseUrl(urls: HostUrls): string }): string;
  /**
   * The credential body to connect with (the provider's `credentialSchema` shape, less what the
   * adapter obtains itself), from the start body and the callback's query; or the query parameter
   * the callback lacks.
   */
  credentialBody(start: Record<string, unknown>, callback: Readonly<Record<string, string>>): { body: Record<string, unknown> } | { missing: string };
}
