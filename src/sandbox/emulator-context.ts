/**
 * The sandbox's side of the emulator port (`providers/provider-emulator.ts`): account lookups by
 * the credentials a provider receives, the grant state machine with stats, the fault wrapper every
 * emulator route goes through, and the shared authorize page.
 */
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AccessCheck, EmulatedAccount, EmulatorContext, GrantOutcome, ProviderEmulator } from '../providers/provider-emulator.js';
import type { SandboxAccount, SandboxAccountStore } from './account-store.js';
import { PAGE_HEADERS, checkAuthorizeRequest, renderConsentPage, renderErrorPage, withParameters, type AuthorizeParameters } from './consent-page.js';
import { decideFault } from './faults.js';
import type { GrantBookOutcome } from './oauth-grants.js';

/** The provider an emulator context serves, and where. */
export interface EmulatorContextOptions {
  providerId: string;
  emulator: Pick<ProviderEmulator, 'faultAnswer'>;
  store: SandboxAccountStore;
  /** The path the emulator is mounted at, e.g. `/sandbox/john-deere`. */
  basePath: string;
}

/** The `EmulatorContext` for one provider's emulator. */
export function createEmulatorContext(options: EmulatorContextOptions): EmulatorContext {
  const { providerId, store, basePath } = options;
  const accountOf = (view: EmulatedAccount): SandboxAccount => {
    const account = store.get(view.id);
    if (account === undefined || account.providerId !== providerId) throw new Error(`Sandbox account ${view.id} is gone or belongs to another provider than ${providerId}.`);
    return account;
  };
  const byClientId = (clientId: string | undefined) => (clientId === undefined ? undefined : store.findByClientId(providerId, clientId));
  const byBearer = (authorization: string | undefined) => {
    const token = bearerToken(authorization);
    return token === undefined ? undefined : store.findByAccessToken(providerId, token);
  };
  const settle = (account: SandboxAccount, outcome: GrantBookOutcome): GrantOutcome => {
    if (outcome.refreshed === true) account.stats.refreshes += 1;
    if (outcome.redeemedTwice === true) account.stats.refreshTokensRedeemedTwice += 1;
    if (!outcome.ok && outcome.error === 'invalid_grant') account.stats.invalidGrantAnswers += 1;
    return outcome.ok ? { ok: true, tokens: outcome.tokens } : { ok: false, error: outcome.error, description: outcome.description };
  };

  const guard = (kind: Parameters<EmulatorContext['guard']>[0], identify: (request: FastifyRequest) => EmulatedAccount | undefined): preHandlerAsyncHookHandler =>
    async function sandboxGuard(request: FastifyRequest, reply: FastifyReply) {
      const view = identify(request);
      const account = view === undefined ? undefined : store.get(view.id);
      if (account === undefined) return; // the emulator answers an unknown caller itself (401, 403)
      if (kind === 'token') account.stats.tokenRequests += 1;
      if (kind === 'api') account.stats.apiCalls += 1;
      const decision = decideFault(account.faults, kind, store.now(), account.draws.next);
      if (decision.action === 'drop') {
        // [I] "Connection refused" cannot be staged for one account on a shared listener; a reset
        // connection is what a client sees of a provider that went away mid-call.
        reply.hijack();
        request.raw.socket.destroy();
        return;
      }
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      if (decision.action === 'answer') {
        if (decision.fault.fault === 'rate_limited') account.stats.rateLimited += 1;
        const answer = options.emulator.faultAnswer(decision.fault);
        return reply
          .code(answer.status)
          .headers(answer.headers ?? {})
          .send(answer.body);
      }
    };

  const context: EmulatorContext = {
    publicUrl: (request, path) => `${request.protocol}://${request.host}${basePath}${path}`,
    accountByClientId: (clientId) => byClientId(clientId)?.view,
    accountByApiKey: (apiKey) => store.findByApiKey(providerId, apiKey)?.view,
    accountByBasicAuth: (authorization) => byClientId(basicCredentials(authorization)?.clientId)?.view,
    accountByBearer: (authorization) => byBearer(authorization)?.view,
    authenticateClient(authorization) {
      const credentials = basicCredentials(authorization);
      const account = byClientId(credentials?.clientId);
      if (account === undefined || credentials === undefined) return undefined;
      return sameText(credentials.clientSecret, account.view.app.clientSecret) ? account.view : undefined;
    },
    checkAccessToken(authorization): AccessCheck {
      const token = bearerToken(authorization);
      if (token === undefined) return { ok: false, reason: 'missing', description: 'Expected an Authorization: Bearer <access token> header.' };
      const account = store.findByAccessToken(providerId, token);
      if (account === undefined) return { ok: false, reason: 'unknown', description: 'The access token is not one this emulator issued.' };
      const check = account.grants.checkAccessToken(token, store.droppedScope(account));
      return check.ok ? { ok: true, account: account.view, scopes: check.scopes } : check;
    },
    guard,
    registerAuthorizePage(app: FastifyInstance, path: string, pageOptions) {
      const check = (params: AuthorizeParameters) => {
        const account = byClientId(params.client_id);
        return checkAuthorizeRequest(params, {
          findAccount: () => account,
          knownScopes: account?.policy.scopes ?? [],
          defaultScopes: account?.policy.scopes ?? [],
          requireParameters: pageOptions.requireParameters,
        });
      };
      const identify = (params: AuthorizeParameters) => byClientId(params.client_id)?.view;
      app.get(path, { preHandler: guard('page', (request) => identify(stringParameters(request.query))) }, async (request, reply) => {
        const params = stringParameters(request.query);
        const result = check(params);
        if (!result.ok) return 'show' in result ? reply.code(400).headers(PAGE_HEADERS).send(renderErrorPage(pageOptions.providerName, result.show)) : reply.redirect(result.redirect, 302);
        const { grower, app: client } = result.account.view;
        return reply.headers(PAGE_HEADERS).send(renderConsentPage({ providerName: pageOptions.providerName, clientId: client.clientId, growerName: grower.name, growerEmail: grower.email, scopes: result.scopes, params }));
      });
      app.post(path, { preHandler: guard('page', (request) => identify(stringParameters(request.body))) }, async (request, reply) => {
        const { decision, ...params } = stringParameters(request.body);
        const result = check(params);
        if (!result.ok) return 'show' in result ? reply.code(400).headers(PAGE_HEADERS).send(renderErrorPage(pageOptions.providerName, result.show)) : reply.redirect(result.redirect, 302);
        if (decision !== 'approve') {
          return reply.redirect(withParameters(result.redirectUri, { error: 'access_denied', error_description: 'The grower denied access.', state: result.state }), 302);
        }
        const code = result.account.grants.issueCode({ redirectUri: result.redirectUri, scopes: result.scopes, codeChallenge: result.codeChallenge });
        return reply.redirect(withParameters(result.redirectUri, { code, state: result.state }), 302);
      });
    },
    redeemAuthorizationCode(view, request) {
      const account = accountOf(view);
      return settle(account, account.grants.redeemCode(request, store.droppedScope(account)));
    },
    redeemTokenRequest(view, form) {
      const grantType = form['grant_type'];
      if (grantType === 'authorization_code') {
        const code = form['code'];
        if (code === undefined) return { ok: false, error: 'invalid_request', description: 'The code parameter is required.' };
        return context.redeemAuthorizationCode(view, { code, redirectUri: form['redirect_uri'], codeVerifier: form['code_verifier'] });
      }
      if (grantType === 'refresh_token') {
        const refreshToken = form['refresh_token'];
        if (refreshToken === undefined) return { ok: false, error: 'invalid_request', description: 'The refresh_token parameter is required.' };
        return context.redeemRefreshToken(view, refreshToken);
      }
      // Client credentials and the rest are an application's own grants, not a grower's: the sandbox has none.
      return { ok: false, error: 'unsupported_grant_type', description: `The grant_type "${grantType ?? ''}" is not served; use authorization_code or refresh_token.` };
    },
    redeemRefreshToken(view, refreshToken) {
      const account = accountOf(view);
      return settle(account, account.grants.redeemRefreshToken(refreshToken, store.droppedScope(account)));
    },
    issueGrant(view) {
      const account = accountOf(view);
      // The grant's first redemption hands out its first access token; not settled, so not counted as a refresh.
      const { refreshToken } = account.grants.issueGrant(account.policy.scopes);
      const outcome = account.grants.redeemRefreshToken(refreshToken, store.droppedScope(account));
      return outcome.ok ? { ok: true, tokens: outcome.tokens } : { ok: false, error: outcome.error, description: outcome.description };
    },
    revokeToken(view, token) {
      accountOf(view).grants.revoke(token);
    },
    setOrganizationConnected(view, organizationId, connected) {
      store.setOrganizationConnected(accountOf(view), organizationId, connected);
    },
  };
  return context;
}

/**
 * HTTP Basic client credentials. RFC 6749 section 2.3.1 form-encodes id and secret before base64,
 * so they are decoded after splitting at the first colon.
 */
export function basicCredentials(authorization: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  try {
    const formDecode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 section 2.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** Query or form values as strings: the first of repeated ones, others dropped. */
export function stringParameters(input: unknown): AuthorizeParameters {
  const result: AuthorizeParameters = {};
  if (input === null || typeof input !== 'object') return result;
  for (const [name, value] of Object.entries(input)) {
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof first === 'string') result[name] = first;
  }
  return result;
}

function sameText(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}
