/**
 * Exchanges with providers go to the credential events log (SPEC section 5: "secrets redacted",
 * leaf-api.md 3.1 `/events`), so every token, client secret, key, password, signature and code
 * verifier is replaced before anything stores or logs them. Two nets, because either alone leaks:
 * by name (headers, query parameters, form and JSON properties, XML elements whose name says
 * secret) and by value (every known secret of the credential, wherever it appears).
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** One request and its answer (or the error that stopped it). Header names are lower case. */
export interface Exchange {
  /** ISO-8601 UTC. */
  startedAt: string;
  durationMs: number;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body?: string };
  /** Why no response arrived (timeout, DNS, connection reset). */
  error?: string;
}

// Names compared lower case without separators: `refresh_token`, `X-SS-AccessKey`, `REFRESH_TOKEN`
// and `refreshToken` all become one word.
const SECRET_NAME_PARTS = [
  'token', // access_token, refresh_token, id_token, authToken, X_access_token, Cognito AccessToken, Deere event `token`
  'secret', // client_secret, sharedSecret, Cognito SECRET_HASH
  'password',
  'passwd',
  'apikey', // X-Api-Key (Climate), X-SS-APIKey (Slingshot), Stara apiKey
  'accesskey', // X-SS-AccessKey (Slingshot)
  'privatekey', // AgLeader
  'subscriptionkey', // Ocp-Apim-Subscription-Key (CNH)
  'codeverifier', // PKCE, RFC 7636
  'sessionid', // Agvance
  'signature', // X-SS-Signature
  'authorization',
  'cookie',
  'assertion', // client_assertion, RFC 7523
];
// Not `key` (Deere's `metadata: [{ key, value }]`) nor `code` (Deere's and Climate's error codes):
// those names are everywhere. An authorization code is redacted where it travels, below.
const SECRET_NAMES = ['pwd', 'session']; // Stara's login form `pwd`
const HARMLESS_NAMES = ['tokentype', 'tokentypehint'];

/**
 * The OAuth authorization code (RFC 6749 section 4.1.3): a form or query parameter, or a JSON
 * property beside `grant_type` (Sentera's JSON token requests, providers.md 10.1).
 */
const AUTHORIZATION_CODE = 'code';

/** True when a header, parameter or property of this name carries a secret. */
export function isSecretName(name: string): boolean {
  const word = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (HARMLESS_NAMES.includes(word)) return false;
  return SECRET_NAMES.includes(word) || SECRET_NAME_PARTS.some((part) => word.includes(part));
}

/**
 * [I] Values shorter than this are not searched for by value: replacing every "abc" would wreck the
 * log. Such short secrets are still caught by name.
 */
const MIN_VALUE_LENGTH = 4;

/** The exchange with every secret replaced by `[redacted]`; the input is not changed. */
export function redactExchange(exchange: Exchange, options: { secretValues?: readonly string[] } = {}): Exchange {
  const byValue = valueRedactor(options.secretValues ?? []);
  const redacted: Exchange = {
    ...exchange,
    request: {
      method: exchange.request.method,
      url: byValue(redactUrl(exchange.request.url)),
      headers: redactHeaders(exchange.request.headers, byValue),
      ...(exchange.request.body === undefined ? {} : { body: byValue(redactBody(exchange.request.body, exchange.request.headers['content-type'])) }),
    },
  };
  if (exchange.response !== undefined) {
    redacted.response = {
      status: exchange.response.status,
      headers: redactHeaders(exchange.response.headers, byValue),
      ...(exchange.response.body === undefined ? {} : { body: byValue(redactBody(exchange.response.body, exchange.response.headers['content-type'])) }),
    };
  }
  if (exchange.error !== undefined) redacted.error = byValue(exchange.error);
  return redacted;
}

function valueRedactor(secretValues: readonly string[]): (text: string) => string {
  // Each value also as it appears percent-encoded in URLs and form bodies; longest first, so a
  // secret containing another is replaced whole.
  const needles = [...new Set(secretValues.filter((v) => v.length >= MIN_VALUE_LENGTH).flatMap((v) => [v, encodeURIComponent(v), formEncode(v)]))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => needles.reduce((acc, needle) => acc.split(needle).join(REDACTED), text);
}

function redactHeaders(headers: Record<string, string>, byValue: (text: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretName(name) ? REDACTED : byValue(value)]));
}

function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  let base = queryAt === -1 ? url : url.slice(0, queryAt);
  // user:password@host
  base = base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${REDACTED}@`);
  return queryAt === -1 ? base : `${base}?${redactForm(url.slice(queryAt + 1))}`;
}

function redactBody(body: string, contentType: string | undefined): string {
  const type = (contentType ?? '').toLowerCase();
  const trimmed = body.trim();
  if (type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactJson(JSON.parse(body)));
    } catch {
      return redactLooseText(body); // truncated or not JSON after all
    }
  }
  if (type.includes('x-www-form-urlencoded') || (type === '' && /^[^=&\s]+=[^&\s]*(&[^=&\s]+=[^&\s]*)*$/.test(trimmed))) return redactForm(body);
  return redactLooseText(body);
}

function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    const tokenRequest = 'grant_type' in value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, isSecretName(key) || (tokenRequest && key === AUTHORIZATION_CODE) ? REDACTED : redactJson(inner)]),
    );
  }
  return value;
}

/** `a=1&client_secret=x` -> `a=1&client_secret=[redacted]`, keeping the other pairs byte for byte. */
function redactForm(form: string): string {
  return form
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const rawName = pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: judge the raw name
      }
      return isSecretName(name) || name === AUTHORIZATION_CODE ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
}

/**
 * Text that is neither JSON nor a form (XML from Slingshot, a JSON body cut at the size limit):
 * redact `"name": "value"` pairs and `<name>value</name>` elements whose name says secret.
 */
function redactLooseText(text: string): string {
  return text
    .replace(/"([^"\\]{1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (match, name: string, colon: string) => (isSecretName(name) ? `"${name}"${colon}"${REDACTED}"` : match))
    .replace(/<([A-Za-z_][\w.-]{0,100})(\s[^>]*)?>([^<]*)<\/\1>/g, (match, name: string, attributes: string | undefined) =>
      isSecretName(name) ? `<${name}${attributes ?? ''}>${REDACTED}</${name}>` : match,
    );
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
