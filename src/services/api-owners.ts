/**
 * API owners: creation, password login (`POST /api/authenticate`) and bearer-token verification.
 * Tokens are HS256 JWTs signed with a key derived from the master key, so rotating the master key
 * logs everyone out, and no signing secret needs configuring on its own.
 */
import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { FurrowError, nowIso, type ApiOwner, type OwnerContext } from '../domain/index.js';
import { deriveKey, hashPassword, verifyPassword } from '../keys/index.js';
import type { ApiOwnersRepository } from '../storage/repositories/api-owners.js';

const DAY_SECONDS = 24 * 60 * 60;
const ISSUER = 'furrow';
/** A hash of a password nobody has, so an unknown username costs as much time as a wrong password. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface ApiOwnersService {
  create(email: string, password: string): Promise<ApiOwner>;
  count(): Promise<number>;
  /** Leaf's login: a token valid 24 hours, or 30 days with `rememberMe`. */
  authenticate(username: string, password: string, rememberMe: boolean): Promise<{ idToken: string; expiresAt: Date }>;
  verifyToken(token: string): Promise<OwnerContext>;
  /** The owner of a token verified before and not yet expired, without any work; else `undefined`. */
  verifiedToken(token: string): OwnerContext | undefined;
}

export function apiOwnersService(deps: { owners: ApiOwnersRepository; masterKey: Buffer; clock?: () => number }): ApiOwnersService {
  const clock = deps.clock ?? Date.now;
  const signingKey = crypto.createSecretKey(deriveKey(deps.masterKey, 'jwt'));
  // Verified tokens are cached until they expire: verification is pure, and this keeps the
  // per-request cost of authentication to a map lookup. Bounded so a flood of tokens cannot grow it.
  const verified = new Map<string, OwnerContext & { exp: number }>();
  const CACHE_LIMIT = 10_000;
  const verifiedToken = (token: string): OwnerContext | undefined => {
    const cached = verified.get(token);
    return cached !== undefined && cached.exp > clock() / 1000 ? { ownerId: cached.ownerId, username: cached.username } : undefined;
  };

  return {
    async create(email, password) {
      const normalized = email.trim().toLowerCase();
      if (!/^[^@\s]+@[^@\s]+$/.test(normalized)) throw new FurrowError('validation_failed', `Expected an email address, found "${email}".`, { fieldErrors: [{ field: 'email', message: 'must be an email address' }] });
      if (password.length < 8) throw new FurrowError('validation_failed', 'The password must have at least 8 characters.', { fieldErrors: [{ field: 'password', message: 'must have at least 8 characters' }] });
      const owner = { id: crypto.randomUUID(), email: normalized, passwordHash: await hashPassword(password), createdAt: nowIso(clock) };
      if (!(await deps.owners.insert(owner))) throw new FurrowError('api_owner_exists', `An API owner with email ${normalized} already exists.`);
      return { id: owner.id, email: owner.email, createdTime: owner.createdAt };
    },
    count: () => deps.owners.count(),
    async authenticate(username, password, rememberMe) {
      const owner = await deps.owners.findByEmail(username.trim().toLowerCase());
      const ok = await verifyPassword(password, owner?.passwordHash ?? DUMMY_HASH);
      if (owner === undefined || !ok) throw new FurrowError('bad_credentials', 'Wrong username or password.');
      const now = Math.floor(clock() / 1000);
      const exp = now + (rememberMe ? 30 * DAY_SECONDS : DAY_SECONDS);
      const idToken = await new SignJWT({ username: owner.email, auth: 'ROLE_USER' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(owner.id)
        .setIssuer(ISSUER)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(signingKey);
      return { idToken, expiresAt: new Date(exp * 1000) };
    },
    verifiedToken,
    async verifyToken(token) {
      const known = verifiedToken(token);
      if (known !== undefined) return known;
      try {
        const { payload } = await jwtVerify(token, signingKey, { issuer: ISSUER, algorithms: ['HS256'], currentDate: new Date(clock()) });
        if (typeof payload.sub !== 'string' || typeof payload.username !== 'string' || typeof payload.exp !== 'number') {
          throw new FurrowError('invalid_token', 'The bearer token lacks its subject; authenticate again at POST /api/authenticate.');
        }
        if (verified.size >= CACHE_LIMIT) verified.clear();
        verified.set(token, { ownerId: payload.sub, username: payload.username, exp: payload.exp });
        return { ownerId: payload.sub, username: payload.username };
      } catch (error) {
        if (error instanceof FurrowError) throw error;
        const reason = error instanceof joseErrors.JWTExpired ? 'has expired' : 'is not a valid Furrow token';
        throw new FurrowError('invalid_token', `The bearer token ${reason}; get a new one from POST /api/authenticate.`, { cause: error });
      }
    },
  };
}
