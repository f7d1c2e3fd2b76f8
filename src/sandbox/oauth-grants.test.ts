import { describe, expect, it } from 'vitest';
import type { OAuthPolicy } from '../providers/provider-emulator.js';
import { GrantBook, pkceS256, type GrantBookOutcome } from './oauth-grants.js';

const HOUR = 3_600_000;
const ROTATING: OAuthPolicy = { accessTokenSeconds: 4 * 3600, refreshTokenSeconds: 30 * 24 * 3600, refreshTokenLifetime: 'fixed', rotation: { graceSeconds: 3600 }, scopes: ['fields:read', 'asPlanted:read'], essentialScope: 'fields:read' };
const STEADY: OAuthPolicy = { accessTokenSeconds: 12 * 3600, refreshTokenSeconds: 365 * 24 * 3600, refreshTokenLifetime: 'sliding', scopes: ['ag1', 'ag2'], essentialScope: 'ag1' };

function book(policy: OAuthPolicy) {
  let now = Date.parse('2026-03-01T00:00:00Z');
  const indexed = new Set<string>();
  const grants = new GrantBook(policy, () => now, { add: (t) => indexed.add(t), remove: (t) => indexed.delete(t) });
  return { grants, indexed, advance: (ms: number) => (now += ms) };
}

function tokensOf(outcome: GrantBookOutcome) {
  if (!outcome.ok) throw new Error(`expected tokens, got ${outcome.error}: ${outcome.description}`);
  return outcome.tokens;
}

describe('refresh tokens that rotate (Climate)', () => {
  it('issues a new refresh token on each redemption and marks the call a refresh', () => {
    const { grants } = book(ROTATING);
    const { refreshToken } = grants.issueGrant(ROTATING.scopes);
    const outcome = grants.redeemRefreshToken(refreshToken, undefined);
    expect(outcome).toMatchObject({ ok: true, refreshed: true });
    const next = tokensOf(outcome);
    expect(next.refreshToken).not.toBe(refreshToken);
    expect(next.expiresIn).toBe(4 * 3600);
    expect(grants.refreshTokens.get(refreshToken)?.state).toBe('rotated');
    expect(tokensOf(grants.redeemRefreshToken(next.refreshToken, undefined)).refreshToken).not.toBe(next.refreshToken);
  });

  it('answers a second redemption inside the grace with the same pair and the time its access token has left', () => {
    const { grants, advance } = book(ROTATING);
    const { refreshToken } = grants.issueGrant(ROTATING.scopes);
    const first = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    advance(HOUR - 1);
    const again = grants.redeemRefreshToken(refreshToken, undefined);
    expect(again).not.toHaveProperty('redeemedTwice');
    expect(tokensOf(again)).toEqual({ ...first, expiresIn: 3 * 3600 + 1 });
  });

  it('refuses the old token once the grace is over, as redeemed twice', () => {
    const { grants, advance } = book(ROTATING);
    const { refreshToken } = grants.issueGrant(ROTATING.scopes);
    grants.redeemRefreshToken(refreshToken, undefined);
    advance(HOUR);
    expect(grants.redeemRefreshToken(refreshToken, undefined)).toMatchObject({ ok: false, error: 'invalid_grant', redeemedTwice: true });
  });

  it('refuses the old token once its successor was redeemed, even inside the grace: that would fork the chain', () => {
    const { grants } = book(ROTATING);
    const { refreshToken } = grants.issueGrant(ROTATING.scopes);
    const next = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    grants.redeemRefreshToken(next.refreshToken, undefined);
    expect(grants.redeemRefreshToken(refreshToken, undefined)).toMatchObject({ ok: false, error: 'invalid_grant', redeemedTwice: true });
  });

  it('lets an unused refresh token die 30 days after issue, without counting it as redeemed twice', () => {
    const { grants, advance } = book(ROTATING);
    const { refreshToken } = grants.issueGrant(ROTATING.scopes);
    advance(30 * 24 * HOUR);
    const outcome = grants.redeemRefreshToken(refreshToken, undefined);
    expect(outcome).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(outcome).not.toHaveProperty('redeemedTwice');
  });

  it('refuses unknown tokens', () => {
    const { grants } = book(ROTATING);
    expect(grants.redeemRefreshToken('sbx_rt_unknown', undefined)).toMatchObject({ ok: false, error: 'invalid_grant', description: 'The refresh token is invalid or expired.' });
  });
});

describe('refresh tokens that do not rotate (John Deere)', () => {
  it('returns the same refresh token with a new access token each time', () => {
    const { grants } = book(STEADY);
    const { refreshToken } = grants.issueGrant(STEADY.scopes);
    const first = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    const second = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    expect([first.refreshToken, second.refreshToken]).toEqual([refreshToken, refreshToken]);
    expect(second.accessToken).not.toBe(first.accessToken);
  });

  it('keeps a sliding lifetime alive while used and lets it lapse after a year idle', () => {
    const { grants, advance } = book(STEADY);
    const { refreshToken } = grants.issueGrant(STEADY.scopes);
    advance(364 * 24 * HOUR);
    expect(grants.redeemRefreshToken(refreshToken, undefined).ok).toBe(true);
    advance(364 * 24 * HOUR);
    expect(grants.redeemRefreshToken(refreshToken, undefined).ok).toBe(true);
    advance(365 * 24 * HOUR);
    expect(grants.redeemRefreshToken(refreshToken, undefined)).toMatchObject({ ok: false, error: 'invalid_grant' });
  });
});

