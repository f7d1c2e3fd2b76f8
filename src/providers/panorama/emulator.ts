/**
 * Precision Planting Panorama served locally (providers.md 12.8): a Cognito-compatible
 * `InitiateAuth` (`USER_PASSWORD_AUTH` and `REFRESH_TOKEN_AUTH` over `x-amz-json-1.1`, errors as
 * `{"__type", "message"}`), one-hour access tokens and 30-day refresh tokens that are not rotated,
 * the partner API's operations (403 until the grower shares one), the grower's share page of the
 * one-click flow, and the Partner Portal's account details. Paths are the hosts' `sandboxPath`s
 * (`client.ts`), below `/sandbox/panorama`.
 *
 * Who is who: the sandbox account's app is the partner's (client id = Cognito app client id,
 * client secret = the partner's password, API key = the `sharingUrlId` of its Share Initiation
 * URL); the account's grower owns the operations: one of their own, always shared, and the
 * account's organizations, shared when connected.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, GrantOutcome, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { AMZ_JSON_1_1, INITIATE_AUTH_TARGET, OPERATIONS_PATH, OPERATION_NOT_SHARED, PANORAMA_HOSTS, REFRESH_TOKEN_EXPIRED, SHARING_PATH, type PanoramaCredentialFields } from './client.js';

const COGNITO = sandboxPathOf(PANORAMA_HOSTS.cognito);
const API = sandboxPathOf(PANORAMA_HOSTS.api);
const WEB = sandboxPathOf(PANORAMA_HOSTS.web);
/** [I] The Partner Portal's Account Details, where the Share Initiation URL is shown (leaf-api.md 3.3). */
export const PANORAMA_ACCOUNT_DETAILS_PATH = `${WEB}/partner/account-details`;

/**
 * The scopes of the partner's access tokens: Cognito's own for its user APIs, and [I] a resource
 * server scope for the partner API, which the `limitedPermission` fault takes away.
 */
const COGNITO_USER_SCOPE = 'aws.cognito.signin.user.admin';
const OPERATIONS_SCOPE = 'panorama/operations.read';

/** An operation the grower owns, with whether it is shared with the partner app. */
interface Operation {
  organizationCode: string;
  name: string;
  shared: boolean;
  /** The sandbox organization behind it; absent for the grower's own operation. */
  organizationId?: string;
}

/** The grower's own operation's code ([I] format): derived from the grower, so it needs no state. */
export function panoramaOperationCodeOf(account: EmulatedAccount): string {
  return `OP-${account.grower.id.replace(/-/g, '').slice(0, 10).toUpperCase()}`;
}

/** The partner's user name: one partner login per sandbox account. */
export function panoramaPartnerUsernameOf(account: EmulatedAccount): string {
  return `partner+${account.app.clientId}@example.com`;
}

