/**
 * The OAuth 2.0 grant state of one sandbox account: authorization codes, refresh tokens with their
 * state, access tokens with their expiry. Provider-agnostic: an emulator's `OAuthPolicy` says the
 * lifetimes and whether refresh tokens rotate; the emulator only puts outcomes on its wire.
 *
 * Refresh-token states: `active` (redeemable); `rotated` (redeemed, a successor issued, and still
 * inside the policy's grace); `redeemed` (dead: past the grace, or its successor already used);
 * `revoked` (RFC 7009, or the `revoke` fault).
 */
import crypto from 'node:crypto';
import type { GrantOutcome, IssuedTokens, OAuthPolicy } from '../providers/provider-emulator.js';

export type RefreshTokenState = 'active' | 'rotated' | 'redeemed' | 'revoked';

/** A refresh token the sandbox issued. */
export interface RefreshTokenRecord {
  token: string;
  grantId: string;
  state: RefreshTokenState;
  issuedAt: number;
  /** Epoch ms; moved on every use when the policy's lifetime is `sliding`. */
  expiresAt: number;
  /** Set on rotation: the time until which a repeated redemption still answers. */
  graceUntil?: number;
  /** When it was redeemed (rotation only). */
  redeemedAt?: number;
  /** The refresh token this one replaced (rotation chain). */
  predecessor?: string;
  /** The pair issued when this token was redeemed (rotation only). */
  successor?: { refreshToken: string; accessToken: string };
}

/** An access token the sandbox issued. */
export interface AccessTokenRecord {
  token: string;
  grantId: string;
  expiresAt: number;
  scopes: readonly string[];
  revoked: boolean;
}

interface AuthorizationCodeRecord {
  redirectUri: string;
  scopes: readonly string[];
  codeChallenge: string | undefined;
  expiresAt: number;
  used: boolean;
  grantId?: string;
}

/** One consent of the grower: the account's starting grant, or one per approved authorize request. */
export interface Grant {
  id: string;
  scopes: readonly string[];
  createdAt: number;
  revoked: boolean;
}

/** A grant outcome, and whether it was a refresh token presented again after it died (stats). */
export type GrantBookOutcome = GrantOutcome & { redeemedTwice?: true; refreshed?: true };

/** Where access tokens are indexed for lookup across accounts. */
export interface AccessTokenIndex {
  add(token: string): void;
  remove(token: string): void;
}

/** RFC 6749 section 4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED." */
export const AUTHORIZATION_CODE_SECONDS = 600;
/** [I] Expired access tokens and codes are forgotten this long after expiry, so memory stays bounded. */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;

const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/; // RFC 7636 section 4.1

/** Random token text. The prefix only helps a person reading logs tell the kinds apart. */
function newToken(prefix: string): string {
  return `${prefix}${crypto.randomBytes(32).toString('base64url')}`;
}

/** RFC 7636 section 4.2: `BASE64URL(SHA256(ASCII(code_verifier)))`. */
export function pkceS256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** All grants of one account, with the policy of its provider. */
export class GrantBook {
  readonly grants = new Map<string, Grant>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly codes = new Map<string, AuthorizationCodeRecord>();

  constructor(
    private readonly policy: OAuthPolicy,
    private readonly now: () => number,
    private readonly index: AccessTokenIndex,
  ) {}

  /** A new grant with a refresh token and no access token yet (what a developer stores after consent). */
  issueGrant(scopes: readonly string[]): { grant: Grant; refreshToken: string } {
    const grant: Grant = { id: crypto.randomUUID(), scopes: [...scopes], createdAt: this.now(), revoked: false };
    this.grants.set(grant.id, grant);
    return { grant, refreshToken: this.issueRefreshToken(grant, undefined).token };
  }

  /** An authorization code for an approved authorize request. */
  issueCode(request: { redirectUri: string; scopes: readonly string[]; codeChallenge: string | undefined }): string {
    this.forgetExpired();
    const code = newToken('sbx_code_');
    this.codes.set(code, { ...request, expiresAt: this.now() + AUTHORIZATION_CODE_SECONDS * 1000, used: false });
    return code;
  }

