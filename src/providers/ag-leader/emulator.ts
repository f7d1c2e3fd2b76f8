/**
 * AgLeader AgFiniti served locally (providers.md 6.8): the consent page at `/Account/Authorize`,
 * the token endpoint at `/api/token` taking the consumer key pair as HTTP Basic, and an [I] file
 * list that needs the `read` scope. Paths are the production ones (`client.ts`), below
 * `/sandbox/ag-leader`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import { AG_LEADER_PATHS, AG_LEADER_READ_SCOPE, AG_LEADER_SCOPES, type AgLeaderCredentialFields } from './client.js';

/** [I] The most files one page holds. */
const MAX_PAGE_SIZE = 1000;

/** ASP.NET Web API's answer to a request without a valid bearer token [I]: the framework's fixed message. */
const DENIED = 'Authorization has been denied for this request.';

/** The AgLeader emulator. */
export const agLeaderEmulator: ProviderEmulator<AgLeaderCredentialFields> = {
  oauth: {
    // [I] Lifetimes are not published (providers.md 6.9). An hour, as most OAuth servers issue;
    // a client that refreshes ahead of expiry works with any longer lifetime too.
    accessTokenSeconds: 3600,
    // [I] Ninety days from last use; Furrow's keep-alive refresh runs far more often.
    refreshTokenSeconds: 90 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    // [I] Rotation unknown: the same refresh token comes back, as the OWIN server does unless its
    // refresh-token provider is written to rotate.
    scopes: AG_LEADER_SCOPES,
    essentialScope: AG_LEADER_READ_SCOPE,
  },

  /**
   * Every field of the body, as Leaf's legacy docs send it. The access token is stale (the
   * sandbox cannot issue one before the account exists), which is what an integrator posting
   * hours after the authorize step has too; the adapter refreshes before any data call.
   */
  credentialBody: (account, grant) => ({
    accessToken: `sbx_agfiniti_at_stale_${crypto.randomBytes(24).toString('base64url')}`,
    refreshToken: grant.refreshToken,
    publicKey: account.app.clientId,
    privateKey: account.app.clientSecret,
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    // [I] ASP.NET's `{ "Message" }` error body; AgFiniti's own 429/503 bodies are not published.
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: { Message: 'Too many requests; retry after the time in Retry-After.' } };
    if (fault.kind === 'token') return { status: 503, headers, body: { error: 'temporarily_unavailable', error_description: 'The sandbox injected a server error.' } };
    return { status: 503, headers, body: { Message: 'The sandbox injected a server error.' } };
  },

  async routes(app, ctx) {
    ctx.registerAuthorizePage(app, AG_LEADER_PATHS.authorize, { providerName: 'AgLeader AgFiniti' });

    const byKeyPair = (request: FastifyRequest) => {
      const pair = rawBasicCredentials(request.headers.authorization);
      return pair === undefined ? undefined : ctx.accountByClientId(pair.publicKey);
    };

    app.post(AG_LEADER_PATHS.token, { preHandler: ctx.guard('token', byKeyPair) }, async (request, reply) => {
      const account = authenticateKeyPair(ctx, request.headers.authorization);
      // [I] The OWIN server answers a failed client authentication with 400 invalid_client.
      if (account === undefined) return oauthError(reply, 400, 'invalid_client', 'Expected Authorization: Basic base64(publicKey:privateKey) with a known consumer key pair.');
      const form = formOf(request.body);
      const outcome = ctx.redeemTokenRequest(account, form);
      if (!outcome.ok) return oauthError(reply, 400, outcome.error, outcome.description);
      const { tokens } = outcome;
      // [I] No `scope` in the answer: Leaf shows no tokenMetadata for AgLeader (leaf-api.md 3.3).
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
        access_token: tokens.accessToken,
        token_type: 'bearer',
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
      });
    });

    app.get(AG_LEADER_PATHS.files, { preHandler: ctx.guard('api', (request) => ctx.accountByBearer(request.headers.authorization)) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const query = request.query as Record<string, unknown>;
      const page = positiveInteger(query['page'], 1);
      const pageSize = Math.min(MAX_PAGE_SIZE, positiveInteger(query['pageSize'], 100));
      // Sandbox accounts hold no machine files yet (they join with the file sync); the list is real, and empty.
      const files: Record<string, unknown>[] = [];
      return reply.send({ Files: files.slice((page - 1) * pageSize, page * pageSize), Page: page, PageSize: pageSize, TotalCount: files.length });
    });
  },
};

/** The account of a valid bearer token with the `read` scope, or `undefined` after answering 401/403. */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok) {
    reply.code(401).header('www-authenticate', 'Bearer').send({ Message: DENIED });
    return undefined;
  }
  if (!check.scopes.includes(AG_LEADER_READ_SCOPE)) {
    reply.code(403).send({ Message: `The access token lacks the ${AG_LEADER_READ_SCOPE} scope.` });
    return undefined;
  }
  return check.account;
}

/** The account whose consumer key pair the Basic header carries, compared without form-decoding (see `agFinitiBasicAuthorization`). */
function authenticateKeyPair(ctx: EmulatorContext, authorization: string | undefined): EmulatedAccount | undefined {
  const pair = rawBasicCredentials(authorization);
  if (pair === undefined) return undefined;
  const account = ctx.accountByClientId(pair.publicKey);
  return account !== undefined && sameText(pair.privateKey, account.app.clientSecret) ? account : undefined;
}

function rawBasicCredentials(authorization: string | undefined): { publicKey: string; privateKey: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { publicKey: decoded.slice(0, colon), privateKey: decoded.slice(colon + 1) };
}

function sameText(a: string, b: string): boolean {
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(a).digest(), crypto.createHash('sha256').update(b).digest());
}

/** RFC 6749 section 5.2's error body. */
function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error, error_description: description });
}

function formOf(body: unknown): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return form;
  for (const [name, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    form[name] = typeof first === 'string' ? first : undefined;
  }
  return form;
}

function positiveInteger(value: unknown, fallback: number): number {
  const parsed = typeof value === 'string' ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isInteger(parsed) && parsed >= 1 ? parsed : fallback;
}
