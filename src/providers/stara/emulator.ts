/**
 * Stara Telemetria served locally (providers.md 9.8): `/token` exchanging the API key and the
 * client access token (form or JSON) for `X_access_token` and `refresh_Token`, and an [I] field
 * list that takes the access token in `X-Access-Token`. Paths are the production ones
 * (`client.ts`), below `/sandbox/stara`.
 *
 * How the sandbox's grant machinery maps onto Stara [I]: the client access token is the grant.
 * It is what the grower's login hands the integrator and what every exchange presents, so it is
 * the sandbox grant's refresh token: the `revoke` fault kills it (the next exchange is refused),
 * each exchange counts as a refresh, and the access tokens it yields expire like any other.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import { STARA_ACCESS_TOKEN_HEADER, STARA_PATHS, type StaraCredentialFields } from './client.js';

/** [I] Stara publishes no scopes; the sandbox's one scope stands for read access to telemetry, which `limitedPermission` takes away. */
const TELEMETRY_SCOPE = 'telemetria';

/**
 * Stara's `refresh_Token` for a client token: derived, so every exchange with the same client
 * token answers the same refresh token (nothing says Stara rotates), and keyed per process, so
 * it tells nothing about the client token. [I] No call taking it is documented; none is served.
 */
const REFRESH_TOKEN_KEY = crypto.randomBytes(32);
function refreshTokenFor(accessTokenClient: string): string {
  return `sbx_stara_rt_${crypto.createHmac('sha256', REFRESH_TOKEN_KEY).update(accessTokenClient).digest('base64url')}`;
}

/** The Stara emulator. */
export const staraEmulator: ProviderEmulator<StaraCredentialFields> = {
  oauth: {
    // [I] Lifetimes are not published; an hour, as the adapter assumes when none is stated.
    accessTokenSeconds: 3600,
    // [I] The client token lasts until the grower logs in anew or it is revoked: a year from its
    // last use, and Furrow's keep-alive uses it weekly.
    refreshTokenSeconds: 365 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    scopes: [TELEMETRY_SCOPE],
    essentialScope: TELEMETRY_SCOPE,
  },

  /**
   * The four fields Leaf stores. `accessToken` and `refreshToken` are what an earlier exchange
   * gave: the refresh token is the one `/token` answers for this client token; the access token
   * is stale (the sandbox cannot issue one before the account exists), which is what an
   * integrator posting days later has too. The adapter exchanges anew before any data call.
   */
  credentialBody: (account, grant) => ({
    apiKey: account.app.apiKey,
    accessToken: `sbx_stara_at_stale_${crypto.randomBytes(24).toString('base64url')}`,
    accessTokenClient: grant.refreshToken,
    refreshToken: refreshTokenFor(grant.refreshToken),
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: { message: 'Limite de requisições excedido; tente novamente após o tempo em Retry-After.' } };
    return { status: 503, headers, body: { message: 'Serviço indisponível (erro injetado pelo sandbox).' } };
  },

  async routes(app, ctx) {
    const byApiKey = (request: FastifyRequest) => {
      const apiKey = fieldsOf(request.body)['apiKey'];
      return apiKey === undefined ? undefined : ctx.accountByApiKey(apiKey);
    };
    const byAccessToken = (request: FastifyRequest) => ctx.accountByBearer(bearerOf(request));

    app.post(STARA_PATHS.token, { preHandler: ctx.guard('token', byApiKey) }, async (request, reply) => {
      const body = fieldsOf(request.body);
      const apiKey = body['apiKey'];
      const accessTokenClient = body['accessTokenClient'];
      if (apiKey === undefined) return staraError(reply, 400, 'Informe apiKey (e accessTokenClient).');
      const account = ctx.accountByApiKey(apiKey);
      if (account === undefined) return staraError(reply, 401, 'API key inválida.');
      // Leaf's docs send the API key alone (providers.md 9.1); the sandbox needs the client token
      // to know which grant is meant, as Postman sends it.
      if (accessTokenClient === undefined) return staraError(reply, 400, 'Informe accessTokenClient junto com a apiKey.');
      const outcome = ctx.redeemRefreshToken(account, accessTokenClient);
      if (!outcome.ok) return staraError(reply, 401, `Token do cliente recusado: ${outcome.description}`);
      return reply.headers({ 'cache-control': 'no-store' }).send({
        X_access_token: outcome.tokens.accessToken,
        refresh_Token: refreshTokenFor(accessTokenClient),
        // [I] Not in Postman's script; the sandbox states the lifetime so clients need not guess.
        expires_in: outcome.tokens.expiresIn,
      });
    });

    app.get(STARA_PATHS.fields, { preHandler: ctx.guard('api', byAccessToken) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      // [I] Field shape: Portuguese names as Stara's paths have them; boundaries join with the field sync.
      return reply.send(account.fields.map((field) => ({ id: field.id, nome: field.name, idOrganizacao: field.organizationId })));
    });
  },
};

/** `X-Access-Token: <token>` as the `Bearer` form the sandbox checks. */
function bearerOf(request: FastifyRequest): string | undefined {
  const token = request.headers[STARA_ACCESS_TOKEN_HEADER.toLowerCase()];
  return typeof token === 'string' && token !== '' ? `Bearer ${token}` : undefined;
}

/** The account of a valid access token with the telemetry scope, or `undefined` after answering 401/403. */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const authorization = bearerOf(request);
  if (authorization === undefined) {
    staraError(reply, 401, `Informe o token de acesso no cabeçalho ${STARA_ACCESS_TOKEN_HEADER}.`);
    return undefined;
  }
  const check = ctx.checkAccessToken(authorization);
  if (!check.ok) {
    staraError(reply, 401, `Token de acesso inválido ou expirado: ${check.description}`);
    return undefined;
  }
  if (!check.scopes.includes(TELEMETRY_SCOPE)) {
    staraError(reply, 403, 'O token de acesso não tem permissão para ler a telemetria.');
    return undefined;
  }
  return check.account;
}

/** [I] Stara's error body: `{ "message" }`, in Portuguese as the API's paths are. */
function staraError(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ message });
}

/** A form or JSON body's string properties (providers.md 9.8: accept both). */
function fieldsOf(body: unknown): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return fields;
  for (const [name, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    fields[name] = typeof first === 'string' && first !== '' ? first : undefined;
  }
  return fields;
}
