/**
 * Magic Links (leaf-api.md 6.4; SPEC section 10; anchors.md E): links to pages Furrow serves where
 * a grower connects providers to a Leaf user, or uploads machine files. A link expires, has a
 * usage limit (a use is a completed connection or upload), and can be deleted; the API owner's
 * app key of each provider supplies the application.
 *
 * OAuth hygiene (anchors.md E): every connection through a provider's consent page gets its own
 * `state`, 256 random bits stored only as a SHA-256, bound to the link, the provider and the
 * browser that started it (the route keeps it in an HttpOnly cookie), single use and expiring
 * after ten minutes; PKCE S256 where the provider supports it, the verifier encrypted at rest.
 */
import crypto from 'node:crypto';
import { FurrowError, isFurrowError, nowIso, type LeafUser, type OwnerContext } from '../domain/index.js';
import type { SecretBox } from '../keys/index.js';
import { createAdapterContext } from '../providers/adapter-context.js';
import type { Environment, FetchLike, Provider } from '../providers/provider.js';
import type { ProviderLink } from '../providers/provider-link.js';
import { isProviderError } from '../providers/provider-error.js';
import type { MagicLinkRecord, MagicLinksRepository, MagicLinkWidget } from '../storage/repositories/magic-links.js';
export type { MagicLinkWidget } from '../storage/repositories/magic-links.js';
import type { OAuthStatesRepository } from '../storage/repositories/oauth-states.js';
import type { AppKeysService } from './app-keys.js';
import type { CredentialsService } from './credentials.js';
import type { OrganizationsService } from './organizations.js';
import type { UsersService } from './users.js';

/** leaf-api.md 6.4: "the default value is 900 (minimum) and the maximum is the equivalent to 1 year." */
export const LINK_MIN_SECONDS = 900;
export const LINK_MAX_SECONDS = 365 * 24 * 60 * 60;
/** leaf-api.md 6.4: "maxUsage default appears to be 3 and is not settable" [I]; Furrow lets the body set it. */
export const LINK_DEFAULT_MAX_USAGE = 3;
export const LINK_MAX_MAX_USAGE = 1000;
/** RFC 6749 section 4.1.2 recommends ten minutes for a code; the consent page needs no longer. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;
/** Used and expired states are kept this long, so a replay is named as one rather than as unknown. */
const STATE_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Expired and deleted links are kept this long, so their page says why rather than "not valid". */
export const LINK_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Leaf's `settings` (leaf-api.md 6.4), booleans normalised ("Postman sends booleans as strings"). */
export interface LinkSettings {
  backgroundColor: string;
  companyLogo?: string;
  companyName?: string;
  headerImage?: string;
  showLeafUserName: boolean;
  disconnectEnabled: boolean;
}

/** A link as GET shows it (leaf-api.md 6.4). */
export interface MagicLinkView {
  id: string;
  link: string;
  createdAt: string;
  expiresAt: string;
  lastAccessedAt: string | null;
  leafUserId: string;
  maxUsage: number;
  usageCount: number;
  widget: MagicLinkWidget;
  settings: LinkSettings;
  allowedProviders?: string[];
  provider?: string;
}

/** What a create body carries, already schema-checked at the edge. */
export interface CreateLinkRequest {
  widget: MagicLinkWidget;
  /** An existing user, or `externalId` (with `name`, `email`) to create or reuse one. */
  user: { leafUserId: string } | { externalId: string; name?: string | undefined; email?: string | undefined };
  expiresIn?: number | undefined;
  maxUsage?: number | undefined;
  /** Leaf provider names, or `All`. */
  allowedProviders?: readonly string[] | undefined;
  provider?: string | undefined;
  settings?: Record<string, unknown> | undefined;
}

/** Why a link's page cannot go on. */
export type LinkProblem = 'unknown' | 'deleted' | 'expired' | 'used_up';
/** Why a callback's state is refused. */
export type StateProblem = 'missing' | 'unknown' | 'expired' | 'replayed' | 'mismatch';

