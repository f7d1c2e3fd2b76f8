/**
 * The port a provider's emulator is written against (STYLE.md: `<id>/emulator.ts`, "the provider's
 * protocol served locally: the sandbox and the test double"). The sandbox (`src/sandbox`)
 * implements it: accounts, the OAuth grant state machine, injected faults and stats. Emulators
 * import only this file, so the dependency runs sandbox -> providers and never back, and each
 * emulator writes nothing but its provider's wire format.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

/** What a sandbox account holds (SPEC section 4): a few organizations, many, or none. */
export const SANDBOX_SCENARIOS = ['default', 'large', 'empty'] as const;
export type SandboxScenario = (typeof SANDBOX_SCENARIOS)[number];

/**
 * An organization of a sandbox account. `connected` is Deere's per-organization grant
 * (providers.md 1.3); providers without one treat every organization as connected.
 */
export interface EmulatedOrganization {
  /** A UUID. */
  readonly id: string;
  /** A short decimal id, for providers whose ids are numbers (Deere's `"id": "1234"`). */
  readonly number: string;
  readonly name: string;
  readonly connected: boolean;
}

/** A field of a sandbox account; its boundaries are in `EmulatedAccount.operation`. */
export interface EmulatedField {
  /** A UUID. */
  readonly id: string;
  readonly name: string;
  readonly organizationId: string;
  /** The grower (Deere client) and farm it belongs to, in its organization. */
  readonly growerId: string;
  readonly farmId: string;
}

/** A grower of an organization (Deere's client). */
export interface EmulatedGrower {
  readonly id: string;
  readonly name: string;
  readonly organizationId: string;
}

/** A farm of an organization, under one grower. */
export interface EmulatedFarm {
  readonly id: string;
  readonly name: string;
  readonly organizationId: string;
  readonly growerId: string;
}

/** A field boundary; a change makes a new one and the old one inactive (Climate's are immutable, providers.md 3.5). */
export interface EmulatedBoundary {
  /** A UUID. */
  readonly id: string;
  readonly fieldId: string;
  readonly active: boolean;
  /** The account revision it was made at (0: the scenario's). */
  readonly revision: number;
  /** ISO-8601 UTC. */
  readonly modifiedTime: string;
  /** GeoJSON MultiPolygon coordinates, longitude/latitude in WGS 84, rings closed. */
  readonly coordinates: readonly (readonly (readonly (readonly number[])[])[])[];
  readonly areaHectares: number;
}

/** The operation a machine file records. */
export type EmulatedOperationKind = 'harvest' | 'seeding' | 'application' | 'tillage';

/** A machine file of an organization: its metadata; the bytes come from `EmulatedOperationData.fileBytes`. */
export interface EmulatedMachineFile {
  /** A UUID (Climate's activity ids). */
  readonly id: string;
  /** A decimal id (Deere's file ids are numbers, providers.md 1.6). */
  readonly number: string;
  readonly organizationId: string;
  readonly fieldId: string;
  readonly name: string;
  /** A zipped ISOXML TASKDATA set or a zipped point shapefile. */
  readonly format: 'isoxml' | 'shapefile';
  readonly operation: EmulatedOperationKind;
  /** Bytes of `fileBytes(file)`. */
  readonly size: number;
  readonly createdTime: string;
  readonly modifiedTime: string;
  readonly revision: number;
  /** Absent: `upload`. */
  readonly transfer?: EmulatedTransfer;
}

/** How a file's data reached the provider; see `listFiles`. */
export type EmulatedTransfer = 'upload' | 'wireless';

/** A change made through the sandbox control API, for emulators that push events. */
export interface EmulatedChange {
  kind: 'file_added' | 'boundary_changed';
  organizationId: string;
  fieldId: string;
  /** The file's or the new boundary's id. */
  id: string;
  revision: number;
}

/**
 * What a sync reads from an account: growers, farms, boundaries and machine files, with a
 * revision that advances on every change so emulators can serve change cursors. `large` accounts
 * make boundaries, file metadata and bytes on demand from the seed; nothing here holds all bytes.
 */
