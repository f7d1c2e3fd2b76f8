/**
 * Sandbox accounts. In memory on purpose: the sandbox is served by the one Furrow API process that
 * mounts it (SPEC section 4, "served by Furrow itself"), its accounts are test fixtures created
 * through the control API, and a restart starting empty is what a developer expects of a sandbox.
 * A distributed deployment that wants the sandbox enables it on a single API process.
 */
import crypto from 'node:crypto';
import type { EmulatedAccount, EmulatedOrganization, OAuthPolicy, SandboxScenario } from '../providers/provider-emulator.js';
import { describeFaults, droppedScopeOf, noFaults, setFaults, type FaultState, type SandboxFaults } from './faults.js';
import { GrantBook } from './oauth-grants.js';
import { buildScenarioData } from './scenario.js';
import { MAX_SEED, createSeededRandom, type SeededRandom } from './seeded-random.js';

/** What tests assert on (SPEC section 4). */
export interface SandboxStats {
  /** Calls to the token and revocation endpoints. */
  tokenRequests: number;
  /** `refresh_token` grants answered with tokens. */
  refreshes: number;
  /** A refresh token presented again after it was replaced and its grace had ended. */
  refreshTokensRedeemedTwice: number;
  /** Token answers with `invalid_grant`. */
  invalidGrantAnswers: number;
  /** Calls to the data API. */
  apiCalls: number;
  /** API calls answered 429 by the `rateLimitPerMinute` fault. */
  rateLimited: number;
}

/** One sandbox account with everything the emulators and the control API keep about it. */
export interface SandboxAccount {
  readonly id: string;
  /** The API owner who created it; no one else sees it. */
  readonly ownerId: string;
  readonly providerId: string;
  readonly scenario: SandboxScenario;
  readonly seed: number;
  /** ISO-8601 UTC. */
  readonly createdTime: string;
  readonly policy: OAuthPolicy;
  /** What the emulator sees; replaced (never mutated) when an organization is connected. */
  view: EmulatedAccount;
  readonly grants: GrantBook;
  faults: FaultState;
  readonly stats: SandboxStats;
  /** Draws for the `errorRate` fault, seeded so a run can be repeated. */
  readonly draws: SeededRandom;
}

/** What a new account is made of; the policy is the provider emulator's. */
export interface CreateSandboxAccount {
  ownerId: string;
  providerId: string;
  policy: OAuthPolicy;
  scenario: SandboxScenario;
  /** Unsigned 32-bit; random when absent. */
  seed?: number | undefined;
  /** Field count of a `large` scenario. */
  fields?: number | undefined;
}

/** [I] Per API owner; creating one more drops that owner's oldest account, so memory stays bounded. */
export const MAX_ACCOUNTS_PER_OWNER = 1000;

/** Every sandbox account of the process, with lookups by the credentials emulators receive. */
export class SandboxAccountStore {
  readonly now: () => number;
  private readonly accounts = new Map<string, SandboxAccount>();
  private readonly byClientId = new Map<string, string>();
  private readonly byApiKey = new Map<string, string>();
  private readonly byAccessToken = new Map<string, string>();

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** A new account with fresh app credentials and one grant, and the grant's refresh token. */
  create(input: CreateSandboxAccount): { account: SandboxAccount; refreshToken: string } {
    const seed = input.seed ?? crypto.randomInt(0, MAX_SEED);
    const createdAt = this.now();
    const data = buildScenarioData(input.scenario, createSeededRandom(seed), { createdAt, fields: input.fields });
    const id = crypto.randomUUID();
    const app = {
      clientId: `sandbox-${crypto.randomBytes(8).toString('hex')}`,
      clientSecret: crypto.randomBytes(24).toString('base64url'),
      apiKey: `sandbox-${crypto.randomUUID()}`,
    };
    const index = {
      add: (token: string) => this.byAccessToken.set(token, id),
      remove: (token: string) => this.byAccessToken.delete(token),
    };
    const account: SandboxAccount = {
      id,
      ownerId: input.ownerId,
      providerId: input.providerId,
      scenario: input.scenario,
      seed,
      createdTime: new Date(createdAt).toISOString(),
      policy: input.policy,
      view: { id, scenario: input.scenario, app, grower: data.grower, organizations: data.organizations, fields: data.fields, operation: data.operation },
      grants: new GrantBook(input.policy, this.now, index),
      faults: noFaults(),
      stats: { tokenRequests: 0, refreshes: 0, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 0, rateLimited: 0 },
      // A second sequence, so the error draws do not shift the data a seed gives.
      draws: createSeededRandom((seed ^ 0x9e3779b9) >>> 0),
    };
    this.evictOldestBeyondLimit(input.ownerId);
    this.accounts.set(id, account);
    this.byClientId.set(key(input.providerId, app.clientId), id);
    this.byApiKey.set(key(input.providerId, app.apiKey), id);
    const { refreshToken } = account.grants.issueGrant(input.policy.scopes);
    return { account, refreshToken };
  }

