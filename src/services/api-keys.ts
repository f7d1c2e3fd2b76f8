/**
 * Leaf users' API keys (leaf-api.md 6.1): what the embeddable widget authenticates with, so a
 * page of the API owner's app never holds the owner's token. A key is shown once, when created;
 * only its SHA-256 is stored. A plain hash is enough here (no salt, no slow KDF): the key is 256
 * random bits, so there is nothing to guess, and a fast hash lets every widget request find its
 * key by an index lookup. Keys expire (900 s at least, one year by default) and can be revoked.
 */
import crypto from 'node:crypto';
import { FurrowError, nowIso, type OwnerContext } from '../domain/index.js';
import type { UserApiKeyRecord, UserApiKeysRepository } from '../storage/repositories/user-api-keys.js';
import type { UsersService } from './users.js';

/** leaf-api.md 6.1: "The minimum allowed value is 900 (15 minutes). The default value is one year." */
export const API_KEY_MIN_SECONDS = 900;
export const API_KEY_DEFAULT_SECONDS = 365 * 24 * 60 * 60;
/** [I] Leaf states no maximum; Furrow keeps the default as the ceiling, so a leaked key dies within a year. */
export const API_KEY_MAX_SECONDS = API_KEY_DEFAULT_SECONDS;

/** Prefix of Furrow's keys (Leaf's look like `lk_...`), so a leaked one is recognisable in a scan. */
const KEY_PREFIX = 'fk_';

/** Leaf's create answer, with the key's id. */
export interface ApiKeyCreated {
  id: string;
  key: string;
  leafUserId: string;
  expiresAt: string;
  description: string | null;
  valid: true;
}

/** Leaf's list entry: the key masked. */
export interface ApiKeyView {
  id: string;
  key: string;
  leafUserId: string;
  expiresAt: string;
  createdTime: string;
  description: string | null;
  revokedAt?: string;
  lastUsedTime: string | null;
  valid: boolean;
}

/** Whom a widget request acts for. */
export interface ApiKeyPrincipal {
  owner: OwnerContext;
  userId: string;
  keyId: string;
}

export interface ApiKeysService {
  create(owner: OwnerContext, request: { leafUserId: string; expiresIn?: number | undefined; description?: string | undefined }): Promise<ApiKeyCreated>;
  list(owner: OwnerContext, leafUserId: string): Promise<ApiKeyView[]>;
  revoke(owner: OwnerContext, id: string): Promise<void>;
  /** The owner and user of a presented key; `invalid_token` when it is unknown, expired or revoked. */
  authenticate(key: string): Promise<ApiKeyPrincipal>;
}

/** The hash a key is stored and found by. */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

export function apiKeysService(deps: { keys: UserApiKeysRepository; users: Pick<UsersService, 'get'>; clock?: () => number }): ApiKeysService {
  const clock = deps.clock ?? Date.now;
  const isValid = (record: UserApiKeyRecord, now: number) => record.revokedAt === null && Date.parse(record.expiresAt) > now;
  return {
    async create(owner, { leafUserId, expiresIn, description }) {
      const seconds = expiresIn ?? API_KEY_DEFAULT_SECONDS;
      if (!Number.isInteger(seconds) || seconds < API_KEY_MIN_SECONDS || seconds > API_KEY_MAX_SECONDS) {
        throw new FurrowError('validation_failed', `Expected expiresIn in seconds from ${API_KEY_MIN_SECONDS} (15 minutes) to ${API_KEY_MAX_SECONDS} (one year); found ${String(expiresIn)}.`, {
          fieldErrors: [{ field: 'body.expiresIn', message: `must be an integer from ${API_KEY_MIN_SECONDS} to ${API_KEY_MAX_SECONDS}` }],
        });
      }
      await deps.users.get(owner, leafUserId);
      const key = `${KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
      const now = clock();
      const record: UserApiKeyRecord = {
        id: crypto.randomUUID(),
        ownerId: owner.ownerId,
        userId: leafUserId,
        keyHash: hashApiKey(key),
        keyHint: key.slice(-4),
        description: description ?? null,
        expiresAt: new Date(now + seconds * 1000).toISOString(),
        revokedAt: null,
        lastUsedAt: null,
        createdAt: new Date(now).toISOString(),
      };
      await deps.keys.insert(record);
      return { id: record.id, key, leafUserId, expiresAt: record.expiresAt, description: record.description, valid: true };
    },
    async list(owner, leafUserId) {
      await deps.users.get(owner, leafUserId);
      const now = clock();
      return (await deps.keys.listForUser(owner.ownerId, leafUserId)).map((record) => ({
        id: record.id,
        key: `${KEY_PREFIX}xxxx...${record.keyHint}`,
        leafUserId: record.userId,
        expiresAt: record.expiresAt,
        createdTime: record.createdAt,
        description: record.description,
        ...(record.revokedAt === null ? {} : { revokedAt: record.revokedAt }),
        lastUsedTime: record.lastUsedAt,
        valid: isValid(record, now),
      }));
    },
    async revoke(owner, id) {
      const result = await deps.keys.revoke(owner.ownerId, id, nowIso(clock));
      if (result === 'not_found') throw new FurrowError('not_found', `No API key with id ${id}.`);
    },
    async authenticate(key) {
      const record = key.startsWith(KEY_PREFIX) ? await deps.keys.findByHash(hashApiKey(key)) : undefined;
      const now = clock();
      if (record === undefined || !isValid(record, now)) {
        throw new FurrowError('invalid_token', 'The API key is unknown, expired or revoked; ask the app for a new one (POST /services/usermanagement/api/api-keys).');
      }
      // [I] Last use is kept to the minute, so a busy widget does not write on every request.
      if (record.lastUsedAt === null || now - Date.parse(record.lastUsedAt) > 60_000) await deps.keys.touch(record.id, new Date(now).toISOString());
      return { owner: { ownerId: record.ownerId, username: `api-key:${record.id}` }, userId: record.userId, keyId: record.id };
    },
  };
}