export interface EmulatedOperationData {
  /** The latest change's revision; 0 until something changes. */
  revision(): number;
  readonly growers: readonly EmulatedGrower[];
  readonly farms: readonly EmulatedFarm[];
  /** The revision a field last changed at (its boundary). */
  fieldRevision(fieldId: string): number;
  /** Every boundary of a field, oldest first; the last one is active. */
  boundaries(fieldId: string): readonly EmulatedBoundary[];
  /** A boundary by id, active or not. */
  boundary(id: string): EmulatedBoundary | undefined;
  /** Files in (revision, creation) order, optionally of one organization, of some operations, and changed after a revision. */
  /**
   * `transfer` narrows to how the data reached the provider: `upload`, a file uploaded to its file
   * store (Deere's Files API), or `wireless`, data sent from the machine that exists only as the
   * provider's processed field operation (Deere's field operations). Absent: every file.
   */
  listFiles(query: { organizationId?: string | undefined; fieldId?: string | undefined; operations?: readonly EmulatedOperationKind[] | undefined; transfer?: EmulatedTransfer | undefined; afterRevision?: number | undefined; offset: number; limit: number }): { total: number; files: EmulatedMachineFile[] };
  /** A file by its UUID or its decimal number. */
  file(id: string): EmulatedMachineFile | undefined;
  /** The file's bytes, made on demand (the same on every call); `format` asks for the same data in another format (an export). */
  fileBytes(file: EmulatedMachineFile, format?: EmulatedMachineFile['format']): Uint8Array;
  /** Calls `listener` after every change; returns the unsubscribe. */
  onChange(listener: (change: EmulatedChange) => void): () => void;
  /**
   * How many times each asynchronous export (Deere's `/fieldOps`) answers "still preparing"
   * before it is ready; `undefined`: the emulator's own default.
   */
  readonly exportPendingAnswers?: number | undefined;
}

/** One sandbox account as its emulator sees it: the developer's app, the grower and their data. */
export interface EmulatedAccount {
  readonly id: string;
  readonly scenario: SandboxScenario;
  /** The developer app the account's credentials belong to; unique per account, so they identify it. */
  readonly app: { readonly clientId: string; readonly clientSecret: string; readonly apiKey: string };
  /** The grower who granted access (Climate's resource owner, providers.md 3.3). */
  readonly grower: { readonly id: string; readonly name: string; readonly email: string };
  readonly organizations: readonly EmulatedOrganization[];
  readonly fields: readonly EmulatedField[];
  /** Growers, farms, boundaries and machine files; one mutable object for the account's life. */
  readonly operation: EmulatedOperationData;
}

/** How a provider's authorization server treats tokens; the sandbox's grant state machine follows it. */
export interface OAuthPolicy {
  /** Access-token lifetime, `expires_in` of every token answer. */
  accessTokenSeconds: number;
  /** Refresh-token lifetime: from issue (`fixed`) or from last use (`sliding`, "expire after N days of inactivity"). */
  refreshTokenSeconds: number;
  refreshTokenLifetime: 'fixed' | 'sliding';
  /**
   * Present when every refresh issues a new refresh token; the redeemed one keeps working for
   * `graceSeconds` and is then dead. Absent: the same refresh token comes back on every refresh.
   */
  rotation?: { graceSeconds: number };
  /** Scopes a grower grants when the authorize request names none, and those of new sandbox accounts. */
  scopes: readonly string[];
  /** The scope the `limitedPermission: true` fault takes away (a string fault names another). */
  essentialScope: string;
}

/** Tokens the sandbox issued for a grant. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token has left (a retry inside the rotation grace gets the same, older token). */
  expiresIn: number;
  scopes: readonly string[];
}

/** RFC 6749 section 5.2 error codes the sandbox's grant logic answers with. */
export type OAuthErrorCode = 'invalid_grant' | 'invalid_request' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type';

/** The outcome of a token request, for the emulator to put in its provider's wire format. */
export type GrantOutcome = { ok: true; tokens: IssuedTokens } | { ok: false; error: OAuthErrorCode; description: string };

/** A bearer token checked against the sandbox: the account and the scopes still granted, or why not. */
export type AccessCheck =
  | { ok: true; account: EmulatedAccount; scopes: readonly string[] }
  | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'revoked'; description: string };

/** The route kinds faults and stats tell apart: token endpoints, data API calls, and pages a browser opens. */
export type EmulatedCallKind = 'token' | 'api' | 'page';

/** An answer the sandbox injects (a fault), in the provider's own format. */
export interface EmulatedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** The injected faults an emulator must put into its wire format. */
export type InjectedFault =
  /** `rateLimitPerMinute` exceeded: a 429, and how long until the window has room again. */
  | { fault: 'rate_limited'; kind: EmulatedCallKind; retryAfterSeconds: number }
  /** `errorRate` drew this call: a 5xx. */
  | { fault: 'server_error'; kind: EmulatedCallKind; retryAfterSeconds: number };