/** The Panorama emulator. */
export const panoramaEmulator: ProviderEmulator<PanoramaCredentialFields & { refreshToken: string }> = {
  oauth: {
    // Cognito's defaults: access and id tokens last 60 minutes, refresh tokens 30 days from issue.
    accessTokenSeconds: 3600,
    refreshTokenSeconds: 30 * 24 * 3600,
    refreshTokenLifetime: 'fixed',
    // [I] Not rotated: Cognito returns no RefreshToken on REFRESH_TOKEN_AUTH unless the pool turns
    // rotation on (providers.md 12.1), and nothing says Panorama's does.
    scopes: [COGNITO_USER_SCOPE, OPERATIONS_SCOPE],
    essentialScope: OPERATIONS_SCOPE,
  },

  credentialBody: (account, grant) => ({
    clientId: account.app.clientId,
    username: panoramaPartnerUsernameOf(account),
    password: account.app.clientSecret,
    organizationCode: panoramaOperationCodeOf(account),
    refreshToken: grant.refreshToken,
    clientEnvironment: 'STAGE',
  }),

  faultAnswer(fault: InjectedFault) {
    if (fault.kind === 'token') {
      // Cognito's own error shape; it sends no Retry-After.
      return fault.fault === 'rate_limited'
        ? cognitoErrorAnswer(429, 'TooManyRequestsException', 'Rate exceeded')
        : cognitoErrorAnswer(500, 'InternalErrorException', 'The sandbox injected an internal error.');
    }
    // [I] API Gateway's answers in front of the partner API.
    const headers = { 'retry-after': String(fault.retryAfterSeconds), 'content-type': 'application/json' };
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: { message: 'Too Many Requests' } };
    return { status: 503, headers, body: { message: 'Service Unavailable' } };
  },

  async routes(app, ctx) {
    // AWS JSON 1.1 bodies are JSON under their own media type; a body that is not JSON is Cognito's SerializationException.
    app.addContentTypeParser(AMZ_JSON_1_1, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(null, { [UNREADABLE]: true });
      }
    });

    const byClientId = (request: FastifyRequest) => {
      const clientId = (request.body as Record<string, unknown> | undefined)?.['ClientId'];
      return typeof clientId === 'string' ? ctx.accountByClientId(clientId) : undefined;
    };

    app.post(`${COGNITO}/`, { preHandler: ctx.guard('token', byClientId) }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (request.headers['x-amz-target'] !== INITIATE_AUTH_TARGET) {
        return cognitoError(reply, 400, 'UnknownOperationException', `Expected X-Amz-Target: ${INITIATE_AUTH_TARGET}; the sandbox serves InitiateAuth only.`);
      }
      if (body[UNREADABLE] === true || !String(request.headers['content-type']).startsWith(AMZ_JSON_1_1)) {
        return cognitoError(reply, 400, 'SerializationException', `Expected a JSON body with Content-Type: ${AMZ_JSON_1_1}.`);
      }
      const clientId = body['ClientId'];
      const account = byClientId(request);
      if (account === undefined) return cognitoError(reply, 400, 'ResourceNotFoundException', `User pool client ${typeof clientId === 'string' ? clientId : ''} does not exist.`);
      const parameters = (body['AuthParameters'] ?? {}) as Record<string, unknown>;
      let outcome: GrantOutcome;
      switch (body['AuthFlow']) {
        case 'USER_PASSWORD_AUTH': {
          const { USERNAME: username, PASSWORD: password } = parameters;
          if (typeof username !== 'string' || typeof password !== 'string') return cognitoError(reply, 400, 'InvalidParameterException', 'Missing required parameter USERNAME or PASSWORD');
          if (username !== panoramaPartnerUsernameOf(account) || !sameText(password, account.app.clientSecret)) return cognitoError(reply, 400, 'NotAuthorizedException', 'Incorrect username or password.');
          outcome = ctx.issueGrant(account);
          break;
        }
        case 'REFRESH_TOKEN_AUTH':
        case 'REFRESH_TOKEN': {
          const refreshToken = parameters['REFRESH_TOKEN'];
          if (typeof refreshToken !== 'string') return cognitoError(reply, 400, 'InvalidParameterException', 'Missing required parameter REFRESH_TOKEN');
          outcome = ctx.redeemRefreshToken(account, refreshToken);
          break;
        }
        default:
          // USER_SRP_AUTH and CUSTOM_AUTH need a person or a Lambda; the sandbox serves the two flows Furrow uses.
          return cognitoError(reply, 400, 'InvalidParameterException', `Initiate Auth method not supported: ${String(body['AuthFlow'])}.`);
      }
      if (!outcome.ok) return cognitoError(reply, 400, 'NotAuthorizedException', cognitoRefreshMessage(outcome.description));
      const { tokens } = outcome;
      const result: Record<string, unknown> = { AccessToken: tokens.accessToken, ExpiresIn: tokens.expiresIn, TokenType: 'Bearer', IdToken: idToken(ctx, request, account) };
      // A refresh returns no RefreshToken: the pool does not rotate them.
      if (body['AuthFlow'] === 'USER_PASSWORD_AUTH') result['RefreshToken'] = tokens.refreshToken;
      return reply.type(AMZ_JSON_1_1).header('cache-control', 'no-store').send({ AuthenticationResult: result, ChallengeParameters: {} });
    });

    const byBearer = (request: FastifyRequest) => ctx.accountByBearer(request.headers.authorization);

    app.get<{ Params: { code: string } }>(`${API}${OPERATIONS_PATH}/:code`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const check = ctx.checkAccessToken(request.headers.authorization);
      if (!check.ok) return reply.code(401).send({ message: 'Unauthorized' });
      if (!check.scopes.includes(OPERATIONS_SCOPE)) return reply.code(403).send({ message: `The access token lacks the ${OPERATIONS_SCOPE} scope.` });
      const operation = operationsOf(check.account).find((o) => o.organizationCode === request.params.code);
      if (operation === undefined) return reply.code(404).send({ message: `No operation ${request.params.code}.` });
      if (!operation.shared) return reply.code(403).send({ code: OPERATION_NOT_SHARED, message: `Operation ${operation.organizationCode} is not shared with this partner application; the grower shares it from the Share Initiation URL.` });
      return { organizationCode: operation.organizationCode, name: operation.name };
    });

    app.get(PANORAMA_ACCOUNT_DETAILS_PATH, { preHandler: ctx.guard('page', byBearer) }, async (request, reply) => {
      const check = ctx.checkAccessToken(request.headers.authorization);
      if (!check.ok) return reply.code(401).send({ message: 'Unauthorized' });
      const sharingUrlId = check.account.app.apiKey;
      return { clientId: check.account.app.clientId, sharingUrlId, shareInitiationUrl: ctx.publicUrl(request, `${WEB}${SHARING_PATH}/${encodeURIComponent(sharingUrlId)}`) };
    });

    // The Share Initiation URL: the grower picks an operation to share; Panorama then sends them on
    // to the Sharing Confirmation URL with its organization code ([I] parameter names).
    type ShareRoute = { Params: { sharingUrlId: string } };
    const byShare = (request: FastifyRequest) => ctx.accountByApiKey((request.params as { sharingUrlId: string }).sharingUrlId);
    app.get<ShareRoute>(`${WEB}${SHARING_PATH}/:sharingUrlId`, { preHandler: ctx.guard('page', byShare) }, async (request, reply) => {
      const account = byShare(request);
      if (account === undefined) return reply.code(404).type('text/plain').send(`No Share Initiation URL ${request.params.sharingUrlId}.`);
      const query = request.query as Record<string, unknown>;
      return reply.headers(PAGE_HEADERS).send(sharePage(account, stringOf(query['state']), stringOf(query['redirect_uri'])));
    });
    app.post<ShareRoute>(`${WEB}${SHARING_PATH}/:sharingUrlId`, { preHandler: ctx.guard('page', byShare) }, async (request, reply) => {
      const account = byShare(request);
      if (account === undefined) return reply.code(404).type('text/plain').send(`No Share Initiation URL ${request.params.sharingUrlId}.`);
      const form = (request.body ?? {}) as Record<string, unknown>;
      const operation = operationsOf(account).find((o) => o.organizationCode === stringOf(form['organizationCode']));
      if (operation === undefined) return reply.code(400).type('text/plain').send('Choose one of your operations to share.');
      if (operation.organizationId !== undefined) ctx.setOrganizationConnected(account, operation.organizationId, true);
      const redirectUri = stringOf(form['redirect_uri']);
      if (redirectUri === undefined || !/^https?:\/\//i.test(redirectUri)) return reply.type('text/plain').send(`Operation ${operation.organizationCode} is shared.`);
      const target = new URL(redirectUri);
      target.searchParams.set('organizationCode', operation.organizationCode);
      target.searchParams.set('sharingUrlId', request.params.sharingUrlId);
      const state = stringOf(form['state']);
      if (state !== undefined) target.searchParams.set('state', state);
      return reply.redirect(target.toString(), 302);
    });
  },
};

