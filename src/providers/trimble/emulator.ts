/**
 * Trimble served locally (providers.md 5.8): Trimble Identity's authorize and token endpoints with
 * single-use refresh tokens (one hour access, seven days refresh, no grace: a refresh token
 * presented twice is `invalid_grant` and counted as redeemed twice), the trimbleag.com page where
 * the grower authorizes organizations, and the Ag Software API's authorized organizations and
 * their fields in `{ result, bookmark }` pages. Paths are the production ones (`client.ts` hosts),
 * below `/sandbox/trimble`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { BOOKMARK_PARAMETER, ORGANIZATION_AUTHORIZATION_PATH, TRIMBLE_HOSTS, type TrimbleCredentialFields } from './client.js';

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it ('' for a host's root). */
function sandboxPathOf(urls: HostUrls): string {
  const path = urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
  return path === '/' ? '' : path;
}

const IDENTITY = sandboxPathOf(TRIMBLE_HOSTS.identity);
const API = sandboxPathOf(TRIMBLE_HOSTS.api);
const AG_SOFTWARE = sandboxPathOf(TRIMBLE_HOSTS.agSoftware);

/**
 * The scope that names the application ("scope = application name assigned by Trimble",
 * providers.md 5.1); every sandbox app is called this. It is what the API checks, so it is what
 * `limitedPermission` takes away.
 */
export const TRIMBLE_SANDBOX_APPLICATION = 'furrow-sandbox';
const TRIMBLE_SCOPES = ['openid', TRIMBLE_SANDBOX_APPLICATION];

/** [I] Small pages, so clients must follow bookmarks; Trimble publishes no page size. */
const ORGANIZATIONS_PAGE_SIZE = 2;
const FIELDS_PAGE_SIZE = 10;

