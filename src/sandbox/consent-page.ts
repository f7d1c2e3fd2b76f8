/**
 * The authorize step every OAuth emulator shares (RFC 6749 section 4.1.1-4.1.2, RFC 7636): check the
 * request, show a consent page a person (or a headless browser) can click through, and answer the
 * decision with a redirect carrying `code` and `state`, or `error=access_denied`.
 */

/** The authorize parameters, as strings (absent ones `undefined`). */
export interface AuthorizeParameters {
  client_id?: string | undefined;
  redirect_uri?: string | undefined;
  response_type?: string | undefined;
  scope?: string | undefined;
  state?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
  [name: string]: string | undefined;
}

/** A checked authorize request, or how to refuse it. */
export type AuthorizeCheck<Account> =
  | { ok: true; account: Account; redirectUri: string; scopes: readonly string[]; state: string | undefined; codeChallenge: string | undefined }
  /** RFC 6749 section 4.1.2.1: with an unknown client or a bad redirect URI, tell the person, never redirect. */
  | { ok: false; show: string }
  /** Every other error goes back to the client as a redirect. */
  | { ok: false; redirect: string };

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/; // BASE64URL of a SHA-256 digest, RFC 7636 section 4.2

/** Checks an authorize request against the account its `client_id` names and the scopes the provider knows. */
export function checkAuthorizeRequest<Account>(
  params: AuthorizeParameters,
  options: { findAccount(clientId: string): Account | undefined; knownScopes: readonly string[]; defaultScopes: readonly string[]; requireParameters?: readonly string[] | undefined },
): AuthorizeCheck<Account> {
  const account = params.client_id === undefined ? undefined : options.findAccount(params.client_id);
  if (account === undefined) return { ok: false, show: `No sandbox account has client_id "${params.client_id ?? ''}". Create one with POST /sandbox/api/accounts and use its client id.` };
  const redirectUri = params.redirect_uri;
  if (redirectUri === undefined || !isRedirectUri(redirectUri)) {
    return { ok: false, show: `Expected redirect_uri to be an absolute http or https URL without a fragment (RFC 6749 section 3.1.2); found "${redirectUri ?? ''}".` };
  }
  const refuse = (error: string, description: string): AuthorizeCheck<Account> => ({
    ok: false,
    redirect: withParameters(redirectUri, { error, error_description: description, state: params.state }),
  });
  if (params.response_type !== 'code') return refuse('unsupported_response_type', `Expected response_type=code; found "${params.response_type ?? ''}".`);
  for (const name of options.requireParameters ?? []) {
    if (params[name] === undefined) return refuse('invalid_request', `The parameter ${name} is required.`);
  }
  // RFC 7636 section 4.3: the method defaults to "plain", which the sandbox refuses, as Okta does.
  if (params.code_challenge !== undefined || params.code_challenge_method !== undefined) {
    if (params.code_challenge_method !== 'S256') return refuse('invalid_request', 'Only code_challenge_method=S256 is supported.');
    if (params.code_challenge === undefined || !CODE_CHALLENGE.test(params.code_challenge)) return refuse('invalid_request', 'Expected code_challenge to be 43 base64url characters (SHA-256 of the verifier).');
  }
  const requested = (params.scope ?? '').split(' ').filter(Boolean);
  const unknown = requested.filter((scope) => !options.knownScopes.includes(scope));
  if (unknown.length > 0) return refuse('invalid_scope', `Unknown scope ${unknown.join(', ')}; known scopes: ${options.knownScopes.join(' ')}.`);
  return { ok: true, account, redirectUri, scopes: requested.length > 0 ? requested : options.defaultScopes, state: params.state, codeChallenge: params.code_challenge };
}

/** `uri` with the parameters added to its query (absent values left out). */
export function withParameters(uri: string, parameters: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/** The consent page: who asks, for which grower and scopes, and two buttons posting the request back. */
export function renderConsentPage(page: { providerName: string; clientId: string; growerName: string; growerEmail: string; scopes: readonly string[]; params: AuthorizeParameters }): string {
  const hidden = Object.entries(page.params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const scopes = page.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  return layout(
    `${page.providerName} (sandbox): allow access?`,
    `<p>Signed in as <strong>${escapeHtml(page.growerName)}</strong> (${escapeHtml(page.growerEmail)}).</p>
    <p>The application <code>${escapeHtml(page.clientId)}</code> asks for:</p>
    <ul>${scopes}</ul>
    <form method="post">
      ${hidden}
      <button type="submit" name="decision" value="approve" id="approve">Approve</button>
      <button type="submit" name="decision" value="deny" id="deny">Deny</button>
    </form>`,
  );
}

/** A page explaining why the sandbox cannot go on (nothing to redirect to). */
export function renderErrorPage(providerName: string, message: string): string {
  return layout(`${providerName} (sandbox): cannot authorize`, `<p>${escapeHtml(message)}</p>`);
}

/** Headers of every sandbox page: no scripts, no framing. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style>
</head>
<body>
  <h1>${escapeHtml(title)}</h1>
  <p><em>Furrow sandbox: an emulated provider with made-up data.</em></p>
  ${body}
</body>
</html>
`;
}

function isRedirectUri(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hash === '' && !value.includes('#');
  } catch {
    return false;
  }
}

/** Text safe inside HTML elements and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
