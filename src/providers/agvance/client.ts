/**
 * Agvance (SSI) on the wire: the Agvance Web API hosts per environment, the login that trades the
 * API key, database id, user name and password for a session id, the session and key headers of
 * every later call, the `{ Status, Message }` envelope, and how Agvance's answers map to error
 * classes. The only file that knows Agvance's URLs.
 *
 * Public material stops at the hosts, the envelope and some method names (providers.md 11.1, 11.2
 * and 11.9: "Login call, header names, GET field/boundary methods, session expiry, paging" are
 * gaps). Everything marked [I] follows the ASP.NET Web API conventions the help pages show
 * (`{Controller}/{Action}` routes, PascalCase JSON), and the emulator serves exactly the same.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, httpResultOf } from '../provider-http.js';
import type { AdapterContext, Environment, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** Agvance's hosts: production and the development host of the help pages (providers.md 11.2). */
export const AGVANCE_HOSTS = {
  api: { PRODUCTION: 'https://api.agvance.net', STAGE: 'https://apidev.agvance.net' },
} as const satisfies Record<string, HostUrls>;

/** [I] The login: controller `Login`, action `Login`, as ASP.NET Web API names routes (providers.md 11.2). */
export const AGVANCE_LOGIN_PATH = '/Login/Login';
/** `GET Customer – GetCustomer()` of the help pages (providers.md 11.3); validation reads it. */
export const AGVANCE_CUSTOMERS_PATH = '/Customer/GetCustomer';

/** [I] Header names: the key on every call, the session on every call after the login. */
export const AGVANCE_API_KEY_HEADER = 'ApiKey';
export const AGVANCE_SESSION_HEADER = 'SessionID';

/**
 * [I] How long a session lives. Agvance publishes no number (providers.md 11.9); an ASP.NET
 * session's default timeout is 20 minutes, so the adapter treats the session as dead by then and
 * logs in again before.
 */
export const AGVANCE_SESSION_SECONDS = 20 * 60;

/**
 * The envelope's `Status` (providers.md 11.2, verbatim from the help pages): "0 = Success. 1 = An
 * error occurred. 2 = An error occurred. 3 = Descriptive message, process was successful."
 */
export const AGVANCE_STATUS = { success: 0, error: 1, otherError: 2, successWithMessage: 3 } as const;

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface AgvanceCredentialFields {
  apiKey: string;
  databaseId: string;
  username: string;
  password: string;
  clientEnvironment?: Environment;
}

/** The login request body, [I] in the PascalCase of the documented models (`ClsFieldPut`, providers.md 11.3). */
export function agvanceLoginBody(fields: Pick<AgvanceCredentialFields, 'databaseId' | 'username' | 'password'>): { DatabaseID: string; UserName: string; Password: string } {
  return { DatabaseID: fields.databaseId, UserName: fields.username, Password: fields.password };
}

/** A customer (grower) as `GetCustomer` lists it; [I] the member names beyond `Name`. */
export interface AgvanceCustomer {
  CustomerGuid: string;
  Name: string;
}

/**
 * Logs in and returns the session as a token set: the session id as the access token, with its
 * [I] 20-minute lifetime. There is no refresh token; the next refresh logs in again.
 */
