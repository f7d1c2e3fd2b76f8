/** Leaf users of one API owner: Leaf's create, replace, patch, list and delete semantics. */
import crypto from 'node:crypto';
import { FurrowError, nowIso, type CredentialRecord, type LeafUser, type LeafUserFields, type OwnerContext, type Page, type PageRequest, type UserFilter, type UserSortField } from '../domain/index.js';
import type { UsersRepository } from '../storage/repositories/users.js';

export interface UsersService {
  list(owner: OwnerContext, filter: UserFilter, page: PageRequest<UserSortField>): Promise<Page<LeafUser>>;
  get(owner: OwnerContext, id: string): Promise<LeafUser>;
  /** The user with its provider credentials, in one read (Leaf's user resource carries both). */
  getWithCredentials(owner: OwnerContext, id: string): Promise<{ user: LeafUser; credentials: CredentialRecord[] }>;
  create(owner: OwnerContext, fields: Partial<LeafUserFields>): Promise<LeafUser>;
  /** PUT: every writable field is replaced; an absent field becomes null, as Leaf documents. */
  replace(owner: OwnerContext, id: string, fields: Partial<LeafUserFields>): Promise<LeafUser>;
  /** PATCH: only the given fields change; null clears a field. */
  patch(owner: OwnerContext, id: string, fields: Partial<LeafUserFields>): Promise<LeafUser>;
  delete(owner: OwnerContext, id: string): Promise<void>;
}

const notFound = (id: string) => new FurrowError('not_found', `No Leaf user with id ${id}.`);
const externalIdTaken = (externalId: string | null | undefined) =>
  new FurrowError('external_id_taken', `Another Leaf user already has externalId "${String(externalId)}"; externalIds are unique per API owner.`, {
    fieldErrors: [{ field: 'body.externalId', message: 'is already used by another Leaf user' }],
  });

export function usersService(deps: { users: UsersRepository; clock?: () => number }): UsersService {
  const clock = deps.clock ?? Date.now;
  const service: UsersService = {
    list: (owner, filter, page) => deps.users.list(owner.ownerId, filter, page),
    async get(owner, id) {
      const user = await deps.users.get(owner.ownerId, id);
      if (user === undefined) throw notFound(id);
      return user;
    },
    async getWithCredentials(owner, id) {
      const found = await deps.users.getWithCredentials(owner.ownerId, id);
      if (found === undefined) throw notFound(id);
      return found;
    },
    async create(owner, fields) {
      const now = nowIso(clock);
      const user: LeafUser = {
        id: crypto.randomUUID(),
        name: fields.name ?? null,
        email: fields.email ?? null,
        phone: fields.phone ?? null,
        address: fields.address ?? null,
        externalId: fields.externalId ?? null,
        createdTime: now,
        updatedTime: now,
      };
      if ((await deps.users.insert(owner.ownerId, user)) === 'external_id_taken') throw externalIdTaken(user.externalId);
      return user;
    },
    async replace(owner, id, fields) {
      const all: LeafUserFields = {
        name: fields.name ?? null,
        email: fields.email ?? null,
        phone: fields.phone ?? null,
        address: fields.address ?? null,
        externalId: fields.externalId ?? null,
      };
      return service.patch(owner, id, all);
    },
    async patch(owner, id, fields) {
      const result = await deps.users.update(owner.ownerId, id, fields, nowIso(clock));
      if (result === 'not_found') throw notFound(id);
      if (result === 'external_id_taken') throw externalIdTaken(fields.externalId);
      return service.get(owner, id);
    },
    async delete(owner, id) {
      if (!(await deps.users.delete(owner.ownerId, id))) throw notFound(id);
    },
  };
  return service;
}