  /** RFC 6749 section 4.1.3 with RFC 7636 section 4.6. */
  redeemCode(request: { code: string; redirectUri: string | undefined; codeVerifier: string | undefined }, droppedScope: string | undefined): GrantBookOutcome {
    const record = this.codes.get(request.code);
    if (record === undefined || record.expiresAt <= this.now()) return invalidGrant('The authorization code is invalid or expired.');
    if (record.used) {
      // RFC 6749 section 4.1.2: a code used twice SHOULD revoke the tokens issued from it.
      if (record.grantId !== undefined) this.revokeGrant(record.grantId);
      return invalidGrant('The authorization code was already used; the tokens issued for it are revoked.');
    }
    if (request.redirectUri !== record.redirectUri) return invalidGrant('The redirect_uri does not match the one of the authorize request.');
    if (record.codeChallenge !== undefined) {
      if (request.codeVerifier === undefined || !PKCE_VERIFIER.test(request.codeVerifier)) return invalidGrant('PKCE verification failed: code_verifier is missing or malformed.');
      if (pkceS256(request.codeVerifier) !== record.codeChallenge) return invalidGrant('PKCE verification failed: code_verifier does not match code_challenge.');
    }
    record.used = true;
    const grant: Grant = { id: crypto.randomUUID(), scopes: record.scopes, createdAt: this.now(), revoked: false };
    this.grants.set(grant.id, grant);
    record.grantId = grant.id;
    const refresh = this.issueRefreshToken(grant, undefined);
    const access = this.issueAccessToken(grant, droppedScope);
    return { ok: true, tokens: this.tokensOf(access, refresh.token) };
  }

  /** RFC 6749 section 6, with the policy's rotation and grace. */
  redeemRefreshToken(token: string, droppedScope: string | undefined): GrantBookOutcome {
    const now = this.now();
    const record = this.refreshTokens.get(token);
    if (record === undefined) return invalidGrant('The refresh token is invalid or expired.');
    const grant = this.grants.get(record.grantId);
    if (record.state === 'revoked' || grant === undefined || grant.revoked) return invalidGrant('The refresh token was revoked.');

    if (record.state === 'rotated' && now >= (record.graceUntil ?? 0)) record.state = 'redeemed';
    if (record.state === 'redeemed') {
      const at = new Date(record.redeemedAt ?? record.issuedAt).toISOString();
      return { ...invalidGrant(`The refresh token was already redeemed at ${at} and replaced; use the refresh token issued then.`), redeemedTwice: true };
    }
    if (record.state === 'rotated') {
      // Inside the grace and its successor unused: a retry after a lost answer. [I] Climate says only
      // that the old token stays valid for an hour (providers.md 3.1); answering with the same pair
      // keeps one chain of tokens, where issuing another pair would fork the grant in two.
      const successor = record.successor!;
      const access = this.accessTokens.get(successor.accessToken);
      if (access !== undefined) return { ok: true, tokens: this.tokensOf(access, successor.refreshToken), refreshed: true };
      return invalidGrant('The refresh token was already redeemed; use the refresh token issued then.');
    }
    if (now >= record.expiresAt) return invalidGrant(`The refresh token expired at ${new Date(record.expiresAt).toISOString()}.`);

    if (this.policy.rotation === undefined) {
      if (this.policy.refreshTokenLifetime === 'sliding') record.expiresAt = now + this.policy.refreshTokenSeconds * 1000;
      return { ok: true, tokens: this.tokensOf(this.issueAccessToken(grant, droppedScope), record.token), refreshed: true };
    }
    const successor = this.issueRefreshToken(grant, record.token);
    const access = this.issueAccessToken(grant, droppedScope);
    record.state = 'rotated';
    record.redeemedAt = now;
    record.graceUntil = now + this.policy.rotation.graceSeconds * 1000;
    record.successor = { refreshToken: successor.token, accessToken: access.token };
    // Its predecessor's grace ends now: presenting it again would start a second chain.
    const predecessor = record.predecessor === undefined ? undefined : this.refreshTokens.get(record.predecessor);
    if (predecessor?.state === 'rotated') predecessor.state = 'redeemed';
    return { ok: true, tokens: this.tokensOf(access, successor.token), refreshed: true };
  }

