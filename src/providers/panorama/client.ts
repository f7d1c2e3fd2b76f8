/**
 * Precision Planting Panorama on the wire: AWS Cognito's `InitiateAuth` (JSON RPC over
 * `x-amz-json-1.1`) for the partner's tokens, Cognito's `__type` errors, the partner API's
 * operations, and the grower-facing share page of the one-click flow. The only file that knows
 * Panorama's URLs.
 *
 * Cognito's protocol is AWS's own and documented (providers.md 12.1). Panorama's API is not public
 * ("You will also be given access to the Panorama Partner Portal where you can find API
 * documentation", providers.md 12.2): its host, paths and bodies below are [I], and the emulator
 * serves exactly the same.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, httpResultOf, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, Environment, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** Panorama's hosts. Every `sandboxPath` is set: all three serve from `/` and would collide in the sandbox. */
export const PANORAMA_HOSTS = {
  /**
   * Cognito's regional user-pool endpoint (providers.md 12.1). [I] us-east-1: the region is not
   * published. One endpoint for both environments: the app client id names the user pool.
   */
  cognito: { PRODUCTION: 'https://cognito-idp.us-east-1.amazonaws.com', STAGE: 'https://cognito-idp.us-east-1.amazonaws.com', sandboxPath: '/cognito-idp' },
  /** [I] The partner API, on the environments' domains: `panorama.ag`, STAGE `bananorama.com` (providers.md 12.1). */
  api: { PRODUCTION: 'https://api.panorama.ag', STAGE: 'https://api.bananorama.com', sandboxPath: '/api' },
  /** The grower-facing site, where the Share Initiation URL leads ([I] its path, providers.md 12.1). */
  web: { PRODUCTION: 'https://panorama.ag', STAGE: 'https://bananorama.com', sandboxPath: '/web' },
} as const satisfies Record<string, HostUrls>;

/** AWS JSON 1.1 (providers.md 12.1): the content type and the target header of `InitiateAuth`. */
export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';
export const INITIATE_AUTH_TARGET = 'AWSCognitoIdentityProviderService.InitiateAuth';

/** [I] The partner API's operations ("what Panorama calls an operation is equivalent to an organization", providers.md 12.1). */
export const OPERATIONS_PATH = '/v1/operations';
/** [I] The Share Initiation URL: "the UUID contained in the Share Initiation URL" is the `sharingUrlId` (leaf-api.md 3.3). */
export const SHARING_PATH = '/sharing';

/** The flows Furrow uses; Cognito has more (SRP, custom auth), which need a person or a Lambda. */
export type CognitoAuthFlow = 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH';

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface PanoramaCredentialFields {
  clientId: string;
  username: string;
  password: string;
  organizationCode: string;
  /** Absent when the one-click flow connects: the adapter then logs in with the partner's password. */
  refreshToken?: string;
  clientEnvironment?: Environment;
}

/** An operation as the partner API answers it ([I] shape). */
export interface PanoramaOperation {
  organizationCode: string;
  name: string;
}

/**
 * The `InitiateAuth` request of AWS's API reference (providers.md 12.1): `POST /` with the JSON 1.1
 * content type and the target header, the flow, the app client id and the flow's parameters. No
 * `SECRET_HASH`: Leaf's body carries no client secret, so the app client is a public one.
 */
export function initiateAuthRequest(flow: CognitoAuthFlow, clientId: string, parameters: Record<string, string>): { headers: Record<string, string>; body: string } {
  return {
    headers: { 'Content-Type': AMZ_JSON_1_1, 'X-Amz-Target': INITIATE_AUTH_TARGET },
    body: JSON.stringify({ AuthFlow: flow, ClientId: clientId, AuthParameters: parameters }),
  };
}

/**
 * The error type of an AWS JSON answer, sanitized as Smithy's AWS protocols require of clients
 * ("If a `:` character is present, then take only the contents before the first `:` ... If a `#`
 * character is present, then take only the contents after the first `#`"), read from the
 * `X-Amzn-ErrorType` header, else the body's `code`, else its `__type`, in the order of AWS's own
 * Cognito client (aws-amplify `clients/serde/json.ts`, `parseJsonError`).
 */
