/**
 * Token endpoint requests of OAuth 2.0 providers (RFC 6749 section 6 refresh, RFC 7009
 * revocation) through oauth4webapi, with the provider's endpoints given by its adapter rather than
 * discovered, every exchange recorded through `ctx.fetch`, and failures thrown as `ProviderError`.
 */
import * as oauth from 'oauth4webapi';
import type { TokenSet } from '../domain/index.js';
import { ProviderError } from './provider-error.js';
import { PROVIDER_CALL_TIMEOUT_MS, providerErrorOf } from './provider-http.js';
import type { AdapterContext, ErrorClassification, HttpResult } from './provider.js';

/** An OAuth client of one authorization server; endpoints from the provider's docs (providers.md). */
export interface OAuthClientSettings {
  server: oauth.AuthorizationServer;
  clientId: string;
  clientSecret: string;
}

/** Classifies a failed token or API answer; the adapter's `classifyError`. */
export type ClassifyAnswer = (result: HttpResult) => ErrorClassification | undefined;

/** Thrown by the fetch handed to oauth4webapi when no answer came, to tell it apart from the library's own errors. */
class NoAnswer extends Error {}

function requestOptions(ctx: AdapterContext, endpoint: string) {
  return {
    [oauth.customFetch]: async (url: string, init: RequestInit) => {
      try {
        return await ctx.fetch(url, init);
      } catch (error) {
        throw new NoAnswer('no answer', { cause: error });
      }
    },
    // Real providers are HTTPS only; plain HTTP is the loopback sandbox (SPEC section 4), never a provider.
    [oauth.allowInsecureRequests]: new URL(endpoint).protocol === 'http:',
    signal: () => AbortSignal.timeout(PROVIDER_CALL_TIMEOUT_MS),
  };
}

async function send(request: () => Promise<Response>): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof NoAnswer) throw ProviderError.unreachable(error.cause);
    throw error;
  }
}

/**
 * The `refresh_token` grant with HTTP Basic client authentication (RFC 6749 sections 2.3.1 and 6).
 * The answer's `refresh_token`, when present, is in the token set: rotating providers invalidate
 * the one sent, so the caller stores it before anything else uses it (SPEC section 5).
 */
export async function refreshTokenGrant(
  ctx: AdapterContext,
  settings: OAuthClientSettings,
  refreshToken: string,
  classify: ClassifyAnswer,
  options: {
    additionalParameters?: Record<string, string>;
    /** Replaces RFC 6749's form-encoded HTTP Basic for a provider that documents another client authentication. */
    clientAuth?: oauth.ClientAuth;
  } = {},
): Promise<TokenSet> {
  const client: oauth.Client = { client_id: settings.clientId };
  const response = await send(() =>
    oauth.refreshTokenGrantRequest(settings.server, client, options.clientAuth ?? oauth.ClientSecretBasic(settings.clientSecret), refreshToken, {
      ...requestOptions(ctx, settings.server.token_endpoint!),
      ...(options.additionalParameters === undefined ? {} : { additionalParameters: options.additionalParameters }),
    }),
  );
  if (response.status !== 200) throw await providerErrorOf(response, 'token', classify);
  let body: oauth.TokenEndpointResponse;
  try {
    body = await oauth.processRefreshTokenResponse(settings.server, client, response);
  } catch (error) {
    // A 200 that is not a token answer. A rotating provider may already have replaced the refresh
    // token, and Climate's one-hour grace lets a retry get the answer again: so retry, not give up.
    throw new ProviderError({ errorClass: 'retry_later', reason: `token endpoint answered 200 with an unusable body (${error instanceof Error ? error.message : String(error)})`, status: 200 }, { cause: error });
  }
  return tokenSetFrom(body, ctx.now());
}

/** RFC 7009 revocation with HTTP Basic client authentication; a 200 means revoked (or already unknown). */
export async function revokeToken(
  ctx: AdapterContext,
  settings: OAuthClientSettings,
  token: string,
  tokenTypeHint: 'refresh_token' | 'access_token',
  classify: ClassifyAnswer,
  options: {
    /** Replaces HTTP Basic for a provider that documents another client authentication (as for `refreshTokenGrant`). */
    clientAuth?: oauth.ClientAuth;
  } = {},
): Promise<void> {
  const client: oauth.Client = { client_id: settings.clientId };
  const response = await send(() =>
    oauth.revocationRequest(settings.server, client, options.clientAuth ?? oauth.ClientSecretBasic(settings.clientSecret), token, {
      ...requestOptions(ctx, settings.server.revocation_endpoint!),
      additionalParameters: { token_type_hint: tokenTypeHint },
    }),
  );
  if (response.status !== 200) throw await providerErrorOf(response, 'token', classify);
}

/**
 * A token answer as Furrow's `TokenSet`. `raw` keeps what else the provider sent (Climate's `user`)
 * but never the tokens themselves, so storing `raw` can never store a secret in the clear.
 */
export function tokenSetFrom(body: oauth.TokenEndpointResponse, now: number): TokenSet {
  const { access_token, refresh_token, id_token: _idToken, expires_in, scope, ...rest } = body;
  const tokens: TokenSet = { accessToken: access_token, raw: rest };
  if (refresh_token !== undefined) tokens.refreshToken = refresh_token;
  if (expires_in !== undefined) tokens.expiresAt = new Date(now + expires_in * 1000).toISOString();
  if (scope !== undefined) tokens.scopes = scope.split(' ').filter(Boolean);
  return tokens;
}

/**
 * The `authorization_code` grant (RFC 6749 section 4.1.3, with RFC 7636's `code_verifier` when the
 * authorize request carried a challenge), HTTP Basic client authentication unless the provider
 * documents another. The answer is read as a plain token answer: an `id_token` some providers add
 * is not needed and is dropped, never checked or stored.
 */
export async function authorizationCodeGrant(
  ctx: AdapterContext,
  settings: OAuthClientSettings,
  request: { code: string; redirectUri: string; codeVerifier: string | undefined },
  classify: ClassifyAnswer,
  options: { clientAuth?: oauth.ClientAuth; additionalParameters?: Record<string, string> } = {},
): Promise<TokenSet> {
  const client: oauth.Client = { client_id: settings.clientId };
  const parameters = new URLSearchParams(options.additionalParameters);
  parameters.set('code', request.code);
  parameters.set('redirect_uri', request.redirectUri);
  if (request.codeVerifier !== undefined) parameters.set('code_verifier', request.codeVerifier);
  const response = await send(() =>
    oauth.genericTokenEndpointRequest(settings.server, client, options.clientAuth ?? oauth.ClientSecretBasic(settings.clientSecret), 'authorization_code', parameters, requestOptions(ctx, settings.server.token_endpoint!)),
  );
  if (response.status !== 200) throw await providerErrorOf(response, 'token', classify);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'permanent', reason: `token endpoint answered 200 with a body that is not JSON (${error instanceof Error ? error.message : String(error)})`, status: 200 }, { cause: error });
  }
  const answer = body as Partial<oauth.TokenEndpointResponse> | null;
  if (answer === null || typeof answer !== 'object' || typeof answer.access_token !== 'string' || answer.access_token === '') {
    throw new ProviderError({ errorClass: 'permanent', reason: 'token endpoint answered 200 without an access_token', status: 200 });
  }
  return tokenSetFrom(answer as oauth.TokenEndpointResponse, ctx.now());
}