/** Options of the authorize page the sandbox serves for an emulator. */
export interface AuthorizePageOptions {
  /** The provider's name on the consent page. */
  providerName: string;
  /** Authorize parameters the provider requires besides RFC 6749's (Climate's `page=oidcauthn` is optional, so none yet). */
  requireParameters?: readonly string[];
}

/** What the sandbox gives an emulator; the emulator adds only its provider's paths and wire format. */
export interface EmulatorContext {
  /** The absolute URL of a path of this emulator as the caller reached it (for paging links and redirects). */
  publicUrl(request: FastifyRequest, path: string): string;
  /** The account whose app has this client id. */
  accountByClientId(clientId: string): EmulatedAccount | undefined;
  /** The account whose app has this API key. */
  accountByApiKey(apiKey: string): EmulatedAccount | undefined;
  /** The account whose app is named by HTTP Basic client authentication (RFC 6749 section 2.3.1), secret not checked. */
  accountByBasicAuth(authorization: string | undefined): EmulatedAccount | undefined;
  /** The account behind a bearer access token, expired or not (so the call still counts for it). */
  accountByBearer(authorization: string | undefined): EmulatedAccount | undefined;
  /** HTTP Basic client authentication: the account when client id and secret match. */
  authenticateClient(authorization: string | undefined): EmulatedAccount | undefined;
  /** Checks `Authorization: Bearer <token>`, taking a `limitedPermission` fault's scope away. */
  checkAccessToken(authorization: string | undefined): AccessCheck;
  /**
   * A preHandler that every emulator route goes through: it finds the account, counts the call in
   * its stats and applies its faults (down, latency, rate limit, error rate) before the handler runs.
   */
  guard(kind: EmulatedCallKind, identify: (request: FastifyRequest) => EmulatedAccount | undefined): preHandlerAsyncHookHandler;
  /**
   * Serves RFC 6749 section 4.1's authorize step at `path`: GET shows a consent page, its form POST
   * redirects to `redirect_uri` with `code` and `state` (or `error=access_denied`). PKCE S256 (RFC 7636).
   */
  registerAuthorizePage(app: FastifyInstance, path: string, options: AuthorizePageOptions): void;
  /** The `authorization_code` grant (RFC 6749 section 4.1.3), PKCE checked. */
  redeemAuthorizationCode(account: EmulatedAccount, request: { code: string; redirectUri: string | undefined; codeVerifier: string | undefined }): GrantOutcome;
  /** The `refresh_token` grant (RFC 6749 section 6), with the policy's rotation and grace. */
  redeemRefreshToken(account: EmulatedAccount, refreshToken: string): GrantOutcome;
  /**
   * A token endpoint's form (RFC 6749 sections 4.1.3 and 6): dispatches on `grant_type` to the
   * code or refresh redemption, or says which parameter is missing or that the grant type is not
   * served. Every OAuth emulator calls this and only puts the outcome in its provider's wire format.
   */
  redeemTokenRequest(account: EmulatedAccount, form: Readonly<Record<string, string | undefined>>): GrantOutcome;
  /**
   * A new grant with its first tokens, issued on a password login rather than a consent page
   * (Cognito's `USER_PASSWORD_AUTH`, providers.md 12.1). A login, not a refresh: `refreshes` does
   * not count it. Earlier grants, revoked or not, stay as they are.
   */
  issueGrant(account: EmulatedAccount): GrantOutcome;
  /** RFC 7009: revokes a refresh token (and what it issued) or an access token; unknown tokens are ignored. */
  revokeToken(account: EmulatedAccount, token: string): void;
  /** Connects or disconnects an organization (Deere's connections page). */
  setOrganizationConnected(account: EmulatedAccount, organizationId: string, connected: boolean): void;
}

/** A provider's emulator: its authorization server's policy, the credential body, and its routes. */
export interface ProviderEmulator<Fields = Record<string, unknown>> {
  oauth: OAuthPolicy;
  /**
   * The body to POST to the provider's credentials route for this account (SPEC section 4: "the
   * exact body"), valid against the provider's `credentialSchema`.
   */
  credentialBody(account: EmulatedAccount, grant: { refreshToken: string }): Fields;
  /** An injected fault in the provider's own format. */
  faultAnswer(fault: InjectedFault): EmulatedAnswer;
  /**
   * Registers the provider's routes with the provider's own paths (as `resolveBaseUrl` maps them);
   * the sandbox mounts them under `/sandbox/<provider-id>`, public and hidden from the OpenAPI document.
   */
  routes(app: FastifyInstance, context: EmulatorContext): Promise<void>;
}