export function awsErrorType(result: Pick<HttpResult, 'headers' | 'body'>): { type: string; message: string | undefined } | undefined {
  const body = jsonObjectOf(result.body);
  const raw = result.headers['x-amzn-errortype'] ?? stringOf(body?.['code']) ?? stringOf(body?.['__type']);
  const message = stringOf(body?.['message']) ?? stringOf(body?.['Message']);
  if (raw === undefined) return undefined;
  let type = raw;
  if (type.includes(':')) type = type.slice(0, type.indexOf(':'));
  if (type.includes('#')) type = type.slice(type.indexOf('#') + 1);
  return type === '' ? undefined : { type, message };
}

/**
 * Cognito's error types by class. `NotAuthorizedException` covers "Incorrect username or
 * password.", "Refresh Token has expired", "Refresh Token has been revoked" and "User is
 * disabled." (providers.md 0.3 and 12.1); like the rest of this list only a person fixes it.
 */
const COGNITO_REFUSALS = ['NotAuthorizedException', 'UserNotFoundException', 'UserNotConfirmedException', 'PasswordResetRequiredException', 'ResourceNotFoundException'];
const COGNITO_THROTTLES = ['TooManyRequestsException', 'ThrottlingException'];
const COGNITO_OUTAGES = ['InternalErrorException', 'ServiceUnavailableException', 'UnexpectedLambdaException'];

/** Cognito's message for a refresh token past its lifetime, the one refusal the partner's password can mend. */
export const REFRESH_TOKEN_EXPIRED = 'Refresh Token has expired';

/** [I] The partner API's code for an operation the grower has not shared with the partner app. */
export const OPERATION_NOT_SHARED = 'OPERATION_NOT_SHARED';

/**
 * Panorama's answers as error classes:
 * - Cognito (purpose `token`) by its `__type`, whatever the HTTP status: the refusals above are
 *   `auth_revoked`; throttling `rate_limited`; internal errors `retry_later`;
 *   `InvalidParameterException` (e.g. the flow is not enabled on the app client) `permanent`;
 * - the partner API as API Gateway answers ([I]): 401 `auth_expired`; 403 with
 *   `OPERATION_NOT_SHARED` `org_not_connected` (the grower has not shared the operation), any
 *   other 403 `forbidden_scope`; 404 `not_found`; 429 `rate_limited`; 5xx `retry_later`.
 */