/** A provider as the chooser lists it. */
export interface LinkProviderChoice {
  id: string;
  apiName: string;
  name: string;
  kind: 'oauth' | 'form';
  connected: boolean;
  status: string | undefined;
  /** When the credential was stored (Leaf Link's `providersConnected[].createdTime`). */
  connectedAt: string | undefined;
}

/** A usable link with what its page shows. */
export interface OpenedLink {
  link: MagicLinkRecord;
  settings: LinkSettings;
  user: LeafUser;
  providers: LinkProviderChoice[];
}

/** The step a grower may take after connecting (John Deere: organizations still to connect). */
export interface NextStep {
  organizationsToConnect: { id: string; name: string; connectUrl: string | null }[];
}

/** A connection made through a link. */
export interface LinkConnected {
  link: MagicLinkRecord;
  settings: LinkSettings;
  provider: Provider;
  credentialId: string;
  status: string;
  next: NextStep;
}

/** A refusal the page shows; `message` is written for the grower and holds no secret. */
export type LinkFailure =
  | { ok: false; kind: 'link'; problem: LinkProblem; settings?: LinkSettings }
  | { ok: false; kind: 'state'; problem: StateProblem }
  | { ok: false; kind: 'provider'; providerName: string; message: string; settings?: LinkSettings; linkId?: string; returnUrl?: string }
  | { ok: false; kind: 'not_offered'; message: string; settings?: LinkSettings; linkId?: string };

export interface MagicLinksService {
  create(owner: OwnerContext, request: CreateLinkRequest): Promise<MagicLinkView>;
  list(owner: OwnerContext, widget: MagicLinkWidget): Promise<MagicLinkView[]>;
  get(owner: OwnerContext, widget: MagicLinkWidget, id: string): Promise<MagicLinkView>;
  delete(owner: OwnerContext, widget: MagicLinkWidget, id: string): Promise<void>;
  /** A link for the widget: every offered provider, fifteen minutes, returning to `returnUrl`. */
  createWidgetSession(owner: OwnerContext, userId: string, returnUrl: string): Promise<MagicLinkView>;
  /** The link's page: its user and providers, or why it cannot be used. Counts as an access. */
  open(id: string): Promise<({ ok: true } & OpenedLink) | LinkFailure>;
  /** Starts a provider's consent step: the page to redirect to and the state the browser keeps. */
  startOAuth(id: string, providerId: string): Promise<{ ok: true; authorizeUrl: string; state: string } | LinkFailure>;
  /** The provider's redirect back: `query` as received, `browserState` the state the browser kept. */
  completeOAuth(query: Readonly<Record<string, string | undefined>>, browserState: string | undefined): Promise<({ ok: true } & LinkConnected) | LinkFailure>;
  /** A form provider's credentials, as the grower typed them. */
  submitForm(id: string, providerId: string, form: Readonly<Record<string, string>>): Promise<({ ok: true } & LinkConnected) | LinkFailure>;
  /** Removes a connected provider, when the link's settings allow it (`disconnectEnabled`). */
  disconnect(id: string, providerId: string): Promise<{ ok: true; link: MagicLinkRecord; settings: LinkSettings; provider: Provider } | LinkFailure>;
  /** The daily purge: states and widget sessions a day past expiry, links expired or deleted more than `LINK_RETENTION_MS` ago. */
  purge(): Promise<{ states: number; links: number }>;
  /** Counts one use of a link for work other than a connection (a file upload); false when none is left. */
  claimUse(id: string): Promise<({ ok: true } & OpenedLink) | LinkFailure>;
}

export interface MagicLinksServiceOptions {
  links: MagicLinksRepository;
  states: OAuthStatesRepository;
  appKeys: AppKeysService;
  users: UsersService;
  credentials: Pick<CredentialsService, 'connect' | 'delete' | 'listForUser'>;
  organizations: Pick<OrganizationsService, 'overview'>;
  secretBox: SecretBox;
  providers: Readonly<Record<string, Provider>>;
  fetch: FetchLike;
  sandboxBaseUrl: () => string | undefined;
  publicUrl: () => string | undefined;
  /** `SecretKeysService.refreshCurrentVersion`: awaited before encrypting a PKCE verifier. */
  refreshKeyVersion?: () => Promise<unknown>;
  clock?: () => number;
}