  /** The account with this id if `ownerId` created it; another owner's ids look unknown. */
  getOwned(id: string, ownerId: string): SandboxAccount | undefined {
    const account = this.accounts.get(id);
    return account?.ownerId === ownerId ? account : undefined;
  }

  /** Any owner's account (for emulators, which know accounts by their credentials, not by owner). */
  get(id: string): SandboxAccount | undefined {
    return this.accounts.get(id);
  }

  /** The account of `providerId` whose app has this client id. */
  findByClientId(providerId: string, clientId: string): SandboxAccount | undefined {
    return this.lookup(this.byClientId.get(key(providerId, clientId)));
  }

  /** The account of `providerId` whose app has this API key. */
  findByApiKey(providerId: string, apiKey: string): SandboxAccount | undefined {
    return this.lookup(this.byApiKey.get(key(providerId, apiKey)));
  }

  /** The account that was issued this access token, expired or not, if it belongs to `providerId`. */
  findByAccessToken(providerId: string, token: string): SandboxAccount | undefined {
    const account = this.lookup(this.byAccessToken.get(token));
    return account?.providerId === providerId ? account : undefined;
  }

  /** Replaces the account's faults; `revoke` revokes every grant issued so far, once. */
  setFaults(account: SandboxAccount, settings: SandboxFaults): SandboxFaults {
    account.faults = setFaults(account.faults, settings, this.now());
    if (settings.revoke === true) account.grants.revokeAll();
    return describeFaults(account.faults, this.now());
  }

  /** The faults as the control API shows them. */
  describeFaults(account: SandboxAccount): SandboxFaults {
    return describeFaults(account.faults, this.now());
  }

  /** The scope the account's `limitedPermission` fault takes away, if any. */
  droppedScope(account: SandboxAccount): string | undefined {
    return droppedScopeOf(account.faults.settings, account.policy.essentialScope);
  }

  /** Connects or disconnects one organization (the grower's choice on the provider's connections page). */
  setOrganizationConnected(account: SandboxAccount, organizationId: string, connected: boolean): void {
    const organizations = account.view.organizations.map((o): EmulatedOrganization => (o.id === organizationId ? { ...o, connected } : o));
    account.view = { ...account.view, organizations };
  }

  private lookup(id: string | undefined): SandboxAccount | undefined {
    return id === undefined ? undefined : this.accounts.get(id);
  }

  private evictOldestBeyondLimit(ownerId: string): void {
    const owned = [...this.accounts.values()].filter((a) => a.ownerId === ownerId);
    if (owned.length < MAX_ACCOUNTS_PER_OWNER) return;
    const oldest = owned[0]!; // Map keeps insertion order
    this.accounts.delete(oldest.id);
    this.byClientId.delete(key(oldest.providerId, oldest.view.app.clientId));
    this.byApiKey.delete(key(oldest.providerId, oldest.view.app.apiKey));
    for (const token of oldest.grants.accessTokens.keys()) this.byAccessToken.delete(token);
  }
}

function key(providerId: string, value: string): string {
  return `${providerId}\u0000${value}`;
}
