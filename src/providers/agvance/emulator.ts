/**
 * Agvance served locally (providers.md 11.8): the login that trades the API key, database id, user
 * name and password for a session id, sessions that end 20 minutes after the login, the
 * `{ Status, Message }` envelope on every answer, and `GetCustomer` behind the API user's security.
 * Paths are the production ones (`client.ts` hosts), below `/sandbox/agvance`.
 *
 * The sandbox's grant book stands in for the API user: the password handed out is the grant's
 * refresh token, a login redeems it, and the session id is the access token issued. So the
 * `revoke` fault (the company administrator deactivates the API user) refuses the next login, the
 * `limitedPermission` fault takes a security area away from new sessions, and the stats count
 * logins as refreshes, as for OAuth providers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import {
  AGVANCE_API_KEY_HEADER,
  AGVANCE_CUSTOMERS_PATH,
  AGVANCE_LOGIN_PATH,
  AGVANCE_SESSION_HEADER,
  AGVANCE_SESSION_SECONDS,
  AGVANCE_STATUS,
  type AgvanceCredentialFields,
} from './client.js';

/**
 * [I] The API security areas a session carries (providers.md 11.1: the company administrator sets
 * each API user's security in Admin Utilities); `Customer` is the one validation needs.
 */
const SECURITY_AREAS = ['Customer', 'Field', 'MapInterface'];
const CUSTOMER_AREA = 'Customer';

const apiKeyOf = (request: FastifyRequest) => headerOf(request, AGVANCE_API_KEY_HEADER);
const sessionOf = (request: FastifyRequest) => headerOf(request, AGVANCE_SESSION_HEADER);

/** [I] The sandbox API user's database id and name, derived from the account so a login can check them. */
export function agvanceDatabaseIdOf(account: EmulatedAccount): string {
  return `AGV${account.id.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}
export function agvanceUsernameOf(account: EmulatedAccount): string {
  return `api.${account.grower.email.split('@')[0]}`;
}

/** The Agvance emulator. */
export const agvanceEmulator: ProviderEmulator<AgvanceCredentialFields> = {
  oauth: {
    accessTokenSeconds: AGVANCE_SESSION_SECONDS,
    // [I] The password works until the administrator changes it; ten years stands for "no expiry".
    refreshTokenSeconds: 10 * 365 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    scopes: SECURITY_AREAS,
    essentialScope: CUSTOMER_AREA,
  },

  credentialBody: (account, grant) => ({
    apiKey: account.app.apiKey,
    // "Leaf often defaults to" STAGE: the development host apidev.agvance.net (providers.md 11.2).
    clientEnvironment: 'STAGE',
    databaseId: agvanceDatabaseIdOf(account),
    password: grant.refreshToken,
    username: agvanceUsernameOf(account),
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds), 'content-type': 'application/json; charset=utf-8' };
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: envelope(AGVANCE_STATUS.error, 'Too many requests; slow down.') };
    return { status: 503, headers, body: envelope(AGVANCE_STATUS.otherError, 'The sandbox injected a server error.') };
  },

  async routes(app, ctx) {
    app.post(AGVANCE_LOGIN_PATH, { preHandler: ctx.guard('token', (request) => byApiKey(ctx, request)) }, async (request, reply) => {
      const account = byApiKey(ctx, request);
      if (account === undefined) return refuse(reply, 401, 'Invalid API key.');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const [databaseId, username, password] = [body['DatabaseID'], body['UserName'], body['Password']];
      if (typeof databaseId !== 'string' || typeof username !== 'string' || typeof password !== 'string') {
        return refuse(reply, 400, 'Expected a JSON body { "DatabaseID", "UserName", "Password" }.');
      }
      // One message for every wrong value, as login forms do, so a caller cannot probe which one.
      if (databaseId !== agvanceDatabaseIdOf(account) || username !== agvanceUsernameOf(account)) return refuse(reply, 401, 'Login failed: invalid database id, user name or password.');
      const outcome = ctx.redeemRefreshToken(account, password);
      if (!outcome.ok) {
        // The grant book says "revoked" when the revoke fault deactivated the API user.
        const inactive = /revoked/i.test(outcome.description);
        return refuse(reply, 401, inactive ? 'Login failed: the API user is inactive; ask your Agvance administrator.' : 'Login failed: invalid database id, user name or password.');
      }
      return reply.header('cache-control', 'no-store').send({ ...envelope(AGVANCE_STATUS.success, 'OK'), SessionID: outcome.tokens.accessToken });
    });

    const identify = (request: FastifyRequest) => byApiKey(ctx, request) ?? bySession(ctx, request);
    app.get(AGVANCE_CUSTOMERS_PATH, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
      const account = authorize(ctx, request, reply, CUSTOMER_AREA);
      if (account === undefined) return reply;
      const Customers = account.organizations.map((organization) => ({ CustomerGuid: organization.id, Name: organization.name }));
      return reply.send({ ...envelope(AGVANCE_STATUS.success, 'OK'), Customers });
    });
  },
};

/** The account of a valid API key and session allowed into `area`, or `undefined` after answering 401/403. */
function authorize(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply, area: string): EmulatedAccount | undefined {
  const keyAccount = byApiKey(ctx, request);
  if (keyAccount === undefined) {
    refuse(reply, 401, 'Invalid API key.');
    return undefined;
  }
  const session = sessionOf(request);
  const check = ctx.checkAccessToken(session === undefined ? undefined : `Bearer ${session}`);
  if (!check.ok || check.account.id !== keyAccount.id) {
    refuse(reply, 401, `Session expired or invalid; log in again (${check.ok ? 'the session belongs to another API key' : check.description})`);
    return undefined;
  }
  if (!check.scopes.includes(area)) {
    refuse(reply, 403, `The API user's security does not allow ${area}; ask your Agvance administrator.`);
    return undefined;
  }
  return check.account;
}

function byApiKey(ctx: EmulatorContext, request: FastifyRequest): EmulatedAccount | undefined {
  const apiKey = apiKeyOf(request);
  return apiKey === undefined ? undefined : ctx.accountByApiKey(apiKey);
}

function bySession(ctx: EmulatorContext, request: FastifyRequest): EmulatedAccount | undefined {
  const session = sessionOf(request);
  return session === undefined ? undefined : ctx.accountByBearer(`Bearer ${session}`);
}

/** The envelope of every answer (providers.md 11.2). */
function envelope(status: number, message: string) {
  return { Status: status, Message: message };
}

function refuse(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send(envelope(AGVANCE_STATUS.error, message));
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}