/** Marks a body that did not parse, so the handler can answer in Cognito's shape. */
const UNREADABLE = '__unreadable';

/** The grower's operations: their own, always shared, then the account's organizations, shared when connected. */
function operationsOf(account: EmulatedAccount): Operation[] {
  return [
    { organizationCode: panoramaOperationCodeOf(account), name: `${account.grower.name} (own operation)`, shared: true },
    ...account.organizations.map((o) => ({ organizationCode: o.number, name: o.name, shared: o.connected, organizationId: o.id })),
  ];
}

/**
 * Cognito's messages for a refused refresh token (providers.md 12.1 [I]), from the grant book's
 * reason: the `revoke` fault and revocation say "revoked", expiry "expired at".
 */
function cognitoRefreshMessage(description: string): string {
  if (/revoked/i.test(description)) return 'Refresh Token has been revoked';
  if (/expired at/i.test(description)) return REFRESH_TOKEN_EXPIRED;
  return 'Invalid Refresh Token';
}

/**
 * An id token shaped like Cognito's (a JWT with `token_use: id`), signed with a key of this process:
 * clients of the sandbox can decode it, and nothing should trust it.
 */
const ID_TOKEN_KEY = crypto.randomBytes(32);
function idToken(ctx: EmulatorContext, request: FastifyRequest, account: EmulatedAccount): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'HS256', typ: 'JWT' });
  const payload = encode({ sub: account.grower.id, aud: account.app.clientId, iss: ctx.publicUrl(request, COGNITO), token_use: 'id', email: panoramaPartnerUsernameOf(account), iat: now, exp: now + 3600 });
  const signature = crypto.createHmac('sha256', ID_TOKEN_KEY).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Cognito's error answer: the type in `X-Amzn-ErrorType` and `__type`, the text in `message`. */
function cognitoErrorAnswer(status: number, type: string, message: string) {
  return { status, headers: { 'content-type': AMZ_JSON_1_1, 'x-amzn-errortype': `${type}:` }, body: { __type: type, message } };
}

function cognitoError(reply: FastifyReply, status: number, type: string, message: string) {
  const answer = cognitoErrorAnswer(status, type, message);
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** No scripts, no framing: the page only posts a form. */
const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'", 'cache-control': 'no-store' };

function sharePage(account: EmulatedAccount, state: string | undefined, redirectUri: string | undefined): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const items = operationsOf(account)
    .map((o, index) => `<li><label><input type="radio" name="organizationCode" value="${escape(o.organizationCode)}"${index === 0 ? ' checked' : ''}> ${escape(o.name)} (${escape(o.organizationCode)})${o.shared ? ', shared' : ''}</label></li>`)
    .join('');
  const hidden = [['state', state], ['redirect_uri', redirectUri]]
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escape(value)}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Panorama (sandbox): share an operation</title></head><body><h1>Share an operation with ${escape(account.app.clientId)}</h1><p>Signed in as ${escape(account.grower.name)}.</p><form method="post">${hidden}<ul>${items}</ul><button type="submit" id="submit">Share</button></form></body></html>`;
}

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it. */
function sandboxPathOf(urls: HostUrls): string {
  const path = urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
  return path === '/' ? '' : path;
}

function stringOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

function sameText(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}