type LinkedProvider = Provider & { link: ProviderLink };

/** The additional data binding a PKCE verifier's ciphertext to its state. */
export const pkceVerifierAad = (stateHash: string): string => `oauth-state:${stateHash}`;

const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

/** Settings as stored: known keys only, booleans from booleans or "true"/"false", colours and URLs checked. */
export function normalizeSettings(raw: Record<string, unknown> | undefined): LinkSettings {
  const given = raw ?? {};
  const problems: { field: string; message: string }[] = [];
  const bool = (name: string): boolean => {
    const value = given[name];
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    problems.push({ field: `body.settings.${name}`, message: 'must be true or false' });
    return false;
  };
  const url = (name: string): string | undefined => {
    const value = given[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string' && /^https?:\/\//.test(value) && value.length <= 2000 && URL.canParse(value)) return value;
    problems.push({ field: `body.settings.${name}`, message: 'must be an http(s) URL' });
    return undefined;
  };
  const color = given['backgroundColor'];
  let backgroundColor = '#F5F5F5';
  if (color !== undefined && color !== null && color !== '') {
    if (typeof color === 'string' && HEX_COLOR.test(color)) backgroundColor = color;
    else problems.push({ field: 'body.settings.backgroundColor', message: 'must be a hex colour such as #F5F5F5' });
  }
  const name = given['companyName'];
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > 200)) problems.push({ field: 'body.settings.companyName', message: 'must be text of at most 200 characters' });
  const settings: LinkSettings = { backgroundColor, showLeafUserName: bool('showLeafUserName'), disconnectEnabled: bool('disconnectEnabled') };
  const logo = url('companyLogo');
  const header = url('headerImage');
  if (logo !== undefined) settings.companyLogo = logo;
  if (header !== undefined) settings.headerImage = header;
  if (typeof name === 'string' && name !== '') settings.companyName = name;
  if (problems.length > 0) throw new FurrowError('validation_failed', `Invalid settings: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, { fieldErrors: problems });
  return settings;
}

export function magicLinksService(options: MagicLinksServiceOptions): MagicLinksService {
  const { links, states, appKeys, users, credentials, secretBox, providers } = options;
  const clock = options.clock ?? Date.now;
  const linkBase = () => `${(options.publicUrl() ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')}/magic-link/`;
  const offered = (): LinkedProvider[] => Object.values(providers).filter((p): p is LinkedProvider => p.link !== undefined && p.adapter !== undefined);
  const byApiName = (apiName: string): LinkedProvider | undefined => offered().find((p) => p.apiName === apiName);
  const ownerOf = (link: MagicLinkRecord): OwnerContext => ({ ownerId: link.ownerId, username: `magic-link:${link.id}` });

  const view = (record: MagicLinkRecord): MagicLinkView => ({
    id: record.id,
    link: `${linkBase()}${record.id}`,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    lastAccessedAt: record.lastAccessedAt,
    leafUserId: record.userId,
    maxUsage: record.maxUsage,
    usageCount: record.usageCount,
    widget: record.widget,
    settings: record.settings as unknown as LinkSettings,
    ...(record.allowedProviders === null ? {} : { allowedProviders: record.allowedProviders.map((id) => providers[id]?.apiName ?? id) }),
    ...(record.provider === null ? {} : { provider: providers[record.provider]?.apiName ?? record.provider }),
  });

  const problemOf = (link: MagicLinkRecord | undefined, now: number): LinkProblem | undefined => {
    if (link === undefined) return 'unknown';
    if (link.deletedAt !== null) return 'deleted';
    if (Date.parse(link.expiresAt) <= now) return 'expired';
    if (link.usageCount >= link.maxUsage) return 'used_up';
    return undefined;
  };
  const settingsOf = (link: MagicLinkRecord) => link.settings as unknown as LinkSettings;
  const linkFailure = (problem: LinkProblem, link?: MagicLinkRecord): LinkFailure => ({ ok: false, kind: 'link', problem, ...(link === undefined ? {} : { settings: settingsOf(link) }) });

  /** The link's providers the grower can use now: offered by Furrow, and with an app key where one is needed. */
  const choicesOf = async (link: MagicLinkRecord): Promise<LinkProviderChoice[]> => {
    const ids = link.widget === 'AUTHENTICATION' ? [link.provider ?? ''] : (link.allowedProviders ?? []);
    const connected = new Map((await credentials.listForUser(ownerOf(link), link.userId)).map((c) => [c.provider, c.view]));
    const choices: LinkProviderChoice[] = [];
    for (const id of ids) {
      const provider = offered().find((p) => p.id === id);
      if (provider === undefined) continue;
      if (provider.link.appKey !== undefined && (await appKeys.forConnection(link.ownerId, provider.id)) === undefined) continue;
      choices.push({ id: provider.id, apiName: provider.apiName, name: provider.name, kind: provider.link.connect.kind, connected: connected.has(provider.id), status: connected.get(provider.id)?.status, connectedAt: connected.get(provider.id)?.createdTime });
    }
    return choices;
  };

  /** A live link and one of its providers, or the failure to show. */
  const usable = async (id: string, providerId?: string): Promise<{ ok: true; link: MagicLinkRecord; provider?: LinkedProvider } | LinkFailure> => {
    const link = await links.findById(id);
    const problem = problemOf(link, clock());
    if (problem !== undefined) return linkFailure(problem, link);
    if (providerId === undefined) return { ok: true, link: link! };
    const allowed = link!.widget === 'AUTHENTICATION' ? [link!.provider] : link!.widget === 'PROVIDER' ? (link!.allowedProviders ?? []) : [];
    const provider = offered().find((p) => p.id === providerId);
    if (provider === undefined || !allowed.includes(providerId)) {
      return { ok: false, kind: 'not_offered', message: 'This link does not offer that provider. Go back and pick one of those listed.', settings: settingsOf(link!), linkId: link!.id };
    }
    return { ok: true, link: link!, provider };
  };

  const nextStepOf = async (link: MagicLinkRecord, provider: Provider): Promise<NextStep> => {
    if (!provider.capabilities.hasOrganizations || provider.adapter?.listOrganizations === undefined) return { organizationsToConnect: [] };
    try {
      const overview = await options.organizations.overview(ownerOf(link), link.userId, provider.apiName);
      return { organizationsToConnect: overview.notConnectedOrganizations.map((o) => ({ id: o.id, name: o.name, connectUrl: o.managementUri ?? null })) };
    } catch {
      // The credential is stored; the organizations are listed again by the sync, and the
      // organization endpoints show them, so a failed listing here only drops the hint.
      return { organizationsToConnect: [] };
    }
  };

  /** Connects with a claimed use, giving the use back when the provider refuses. */
  const connectWithUse = async (link: MagicLinkRecord, provider: LinkedProvider, body: Record<string, unknown>): Promise<({ ok: true } & LinkConnected) | LinkFailure> => {
    if (!(await links.claimUse(link.id, nowIso(clock)))) return linkFailure(problemOf(await links.findById(link.id), clock()) ?? 'used_up', link);
    try {
      const credential = await credentials.connect(ownerOf(link), link.userId, provider.id, body);
      const updated = (await links.findById(link.id)) ?? link;
      return { ok: true, link: updated, settings: settingsOf(link), provider, credentialId: credential.id, status: credential.status, next: await nextStepOf(link, provider) };
    } catch (error) {
      await links.releaseUse(link.id);
      return { ok: false, kind: 'provider', providerName: provider.name, message: growerMessage(provider, error), settings: settingsOf(link), linkId: link.id };
    }
  };

  const resolveUser = async (owner: OwnerContext, user: CreateLinkRequest['user']): Promise<LeafUser> => {
    if ('leafUserId' in user) return users.get(owner, user.leafUserId);
    // leaf-api.md 6.4: "Leaf creates or reuses the Leaf user ... based on the external ID"; name and
    // email default to the externalId.
    const existing = await users.list(owner, { externalId: user.externalId }, { page: 0, size: 1, sort: [] });
    if (existing.items[0] !== undefined) return existing.items[0];
    try {
      return await users.create(owner, { externalId: user.externalId, name: user.name ?? user.externalId, email: user.email ?? user.externalId });
    } catch (error) {
      // Another request created it meanwhile: reuse that one.
      if (!isFurrowError(error, 'external_id_taken')) throw error;
      const again = await users.list(owner, { externalId: user.externalId }, { page: 0, size: 1, sort: [] });
      if (again.items[0] === undefined) throw error;
      return again.items[0];
    }
  };

  const providerIdsOf = (names: readonly string[] | undefined): string[] => {
    const all = offered();
    if (names === undefined || names.length === 0 || names.includes('All')) return all.map((p) => p.id);
    const unknown = names.filter((name) => byApiName(name) === undefined);
    if (unknown.length > 0) {
      throw new FurrowError('validation_failed', `Unknown or not offered provider ${unknown.join(', ')} in allowedProviders; expected All or any of ${all.map((p) => p.apiName).join(', ')}.`, {
        fieldErrors: [{ field: 'body.allowedProviders', message: `must name providers among ${all.map((p) => p.apiName).join(', ')}` }],
      });
    }
    return [...new Set(names.map((name) => byApiName(name)!.id))];
  };

  const insertLink = async (owner: OwnerContext, userId: string, request: Omit<CreateLinkRequest, 'user'>, returnUrl: string | null): Promise<MagicLinkView> => {
    const seconds = request.expiresIn ?? LINK_MIN_SECONDS;
    if (!Number.isInteger(seconds) || seconds < LINK_MIN_SECONDS || seconds > LINK_MAX_SECONDS) {
      throw new FurrowError('validation_failed', `Expected expiresIn in seconds from ${LINK_MIN_SECONDS} to ${LINK_MAX_SECONDS} (one year); found ${String(request.expiresIn)}.`, {
        fieldErrors: [{ field: 'body.expiresIn', message: `must be an integer from ${LINK_MIN_SECONDS} to ${LINK_MAX_SECONDS}` }],
      });
    }
    let allowedProviders: string[] | null = null;
    let provider: string | null = null;
    if (request.widget === 'PROVIDER') allowedProviders = providerIdsOf(request.allowedProviders);
    if (request.widget === 'AUTHENTICATION') {
      const chosen = request.provider === undefined ? undefined : byApiName(request.provider);
      if (chosen === undefined) {
        throw new FurrowError('validation_failed', `Expected provider to be one of ${offered().map((p) => p.apiName).join(', ')}; found "${request.provider ?? ''}".`, { fieldErrors: [{ field: 'body.provider', message: 'must name a provider offered by Magic Link' }] });
      }
      provider = chosen.id;
    }
    const settings = normalizeSettings(request.settings);
    if (request.widget === 'FILEUPLOAD') settings.disconnectEnabled = false;
    const now = clock();
    // 128 random bits in Leaf's opaque id: the id is the link's only secret.
    const record: MagicLinkRecord = {
      id: crypto.randomBytes(16).toString('hex'),
      ownerId: owner.ownerId,
      userId,
      widget: request.widget,
      allowedProviders,
      provider,
      settings: settings as unknown as Record<string, unknown>,
      maxUsage: request.maxUsage ?? LINK_DEFAULT_MAX_USAGE,
      usageCount: 0,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + seconds * 1000).toISOString(),
      lastAccessedAt: null,
      deletedAt: null,
      returnUrl,
    };
    await links.insert(record);
    return view(record);
  };

  const findOwned = async (owner: OwnerContext, widget: MagicLinkWidget, id: string) => {
    const link = await links.findById(id);
    if (link === undefined || link.ownerId !== owner.ownerId || link.widget !== widget || link.deletedAt !== null) throw new FurrowError('not_found', `No ${widget} Magic Link with id ${id}.`);
    return link;
  };

  const service: MagicLinksService = {
    async create(owner, request) {
      const user = await resolveUser(owner, request.user);
      return insertLink(owner, user.id, request, null);
    },
    async list(owner, widget) {
      return (await links.listForOwner(owner.ownerId, widget)).map(view);
    },
    async get(owner, widget, id) {
      return view(await findOwned(owner, widget, id));
    },
    async delete(owner, widget, id) {
      await findOwned(owner, widget, id);
      await links.markDeleted(owner.ownerId, id, widget, nowIso(clock));
    },
    async createWidgetSession(owner, userId, returnUrl) {
      await users.get(owner, userId);
      return insertLink(owner, userId, { widget: 'PROVIDER', maxUsage: offered().length }, returnUrl);
    },
    async open(id) {
      const checked = await usable(id);
      if (!checked.ok) return checked;
      await links.touch(id, nowIso(clock));
      const user = await users.get(ownerOf(checked.link), checked.link.userId);
      return { ok: true, link: checked.link, settings: settingsOf(checked.link), user, providers: checked.link.widget === 'FILEUPLOAD' ? [] : await choicesOf(checked.link) };
    },
    async startOAuth(id, providerId) {
      const checked = await usable(id, providerId);
      if (!checked.ok) return checked;
      const { link, provider } = checked as { link: MagicLinkRecord; provider: LinkedProvider };
      const flow = provider.link.connect;
      if (flow.kind !== 'oauth') return { ok: false, kind: 'not_offered', message: `${provider.name} is connected with a form, not through its sign-in page.`, settings: settingsOf(link), linkId: link.id };
      const appKey = await appKeys.forConnection(link.ownerId, provider.id);
      if (appKey === undefined) return { ok: false, kind: 'not_offered', message: `${provider.name} cannot be connected yet: the app has not been set up for it. Please tell the app's support.`, settings: settingsOf(link), linkId: link.id };
      const now = clock();
      await states.purgeExpired(new Date(now - STATE_RETENTION_MS).toISOString());
      const state = crypto.randomBytes(32).toString('base64url');
      const verifier = flow.pkce ? crypto.randomBytes(32).toString('base64url') : undefined;
      if (verifier !== undefined) await options.refreshKeyVersion?.();
      const stateHash = sha256(state);
      const redirectUri = appKeys.redirectUri();
      await states.insert({
        stateHash,
        ownerId: link.ownerId,
        magicLinkId: link.id,
        userId: link.userId,
        provider: provider.id,
        appKeyId: appKey.record.id,
        redirectUri,
        codeVerifier: verifier === undefined ? null : secretBox.encrypt(verifier, pkceVerifierAad(stateHash)),
        keyVersion: secretBox.currentVersion,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + OAUTH_STATE_TTL_MS).toISOString(),
        usedAt: null,
      });
      const ctx = contextFor(provider, appKey.record.environment as Environment);
      const codeChallenge = verifier === undefined ? undefined : crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
      return { ok: true, state, authorizeUrl: flow.authorizeUrl(appKey.fields, { redirectUri, state, codeChallenge }, ctx) };
    },
    async completeOAuth(query, browserState) {
      const state = query['state'];
      if (state === undefined || state === '') return { ok: false, kind: 'state', problem: 'missing' };
      const stateHash = sha256(state);
      const record = await states.find(stateHash);
      const now = clock();
      if (record === undefined) return { ok: false, kind: 'state', problem: 'unknown' };
      if (record.usedAt !== null) return { ok: false, kind: 'state', problem: 'replayed' };
      if (Date.parse(record.expiresAt) <= now) return { ok: false, kind: 'state', problem: 'expired' };
      // Whatever happens next, this state is spent: a second callback with it is a replay.
      if (!(await states.consume(stateHash, new Date(now).toISOString()))) return { ok: false, kind: 'state', problem: 'replayed' };
      // Bound to the browser that started it: a callback URL carried to another browser (login
      // CSRF, RFC 6749 section 10.12) finds no matching cookie there.
      if (browserState === undefined || browserState.length !== state.length || !crypto.timingSafeEqual(Buffer.from(browserState), Buffer.from(state))) {
        return { ok: false, kind: 'state', problem: 'mismatch' };
      }
      const checked = await usable(record.magicLinkId, record.provider);
      if (!checked.ok) return checked;
      const { link, provider } = checked as { link: MagicLinkRecord; provider: LinkedProvider };
      const flow = provider.link.connect;
      const error = query['error'];
      if (error !== undefined || flow.kind !== 'oauth') {
        return { ok: false, kind: 'provider', providerName: provider.name, message: providerRefusal(provider, error), settings: settingsOf(link), linkId: link.id };
      }
      const code = query['code'];
      if (code === undefined || code === '') return { ok: false, kind: 'provider', providerName: provider.name, message: `${provider.name} sent you back without an authorization. Please try again.`, settings: settingsOf(link), linkId: link.id };
      const appKey = await appKeys.byId(record.appKeyId);
      if (appKey === undefined) return { ok: false, kind: 'not_offered', message: `${provider.name} is no longer set up for this app. Please tell the app's support.`, settings: settingsOf(link), linkId: link.id };
      const environment = appKey.record.environment as Environment;
      const codeVerifier = record.codeVerifier === null ? undefined : secretBox.decrypt(record.codeVerifier, pkceVerifierAad(stateHash));
      let body: Record<string, unknown>;
      try {
        const tokens = await flow.exchangeCode(appKey.fields, { code, redirectUri: record.redirectUri, codeVerifier }, contextFor(provider, environment));
        body = flow.credentialBody(appKey.fields, tokens, environment);
      } catch (exchangeError) {
        return { ok: false, kind: 'provider', providerName: provider.name, message: growerMessage(provider, exchangeError), settings: settingsOf(link), linkId: link.id };
      }
      return connectWithUse(link, provider, body);
    },
    async submitForm(id, providerId, form) {
      const checked = await usable(id, providerId);
      if (!checked.ok) return checked;
      const { link, provider } = checked as { link: MagicLinkRecord; provider: LinkedProvider };
      const flow = provider.link.connect;
      if (flow.kind !== 'form') return { ok: false, kind: 'not_offered', message: `${provider.name} is connected through its sign-in page, not a form.`, settings: settingsOf(link), linkId: link.id };
      const appKey = provider.link.appKey === undefined ? undefined : await appKeys.forConnection(link.ownerId, provider.id);
      if (provider.link.appKey !== undefined && appKey === undefined) return { ok: false, kind: 'not_offered', message: `${provider.name} cannot be connected yet: the app has not been set up for it. Please tell the app's support.`, settings: settingsOf(link), linkId: link.id };
      const missing = flow.fields.filter((field) => (form[field.name] ?? '').trim() === '');
      if (missing.length > 0) return { ok: false, kind: 'provider', providerName: provider.name, message: `Please fill in ${missing.map((f) => f.label).join(', ')}.`, settings: settingsOf(link), linkId: link.id };
      const environment = (appKey?.record.environment ?? provider.defaultEnvironment ?? 'PRODUCTION') as Environment;
      return connectWithUse(link, provider, flow.credentialBody(appKey?.fields, form, environment));
    },
    async disconnect(id, providerId) {
      const link = await links.findById(id);
      const problem = problemOf(link, clock());
      // Removing access stays possible once the uses are spent: it never adds a connection.
      if (problem !== undefined && problem !== 'used_up') return linkFailure(problem, link);
      const checked = link!.usageCount >= link!.maxUsage ? { ok: true as const, link: link!, provider: offered().find((p) => p.id === providerId) } : await usable(id, providerId);
      if (!checked.ok) return checked;
      const provider = checked.provider;
      if (provider === undefined) return { ok: false, kind: 'not_offered', message: 'This link does not offer that provider.', settings: settingsOf(link!), linkId: link!.id };
      if (!settingsOf(link!).disconnectEnabled) return { ok: false, kind: 'not_offered', message: 'This link does not allow removing a connection. Please ask the app to remove it.', settings: settingsOf(link!), linkId: link!.id };
      try {
        await credentials.delete(ownerOf(link!), link!.userId, provider.id);
      } catch (error) {
        if (!isFurrowError(error, 'not_found')) throw error;
      }
      return { ok: true, link: link!, settings: settingsOf(link!), provider };
    },
    async purge() {
      const now = clock();
      // States first: the links' purge would cascade to some of them, and the count would hide it.
      const purgedStates = await states.purgeExpired(new Date(now - STATE_RETENTION_MS).toISOString());
      const purgedLinks = await links.purge(new Date(now - LINK_RETENTION_MS).toISOString(), new Date(now - STATE_RETENTION_MS).toISOString());
      return { states: purgedStates, links: purgedLinks };
    },
    async claimUse(id) {
      const link = await links.findById(id);
      const problem = problemOf(link, clock());
      if (problem !== undefined) return linkFailure(problem, link);
      if (!(await links.claimUse(id, nowIso(clock)))) return linkFailure(problemOf(await links.findById(id), clock()) ?? 'used_up', link);
      const user = await users.get(ownerOf(link!), link!.userId);
      return { ok: true, link: link!, settings: settingsOf(link!), user, providers: [] };
    },
  };
  const completeOAuth = service.completeOAuth;
  return {
    ...service,
    async completeOAuth(query, browserState) {
      const result = await completeOAuth(query, browserState);
      if (result.ok || result.kind !== 'provider' || result.linkId === undefined) return result;
      // A widget session goes back to the app's page with the outcome, as it does on success.
      const returnUrl = (await links.findById(result.linkId))?.returnUrl;
      return returnUrl === null || returnUrl === undefined ? result : { ...result, returnUrl };
    },
  };

  function contextFor(provider: Provider, environment: Environment) {
    return createAdapterContext({ providerId: provider.id, environment, fetch: options.fetch, onExchange: () => {}, sandboxBaseUrl: options.sandboxBaseUrl(), now: clock });
  }
}