  /**
   * RFC 7009 section 2.1: a refresh token revokes its whole grant ("SHOULD also invalidate all
   * access tokens based on the same authorization grant"); an access token only itself.
   */
  revoke(token: string): void {
    const refresh = this.refreshTokens.get(token);
    if (refresh !== undefined) return this.revokeGrant(refresh.grantId);
    const access = this.accessTokens.get(token);
    if (access !== undefined) access.revoked = true;
  }

  /** Every grant so far revoked (the `revoke` fault: the grower withdrew the app's access). */
  revokeAll(): void {
    for (const id of this.grants.keys()) this.revokeGrant(id);
  }

  /** The access token's standing, with the dropped scope taken away. */
  checkAccessToken(token: string, droppedScope: string | undefined): { ok: true; scopes: readonly string[] } | { ok: false; reason: 'unknown' | 'expired' | 'revoked'; description: string } {
    const record = this.accessTokens.get(token);
    if (record === undefined) return { ok: false, reason: 'unknown', description: 'The access token is not one the sandbox issued.' };
    if (record.revoked || this.grants.get(record.grantId)?.revoked !== false) return { ok: false, reason: 'revoked', description: 'The access token was revoked.' };
    if (record.expiresAt <= this.now()) return { ok: false, reason: 'expired', description: `The access token expired at ${new Date(record.expiresAt).toISOString()}.` };
    return { ok: true, scopes: record.scopes.filter((scope) => scope !== droppedScope) };
  }

  private revokeGrant(grantId: string): void {
    const grant = this.grants.get(grantId);
    if (grant !== undefined) grant.revoked = true;
    for (const record of this.refreshTokens.values()) if (record.grantId === grantId) record.state = 'revoked';
    for (const record of this.accessTokens.values()) if (record.grantId === grantId) record.revoked = true;
  }

  private issueRefreshToken(grant: Grant, predecessor: string | undefined): RefreshTokenRecord {
    const now = this.now();
    const record: RefreshTokenRecord = { token: newToken('sbx_rt_'), grantId: grant.id, state: 'active', issuedAt: now, expiresAt: now + this.policy.refreshTokenSeconds * 1000 };
    if (predecessor !== undefined) record.predecessor = predecessor;
    this.refreshTokens.set(record.token, record);
    return record;
  }

  private issueAccessToken(grant: Grant, droppedScope: string | undefined): AccessTokenRecord {
    this.forgetExpired();
    const record: AccessTokenRecord = {
      token: newToken('sbx_at_'),
      grantId: grant.id,
      expiresAt: this.now() + this.policy.accessTokenSeconds * 1000,
      scopes: grant.scopes.filter((scope) => scope !== droppedScope),
      revoked: false,
    };
    this.accessTokens.set(record.token, record);
    this.index.add(record.token);
    return record;
  }

  private tokensOf(access: AccessTokenRecord, refreshToken: string): IssuedTokens {
    return { accessToken: access.token, refreshToken, expiresIn: Math.max(0, Math.ceil((access.expiresAt - this.now()) / 1000)), scopes: access.scopes };
  }

  private forgetExpired(): void {
    const horizon = this.now() - FORGET_AFTER_MS;
    for (const [token, record] of this.accessTokens) {
      if (record.expiresAt < horizon) {
        this.accessTokens.delete(token);
        this.index.remove(token);
      }
    }
    for (const [code, record] of this.codes) if (record.expiresAt < horizon) this.codes.delete(code);
    // Refresh tokens stay until their own expiry has passed by a day: a rotated token presented
    // again must still be recognized to be counted as redeemed twice.
    for (const [token, record] of this.refreshTokens) if (record.expiresAt < horizon) this.refreshTokens.delete(token);
  }
}

function invalidGrant(description: string): GrantBookOutcome {
  return { ok: false, error: 'invalid_grant', description };
}