/** The Trimble emulator. */
export const trimbleEmulator: ProviderEmulator<TrimbleCredentialFields> = {
  oauth: {
    // "accessToken ... has a 1 hour expiration"; "refreshToken ... has a 7-day expiration" (providers.md 5.1).
    accessTokenSeconds: 3600,
    refreshTokenSeconds: 7 * 24 * 3600,
    refreshTokenLifetime: 'fixed',
    // "The refresh token is a single-use token that becomes invalid after use": no grace at all,
    // so a retry with the redeemed token is refused, as a second use at Trimble would be [I].
    rotation: { graceSeconds: 0 },
    scopes: TRIMBLE_SCOPES,
    essentialScope: TRIMBLE_SANDBOX_APPLICATION,
  },

  credentialBody: (account, grant) => ({
    clientId: account.app.clientId,
    clientSecret: account.app.clientSecret,
    refreshToken: grant.refreshToken,
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    // [I] Trimble publishes no rate limit or error bodies (providers.md 5.2); the API's are `{ code, message }` here.
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: apiError('TooManyRequests', 'Too many requests; retry after the time in Retry-After.') };
    if (fault.kind === 'token') return { status: 503, headers, body: { error: 'temporarily_unavailable', error_description: 'The sandbox injected a server error.' } };
    return { status: 503, headers, body: apiError('ServiceUnavailable', 'The sandbox injected a server error.') };
  },

  async routes(app, ctx) {
    const byClient = (request: FastifyRequest) => ctx.accountByBasicAuth(request.headers.authorization);
    const byBearer = (request: FastifyRequest) => ctx.accountByBearer(request.headers.authorization);

    app.get(`${IDENTITY}/.well-known/openid-configuration`, async (request) => {
      const issuer = ctx.publicUrl(request, IDENTITY);
      return {
        issuer,
        authorization_endpoint: `${issuer}/oauth/authorize`,
        token_endpoint: `${issuer}/oauth/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: TRIMBLE_SCOPES,
      };
    });

    ctx.registerAuthorizePage(app, `${IDENTITY}/oauth/authorize`, { providerName: 'Trimble' });

    app.post(`${IDENTITY}/oauth/token`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      // HTTP Basic, as TID's documented client-credentials call (providers.md 5.1).
      const account = ctx.authenticateClient(request.headers.authorization);
      if (account === undefined) return oauthError(reply, 401, 'invalid_client', 'Client authentication failed.');
      const form = formOf(request.body);
      const outcome = ctx.redeemTokenRequest(account, form);
      if (!outcome.ok) return oauthError(reply, 400, outcome.error, outcome.description);
      const { tokens } = outcome;
      // `LoginToken.cs`: token_type, expires_in, access_token; plus the new single-use refresh
      // token and, [I], the granted scopes.
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
        token_type: 'bearer',
        expires_in: tokens.expiresIn,
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        scope: tokens.scopes.join(' '),
      });
    });

    app.get(`${API}/config/organizations`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      // Only the organizations the grower authorized: Trimble cannot tell the others (leaf-api.md 3.5).
      const result = account.organizations
        .filter((o) => o.connected)
        .map((o) => ({ id: o.id, name: o.name, timezoneName: 'America/Chicago', currencyCode: 'USD', isMetric: false }));
      return sendPage(request, reply, 'organizations', result, ORGANIZATIONS_PAGE_SIZE);
    });

    app.get<{ Params: { orgId: string } }>(`${API}/resources/:orgId/fields`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const organization = account.organizations.find((o) => o.id === request.params.orgId);
      if (organization === undefined) return reply.code(404).send(apiError('NotFound', `No organization ${request.params.orgId}.`));
      if (!organization.connected) return reply.code(403).send(apiError('organization_not_authorized', `Organization ${organization.id} is not authorized for this application; the grower authorizes it on trimbleag.com.`));
      const result = account.fields.filter((f) => f.organizationId === organization.id).map((f) => ({ id: f.id, name: f.name, organizationId: organization.id }));
      return sendPage(request, reply, `fields:${organization.id}`, result, FIELDS_PAGE_SIZE);
    });

    // trimbleag.com (providers.md 5.1): the grower picks the organizations the application may
    // read, then goes back to `redirectionUrl`. [I] One page; a real grower would be signed in.
    const page = `${AG_SOFTWARE}${ORGANIZATION_AUTHORIZATION_PATH}`;
    const byClientIdOf = (source: unknown) => {
      const clientId = stringOf((source as Record<string, unknown> | null)?.['clientid']);
      return clientId === undefined ? undefined : ctx.accountByClientId(clientId);
    };
    app.get(page, { preHandler: ctx.guard('page', (request) => byClientIdOf(request.query)) }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const account = byClientIdOf(query);
      if (account === undefined) return reply.code(404).type('text/plain').send(`No sandbox account has client id ${stringOf(query['clientid']) ?? '(none given)'}.`);
      return reply.headers(PAGE_HEADERS).send(authorizationPage(account, stringOf(query['redirectionUrl'])));
    });
    app.post(page, { preHandler: ctx.guard('page', (request) => byClientIdOf(request.body)) }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const account = byClientIdOf(body);
      if (account === undefined) return reply.code(404).type('text/plain').send(`No sandbox account has client id ${stringOf(body['clientid']) ?? '(none given)'}.`);
      const chosen = new Set([body['organization']].flat().filter((v): v is string => typeof v === 'string'));
      for (const organization of account.organizations) ctx.setOrganizationConnected(account, organization.id, chosen.has(organization.id));
      const redirectionUrl = stringOf(body['redirectionUrl']);
      if (redirectionUrl !== undefined && /^https?:\/\//i.test(redirectionUrl)) return reply.redirect(redirectionUrl, 302);
      return reply.type('text/plain').send(`Authorized organizations: ${[...chosen].join(', ') || 'none'}.`);
    });
  },
};

/** The account of a valid bearer token with the application's scope, or `undefined` after answering 401/403. */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok) {
    // RFC 6750 section 3.1: an expired or revoked token is `invalid_token`.
    reply.code(401).header('www-authenticate', `Bearer error="invalid_token", error_description="${check.description.replace(/"/g, "'")}"`).send(apiError('invalid_token', check.description));
    return undefined;
  }
  if (!check.scopes.includes(TRIMBLE_SANDBOX_APPLICATION)) {
    reply.code(403).header('www-authenticate', `Bearer error="insufficient_scope", scope="${TRIMBLE_SANDBOX_APPLICATION}"`).send(apiError('insufficient_scope', `The access token lacks the application's scope ${TRIMBLE_SANDBOX_APPLICATION}.`));
    return undefined;
  }
  return check.account;
}

/**
 * A `{ result, bookmark }` page (providers.md 5.2). [I] The bookmark is opaque to clients (here the
 * collection and the offset), comes back as `?bookmark=`, and `moreResults` is the string
 * "true"/"false", as the official sample types it; a bookmark of another collection is a 400.
 */
function sendPage(request: FastifyRequest, reply: FastifyReply, collection: string, items: unknown[], size: number) {
  const given = stringOf((request.query as Record<string, unknown>)[BOOKMARK_PARAMETER]);
  let start = 0;
  if (given !== undefined) {
    const offset = decodeBookmark(given, collection);
    if (offset === undefined) return reply.code(400).send(apiError('InvalidBookmark', 'The bookmark is not one this collection issued; list again without it.'));
    start = offset;
  }
  const end = Math.min(items.length, start + size);
  const more = end < items.length;
  return reply.send({ result: items.slice(start, end), bookmark: { token: more ? encodeBookmark(collection, end) : null, moreResults: more ? 'true' : 'false' } });
}

function encodeBookmark(collection: string, offset: number): string {
  return Buffer.from(JSON.stringify({ c: collection, o: offset })).toString('base64url');
}

function decodeBookmark(token: string, collection: string): number | undefined {
  try {
    const { c, o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c?: unknown; o?: unknown };
    return c === collection && typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

/** [I] The API's error body. */
function apiError(code: string, message: string) {
  return { code, message, requestId: crypto.randomUUID() };
}

/** TID's OAuth error body (RFC 6749 section 5.2). */
function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="sandbox"');
  return reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error, error_description: description });
}

function formOf(body: unknown): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return form;
  for (const [name, value] of Object.entries(body)) form[name] = stringOf(value);
  return form;
}

function stringOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** No scripts, no framing: the page only posts a form. */
const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'", 'cache-control': 'no-store' };

function authorizationPage(account: EmulatedAccount, redirectionUrl: string | undefined): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const items = account.organizations
    .map((o) => `<li><label><input type="checkbox" name="organization" value="${escape(o.id)}"${o.connected ? ' checked' : ''}> ${escape(o.name)}</label></li>`)
    .join('');
  const hidden = `<input type="hidden" name="clientid" value="${escape(account.app.clientId)}">${redirectionUrl === undefined ? '' : `<input type="hidden" name="redirectionUrl" value="${escape(redirectionUrl)}">`}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trimble Ag Software (sandbox): authorize organizations</title></head><body><h1>Organizations this application may read</h1><form method="post">${hidden}<ul>${items}</ul><button type="submit" id="submit">Authorize</button></form></body></html>`;
}