describe('access tokens', () => {
  it('are checked for expiry, revocation and the scope a fault takes away', () => {
    const { grants, advance, indexed } = book(STEADY);
    const { refreshToken } = grants.issueGrant(STEADY.scopes);
    const { accessToken } = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    expect(indexed.has(accessToken)).toBe(true);
    expect(grants.checkAccessToken(accessToken, undefined)).toEqual({ ok: true, scopes: ['ag1', 'ag2'] });
    expect(grants.checkAccessToken(accessToken, 'ag1')).toEqual({ ok: true, scopes: ['ag2'] });
    expect(tokensOf(grants.redeemRefreshToken(refreshToken, 'ag1')).scopes).toEqual(['ag2']);
    advance(12 * HOUR);
    expect(grants.checkAccessToken(accessToken, undefined)).toMatchObject({ ok: false, reason: 'expired' });
    expect(grants.checkAccessToken('nope', undefined)).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('are forgotten (and unindexed) a day after they expire', () => {
    const { grants, advance, indexed } = book(STEADY);
    const { refreshToken } = grants.issueGrant(STEADY.scopes);
    const { accessToken } = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    advance(12 * HOUR + 24 * HOUR + 1);
    grants.redeemRefreshToken(refreshToken, undefined);
    expect(indexed.has(accessToken)).toBe(false);
    expect(grants.checkAccessToken(accessToken, undefined)).toMatchObject({ reason: 'unknown' });
  });
});

describe('revocation', () => {
  it('of a refresh token revokes its grant: refresh tokens and access tokens (RFC 7009 section 2.1)', () => {
    const { grants } = book(ROTATING);
    const { refreshToken } = grants.issueGrant(ROTATING.scopes);
    const next = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    grants.revoke(next.refreshToken);
    expect(grants.redeemRefreshToken(next.refreshToken, undefined)).toMatchObject({ ok: false, error: 'invalid_grant', description: 'The refresh token was revoked.' });
    expect(grants.checkAccessToken(next.accessToken, undefined)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('of an access token leaves the grant alone', () => {
    const { grants } = book(STEADY);
    const { refreshToken } = grants.issueGrant(STEADY.scopes);
    const { accessToken } = tokensOf(grants.redeemRefreshToken(refreshToken, undefined));
    grants.revoke(accessToken);
    expect(grants.checkAccessToken(accessToken, undefined)).toMatchObject({ reason: 'revoked' });
    expect(grants.redeemRefreshToken(refreshToken, undefined).ok).toBe(true);
  });

  it('of everything (the revoke fault) refuses every grant so far', () => {
    const { grants } = book(STEADY);
    const a = grants.issueGrant(STEADY.scopes).refreshToken;
    const b = grants.issueGrant(STEADY.scopes).refreshToken;
    grants.revokeAll();
    expect([grants.redeemRefreshToken(a, undefined).ok, grants.redeemRefreshToken(b, undefined).ok]).toEqual([false, false]);
  });
});

describe('authorization codes', () => {
  const verifier = 'verifier-'.padEnd(50, 'x');

  it('are exchanged once, with the same redirect_uri and the PKCE verifier (RFC 7636 S256)', () => {
    const { grants } = book(STEADY);
    const code = grants.issueCode({ redirectUri: 'https://app.example.com/cb', scopes: ['ag1'], codeChallenge: pkceS256(verifier) });
    expect(grants.redeemCode({ code, redirectUri: 'https://app.example.com/other', codeVerifier: verifier }, undefined)).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(grants.redeemCode({ code, redirectUri: 'https://app.example.com/cb', codeVerifier: undefined }, undefined)).toMatchObject({ ok: false, description: expect.stringContaining('PKCE') });
    expect(grants.redeemCode({ code, redirectUri: 'https://app.example.com/cb', codeVerifier: 'y'.repeat(43) }, undefined)).toMatchObject({ ok: false, description: expect.stringContaining('does not match') });
    const tokens = tokensOf(grants.redeemCode({ code, redirectUri: 'https://app.example.com/cb', codeVerifier: verifier }, undefined));
    expect(tokens.scopes).toEqual(['ag1']);
    // RFC 6749 section 4.1.2: a second use fails and revokes what the first issued.
    expect(grants.redeemCode({ code, redirectUri: 'https://app.example.com/cb', codeVerifier: verifier }, undefined)).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(grants.redeemRefreshToken(tokens.refreshToken, undefined)).toMatchObject({ ok: false, description: 'The refresh token was revoked.' });
  });

  it('expire after ten minutes', () => {
    const { grants, advance } = book(STEADY);
    const code = grants.issueCode({ redirectUri: 'https://app.example.com/cb', scopes: ['ag1'], codeChallenge: undefined });
    advance(600_000);
    expect(grants.redeemCode({ code, redirectUri: 'https://app.example.com/cb', codeVerifier: undefined }, undefined)).toMatchObject({ ok: false, error: 'invalid_grant' });
  });

  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});