export function classifyPanoramaError(result: HttpResult): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (result.purpose === 'token') {
    if (result.status < 400) return undefined;
    const error = awsErrorType(result);
    if (error === undefined) return base;
    const reason = `Cognito answered ${result.status} ${error.type}${error.message === undefined ? '' : `: ${error.message.slice(0, 300)}`}`;
    if (COGNITO_REFUSALS.includes(error.type)) return { errorClass: 'auth_revoked', reason };
    if (COGNITO_THROTTLES.includes(error.type)) return { ...base, errorClass: 'rate_limited', reason };
    if (COGNITO_OUTAGES.includes(error.type)) return { ...base, errorClass: 'retry_later', reason };
    return { errorClass: base?.errorClass === 'retry_later' || base?.errorClass === 'rate_limited' ? base.errorClass : 'permanent', reason };
  }
  if (base === undefined) return undefined;
  const body = jsonObjectOf(result.body);
  const message = stringOf(body?.['message']);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message.slice(0, 300)}`;
  if (result.status === 403) return { errorClass: body?.['code'] === OPERATION_NOT_SHARED ? 'org_not_connected' : 'forbidden_scope', reason };
  return { ...base, reason };
}

/**
 * One `InitiateAuth` call as a token set: the access token with `ExpiresIn`, and the refresh token
 * when Cognito sends one (password logins; refreshes only where the pool rotates them, providers.md
 * 12.1). The id token is dropped: Furrow calls the API with the access token and never stores more
 * secrets than it uses.
 */
export async function initiateAuth(ctx: AdapterContext, flow: CognitoAuthFlow, clientId: string, parameters: Record<string, string>): Promise<TokenSet> {
  const { headers, body } = initiateAuthRequest(flow, clientId, parameters);
  const response = await callProvider(ctx, `${ctx.baseUrl(PANORAMA_HOSTS.cognito)}/`, { method: 'POST', headers, body });
  const result = await httpResultOf(response, 'token');
  const failure = classifyPanoramaError(result);
  if (failure !== undefined) throw new CognitoError({ ...failure, status: result.status }, awsErrorType(result)?.message);
  return tokenSetOfAuthentication(jsonObjectOf(result.body), ctx.now());
}

/** `InitiateAuth`'s answer as a token set, or the reason it has none (a challenge, or no tokens). */
export function tokenSetOfAuthentication(answer: Record<string, unknown> | undefined, now: number): TokenSet {
  const challenge = stringOf(answer?.['ChallengeName']);
  if (challenge !== undefined) {
    // NEW_PASSWORD_REQUIRED, SMS_MFA, SOFTWARE_TOKEN_MFA...: a person must answer it in Panorama.
    throw new ProviderError({ errorClass: 'auth_revoked', reason: `Cognito asks for the ${challenge} challenge; the partner must sign in to Panorama once and complete it`, status: 200 });
  }
  const result = answer?.['AuthenticationResult'];
  const fields = result !== null && typeof result === 'object' ? (result as Record<string, unknown>) : {};
  const accessToken = stringOf(fields['AccessToken']);
  if (accessToken === undefined) {
    // A cut or garbled body: the next attempt may read it whole (Cognito's refresh token is not rotated).
    throw new ProviderError({ errorClass: 'retry_later', reason: 'Cognito answered 200 without AuthenticationResult.AccessToken', status: 200 });
  }
  const tokens: TokenSet = { accessToken, raw: { tokenType: stringOf(fields['TokenType']) ?? 'Bearer' } };
  const refreshToken = stringOf(fields['RefreshToken']);
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken;
  const expiresIn = fields['ExpiresIn'];
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn)) tokens.expiresAt = new Date(now + expiresIn * 1000).toISOString();
  return tokens;
}

/** The partner's password login (`USER_PASSWORD_AUTH`): new access, id and refresh tokens. */
export function panoramaPasswordLogin(ctx: AdapterContext, fields: Pick<PanoramaCredentialFields, 'clientId' | 'username' | 'password'>): Promise<TokenSet> {
  return initiateAuth(ctx, 'USER_PASSWORD_AUTH', fields.clientId, { USERNAME: fields.username, PASSWORD: fields.password });
}

/**
 * New tokens for a credential: `REFRESH_TOKEN_AUTH` with the latest refresh token. [I] When Cognito
 * says the refresh token has expired (30 days by default), the partner's password is why Leaf
 * stores it: log in again and carry on with the new refresh token. A revoked refresh token is not
 * mended that way: someone revoked it on purpose. Without any refresh token (one-click), log in.
 */
export async function refreshPanoramaTokens(credential: ProviderCredential<PanoramaCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const refreshToken = credential.tokens?.refreshToken ?? credential.fields.refreshToken;
  if (refreshToken === undefined) return panoramaPasswordLogin(ctx, credential.fields);
  try {
    return await initiateAuth(ctx, 'REFRESH_TOKEN_AUTH', credential.fields.clientId, { REFRESH_TOKEN: refreshToken });
  } catch (error) {
    if (error instanceof CognitoError && error.errorClass === 'auth_revoked' && error.cognitoMessage === REFRESH_TOKEN_EXPIRED) return panoramaPasswordLogin(ctx, credential.fields);
    throw error;
  }
}

/** The operation of an organization code, which answers only once the grower shared it with the partner app. */
export async function getPanoramaOperation(ctx: AdapterContext, accessToken: string, organizationCode: string): Promise<PanoramaOperation> {
  const url = `${ctx.baseUrl(PANORAMA_HOSTS.api)}${OPERATIONS_PATH}/${encodeURIComponent(organizationCode)}`;
  const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyPanoramaError);
  let body: Record<string, unknown> | undefined;
  try {
    body = jsonObjectOf(await response.text());
  } catch {
    body = undefined;
  }
  const code = stringOf(body?.['organizationCode']);
  if (code === undefined) throw new ProviderError({ errorClass: 'retry_later', reason: `expected { organizationCode, name } from ${url}`, status: response.status });
  return { organizationCode: code, name: stringOf(body?.['name']) ?? '' };
}

/**
 * The Share Initiation URL the grower opens in the one-click flow. `state` and `redirect_uri`
 * are Furrow's additions [I]: Panorama sends the grower on to the Sharing Confirmation URL set in
 * its Partner Portal (leaf-api.md 3.3), and, we assume, hands `state` back; the sandbox also honours
 * `redirect_uri`, since it has no portal.
 */
export function panoramaShareUrl(baseUrl: (urls: HostUrls) => string, request: { sharingUrlId: string; state: string; callbackUrl: string }): string {
  const url = new URL(`${baseUrl(PANORAMA_HOSTS.web)}${SHARING_PATH}/${encodeURIComponent(request.sharingUrlId)}`);
  url.searchParams.set('state', request.state);
  url.searchParams.set('redirect_uri', request.callbackUrl);
  return url.toString();
}

/** Leaf's one-click start body (leaf-api.md 3.3): the partner's credentials and the Share Initiation URL's id. */
export interface PanoramaOneClickStart {
  clientId: string;
  username: string;
  password: string;
  sharingUrlId: string;
  clientEnvironment?: Environment;
}

/**
 * The credential body once the grower shared an operation: the partner's credentials from the
 * start, and the `organizationCode` Panorama adds on the way back ([I] the parameter's name, as
 * Leaf's manual body calls it). No refresh token: the adapter logs in with the password.
 */
export function panoramaOneClickCredentialBody(start: PanoramaOneClickStart, callback: Readonly<Record<string, string>>): { body: Omit<PanoramaCredentialFields, 'refreshToken'> } | { missing: string } {
  const organizationCode = callback['organizationCode'];
  if (organizationCode === undefined || organizationCode === '') return { missing: 'organizationCode' };
  const body: Omit<PanoramaCredentialFields, 'refreshToken'> = { clientId: start.clientId, username: start.username, password: start.password, organizationCode };
  if (start.clientEnvironment !== undefined) body.clientEnvironment = start.clientEnvironment;
  return { body };
}

/** The Panorama adapter. */
export const panoramaAdapter: ProviderAdapter<PanoramaCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshPanoramaTokens(credential, ctx);
    try {
      // The grower's operation answers only once it is shared with the partner app (providers.md 12.1).
      await getPanoramaOperation(ctx, tokens.accessToken, credential.fields.organizationCode);
    } catch (error) {
      // A password login issued a refresh token before the failure: hand it over with the error.
      throw tokens.refreshToken === undefined ? error : withTokens(error, tokens);
    }
    return tokens;
  },
  refresh: refreshPanoramaTokens,
  classifyError: classifyPanoramaError,
};

/** A Cognito refusal with Cognito's own message, which tells an expired refresh token from a revoked one. */
export class CognitoError extends ProviderError {
  readonly cognitoMessage: string | undefined;
  constructor(classification: ErrorClassification & { status?: number }, cognitoMessage: string | undefined) {
    super(classification);
    this.cognitoMessage = cognitoMessage;
  }
}

function withTokens(error: unknown, tokens: TokenSet): unknown {
  if (!(error instanceof ProviderError)) return error;
  const classification: ErrorClassification & { status?: number } = { errorClass: error.errorClass, reason: error.reason };
  if (error.status !== undefined) classification.status = error.status;
  if (error.retryAfterMs !== undefined) classification.retryAfterMs = error.retryAfterMs;
  return new ProviderError(classification, { cause: error, tokens });
}

function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