export async function agvanceLogin(credential: ProviderCredential<AgvanceCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const url = `${ctx.baseUrl(AGVANCE_HOSTS.api)}${AGVANCE_LOGIN_PATH}`;
  const response = await callProvider(ctx, url, {
    method: 'POST',
    headers: { [AGVANCE_API_KEY_HEADER]: credential.fields.apiKey, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(agvanceLoginBody(credential.fields)),
  });
  const envelope = await readEnvelope(response, 'token', url);
  const sessionId = envelope['SessionID'];
  if (typeof sessionId !== 'string' || sessionId === '') {
    throw new ProviderError({ errorClass: 'permanent', reason: `the Agvance login answered Status ${String(envelope['Status'])} without a SessionID`, status: response.status });
  }
  return { accessToken: sessionId, expiresAt: new Date(ctx.now() + AGVANCE_SESSION_SECONDS * 1000).toISOString(), raw: {} };
}

/** The customers (growers) the API user may see; the API security may hide some (providers.md 11.1). */
export async function listAgvanceCustomers(ctx: AdapterContext, auth: { apiKey: string; sessionId: string }): Promise<AgvanceCustomer[]> {
  const url = `${ctx.baseUrl(AGVANCE_HOSTS.api)}${AGVANCE_CUSTOMERS_PATH}`;
  const response = await callProvider(ctx, url, { headers: { [AGVANCE_API_KEY_HEADER]: auth.apiKey, [AGVANCE_SESSION_HEADER]: auth.sessionId, Accept: 'application/json' } });
  const envelope = await readEnvelope(response, 'api', url);
  const customers = envelope['Customers'];
  if (!Array.isArray(customers)) throw new ProviderError({ errorClass: 'permanent', reason: `expected { Status, Message, Customers: [...] } from ${url}`, status: response.status });
  return customers as AgvanceCustomer[];
}

/**
 * Agvance's answers as error classes:
 * - the login's 401 (wrong key, user, password or database, or an API user the administrator
 *   deactivated): `auth_revoked`, since only a person can fix it; a login 403 (the API user has no
 *   API access) `forbidden_scope`;
 * - a data call's 401 (session expired or unknown): `auth_expired`, so the caller logs in again
 *   once; a 403 (the API user's security hides the area, providers.md 11.1) `forbidden_scope`;
 * - 429 `rate_limited` and 5xx `retry_later`, with `Retry-After` when sent;
 * - [I] a 200 whose envelope says `Status` 1 or 2: `permanent`, with Agvance's `Message`.
 */
export function classifyAgvanceError(result: HttpResult): ErrorClassification | undefined {
  const envelope = envelopeOf(result.body);
  const message = typeof envelope?.['Message'] === 'string' ? envelope['Message'].slice(0, 300) : undefined;
  const base = classifyHttpError(result);
  if (base === undefined) {
    const status = envelope?.['Status'];
    if (status === AGVANCE_STATUS.error || status === AGVANCE_STATUS.otherError) {
      return { errorClass: 'permanent', reason: `Agvance answered ${result.status} with Status ${status}${message === undefined ? '' : `: ${message}`}` };
    }
    return undefined;
  }
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'token' && result.status === 403) return { errorClass: 'forbidden_scope', reason };
  return { ...base, reason };
}

/** The Agvance adapter: a login per refresh, a customer list to prove the session reads data. */
export const agvanceAdapter: ProviderAdapter<AgvanceCredentialFields> = {
  async validate(credential, ctx) {
    const session = await agvanceLogin(credential, ctx);
    // The customer list shows the session reads data and the API user's security allows it.
    await listAgvanceCustomers(ctx, { apiKey: credential.fields.apiKey, sessionId: session.accessToken });
    return session;
  },
  // A session cannot be renewed, only replaced: "refresh" logs in again, which also proves the
  // password and the API key still work, as a refresh grant proves an OAuth grant.
  refresh: agvanceLogin,
  classifyError: classifyAgvanceError,
};

/** The envelope of an answer, or a `ProviderError` classified by `classifyAgvanceError`. */
async function readEnvelope(response: Response, purpose: HttpResult['purpose'], url: string): Promise<Record<string, unknown>> {
  const result = await httpResultOf(response, purpose);
  const failure = classifyAgvanceError(result);
  if (failure !== undefined) throw new ProviderError({ ...failure, status: result.status });
  const envelope = envelopeOf(result.body);
  if (envelope === undefined) {
    // A body cut off or garbled on the way: the next attempt may read it whole.
    throw new ProviderError({ errorClass: 'retry_later', reason: `expected a JSON { Status, Message } envelope from ${url}; found ${JSON.stringify(result.body.slice(0, 100))}`, status: result.status });
  }
  return envelope;
}

function envelopeOf(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
