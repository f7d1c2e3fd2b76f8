/**
 * CLAAS served locally (providers.md 2.8, "Generic OAuth2 code+refresh server; GET machines ... All
 * paths invented — mark as such"): the authorize and token endpoints (refresh tokens not rotated
 * [I]), and the online file transfer API's machines in page/size pages with RFC 9457 problem
 * bodies [I]. The machines of a customer organization are derived from the account's
 * organizations, so they need no storage. Outbox files (ISOXML) join with the file sync issue.
 * Paths are the production ones (`client.ts` hosts), below `/sandbox/claas`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { CLAAS_HOSTS, MAX_PAGE_SIZE, type ClaasCredentialFields } from './client.js';

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it. */
function sandboxPathOf(urls: HostUrls): string {
  return urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
}

const IDENTITY = sandboxPathOf(CLAAS_HOSTS.identity);
const API = sandboxPathOf(CLAAS_HOSTS.api);

/** [I] CLAAS's scopes are not public (providers.md 2.1); these name what the partner API serves. */
export const CLAAS_MACHINES_SCOPE = 'oft:machines:read';
const CLAAS_SCOPES = ['offline_access', CLAAS_MACHINES_SCOPE, 'oft:files:read'];

const PROBLEM_JSON = 'application/problem+json';

/** CLAAS machines enabled for online file transfer (ISOBUS terminals: CEBIS, S10), for made-up fleets. */
const MODELS = ['LEXION 8900', 'TRION 750', 'JAGUAR 990', 'AXION 960', 'ARION 660', 'XERION 12.650'];

/** The CLAAS emulator. */
export const claasEmulator: ProviderEmulator<ClaasCredentialFields> = {
  oauth: {
    // [I] Lifetimes are not public (providers.md 2.1): an hour for access, a sliding 90 days for
    // refresh, not rotated (the provider's capabilities say the same).
    accessTokenSeconds: 3600,
    refreshTokenSeconds: 90 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    scopes: CLAAS_SCOPES,
    essentialScope: CLAAS_MACHINES_SCOPE,
  },

  credentialBody: (account, grant) => ({
    clientKey: account.app.clientId,
    clientSecret: account.app.clientSecret,
    refreshToken: grant.refreshToken,
    // Leaf: STAGE is the default (providers.md 2.1); the sandbox says it anyway.
    clientEnvironment: 'STAGE',
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds), 'content-type': PROBLEM_JSON };
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: problem(429, 'Too Many Requests', 'The rate limit is exceeded; retry after the time in Retry-After.') };
    if (fault.kind === 'token') return { status: 503, headers: { 'retry-after': headers['retry-after'] }, body: { error: 'temporarily_unavailable', error_description: 'The sandbox injected a server error.' } };
    return { status: 503, headers, body: problem(503, 'Service Unavailable', 'The sandbox injected a server error.') };
  },

  async routes(app, ctx) {
    const byClient = (request: FastifyRequest) => ctx.accountByBasicAuth(request.headers.authorization);
    const byBearer = (request: FastifyRequest) => ctx.accountByBearer(request.headers.authorization);

    ctx.registerAuthorizePage(app, `${IDENTITY}/authorize`, { providerName: 'CLAAS' });

    app.post(`${IDENTITY}/token`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const account = ctx.authenticateClient(request.headers.authorization);
      if (account === undefined) return oauthError(reply, 401, 'invalid_client', 'Client authentication failed.');
      const form = formOf(request.body);
      const outcome = ctx.redeemTokenRequest(account, form);
      if (!outcome.ok) return oauthError(reply, 400, outcome.error, outcome.description);
      const { tokens } = outcome;
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
        scope: tokens.scopes.join(' '),
      });
    });

    app.get(`${API}/machines`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const query = request.query as Record<string, unknown>;
      const number = Number(stringOf(query['page']) ?? '0');
      const size = Number(stringOf(query['size']) ?? '20');
      if (!Number.isInteger(number) || number < 0 || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
        return reply.code(400).type(PROBLEM_JSON).send(problem(400, 'Bad Request', `page must be 0 or more and size 1 to ${MAX_PAGE_SIZE}.`));
      }
      const machines = machinesOf(account);
      const totalPages = Math.ceil(machines.length / size);
      return { content: machines.slice(number * size, (number + 1) * size), page: { number, size, totalElements: machines.length, totalPages } };
    });
  },
};

/**
 * Every customer organization's machines, one to three each, drawn from its id so they stay the
 * same between calls and runs. [I] The not-connected flag of the scenario is John Deere's notion;
 * CLAAS shows all.
 */
function machinesOf(account: EmulatedAccount) {
  return account.organizations.flatMap((organization) => {
    const count = 1 + (digestOf(organization.id)[0]! % 3);
    return Array.from({ length: count }, (_, index) => {
      const digest = digestOf(`${organization.id}:${index}`);
      const hex = digest.toString('hex');
      const model = MODELS[digest[0]! % MODELS.length]!;
      return {
        id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
        name: `${model} #${index + 1}`,
        model,
        serialNumber: `C${String(digest.readUInt32BE(4) % 10_000_000).padStart(7, '0')}`,
        organizationId: organization.id,
        onlineFileTransfer: true,
      };
    });
  });
}

function digestOf(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

/** The account of a valid bearer token with the machines scope, or `undefined` after answering 401/403. */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok) {
    // RFC 6750 section 3.1: an expired or revoked token is `invalid_token`.
    reply.code(401).header('www-authenticate', `Bearer error="invalid_token", error_description="${check.description.replace(/"/g, "'")}"`).type(PROBLEM_JSON).send(problem(401, 'Unauthorized', check.description));
    return undefined;
  }
  if (!check.scopes.includes(CLAAS_MACHINES_SCOPE)) {
    reply.code(403).header('www-authenticate', `Bearer error="insufficient_scope", scope="${CLAAS_MACHINES_SCOPE}"`).type(PROBLEM_JSON).send(problem(403, 'Forbidden', `The access token lacks the ${CLAAS_MACHINES_SCOPE} scope.`));
    return undefined;
  }
  return check.account;
}

/** [I] An RFC 9457 problem details body. */
function problem(status: number, title: string, detail: string) {
  return { type: 'about:blank', title, status, detail, instance: `urn:uuid:${crypto.randomUUID()}` };
}

/** The OAuth error body (RFC 6749 section 5.2). */
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