/**
 * What the grower reads when a provider refused: the provider's own OAuth error code (RFC 6749
 * section 4.1.2.1) when it is one of the standard ones, never its free-text description, which
 * the page does not trust.
 */
function providerRefusal(provider: Provider, error: string | undefined): string {
  if (error === 'access_denied') return `Access to ${provider.name} was not granted. You can try again and choose Allow.`;
  const known = ['invalid_request', 'unauthorized_client', 'unsupported_response_type', 'invalid_scope', 'server_error', 'temporarily_unavailable'];
  const code = error !== undefined && known.includes(error) ? ` (${error})` : '';
  return `${provider.name} could not complete the connection${code}. Please try again later.`;
}

/** A refusal during the exchange or the validation, in words for the grower; no token, no stack. */
function growerMessage(provider: Provider, error: unknown): string {
  if (isFurrowError(error, 'credentials_invalid')) return `${provider.name} did not accept these details. Please check them and try again.`;
  if (isFurrowError(error, 'provider_unavailable') || (isProviderError(error) && (error.errorClass === 'retry_later' || error.errorClass === 'rate_limited'))) {
    return `${provider.name} is not answering right now. Please try again in a few minutes.`;
  }
  if (isProviderError(error)) return `${provider.name} refused the connection. Please try again, or tell the app's support.`;
  return `The connection to ${provider.name} could not be completed. Please try again, or tell the app's support.`;
}
