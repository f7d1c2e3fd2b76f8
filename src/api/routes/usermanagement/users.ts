import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FurrowError, USER_SORT_FIELDS, type LeafUser, type LeafUserFields, type OwnerContext, type UserSortField } from '../../../domain/index.js';
import type { UsersService } from '../../../services/users.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import { UserFieldsBody, UserIdParams, UserListQuery, UserReplaceBody, userResponseSchema } from '../../schemas/users.js';
import type { CredentialsService, CredentialView } from '../../../services/credentials.js';
import type { Provider } from '../../../providers/provider.js';

type CredentialSummaries = Record<string, CredentialView>;

function toResponse(owner: OwnerContext, user: LeafUser, credentials: CredentialSummaries = {}) {
  return { ...user, apiOwnerUsername: owner.username, ...credentials };
}

/** Only the writable fields that the body names; `undefined` means "not given". */
function fieldsOf(body: UserFieldsBody): Partial<LeafUserFields> {
  const fields: Partial<LeafUserFields> = {};
  for (const key of ['name', 'email', 'phone', 'address', 'externalId'] as const) {
    if (body[key] !== undefined) fields[key] = body[key];
  }
  return fields;
}

/** A body may repeat the path's id, but never name another user. */
function assertSameId(bodyId: unknown, pathId: string): void {
  if (bodyId !== undefined && bodyId !== pathId) {
    throw new FurrowError('id_mismatch', `The body's id "${String(bodyId)}" differs from the path's id "${pathId}".`, { fieldErrors: [{ field: 'body.id', message: 'must match the id in the path' }] });
  }
}

/** `/services/usermanagement/api/users`: Leaf users, scoped to the authenticated API owner. */
export const usersRoutes: FastifyPluginAsync<{ users: UsersService; credentials: CredentialsService; providers: Readonly<Record<string, Provider>> }> = async (app, { users, credentials, providers }) => {
  const tags = ['users'];
  const UserResponse = userResponseSchema(Object.values(providers).map((p) => p.userField));
  /** Leaf's user resource carries each credential under the provider's property (`johnDeereCredentials`). */
  const credentialsOf = async (owner: OwnerContext, userId: string): Promise<CredentialSummaries> => {
    const summaries: CredentialSummaries = {};
    for (const { provider, view } of await credentials.listForUser(owner, userId)) {
      const field = providers[provider]?.userField;
      if (field !== undefined) summaries[field] = view;
    }
    return summaries;
  };

  app.get<{ Querystring: UserListQuery }>(
    '/users',
    { schema: { tags, summary: 'List Leaf users (filters: email, name, externalId).', querystring: UserListQuery, response: { 200: Type.Array(UserResponse) } } },
    async (request, reply) => {
      const { email, name, externalId } = request.query;
      const pageRequest = parsePageRequest<UserSortField>(request.query, USER_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      const page = await users.list(request.owner, { email, name, externalId }, pageRequest);
      const items = sendPage(request, reply, pageRequest, page);
      // One query for the whole page's credentials, not one per user.
      const byUser = new Map<string, CredentialSummaries>();
      for (const { userId, provider, view } of await credentials.listForUsers(request.owner, items.map((u) => u.id))) {
        const field = providers[provider]?.userField;
        if (field === undefined) continue;
        const summaries = byUser.get(userId) ?? {};
        summaries[field] = view;
        byUser.set(userId, summaries);
      }
      return items.map((u) => toResponse(request.owner, u, byUser.get(u.id)));
    },
  );

  app.get<{ Params: UserIdParams }>(
    '/users/:id',
    { schema: { tags, summary: 'Get a Leaf user.', params: UserIdParams, response: { 200: UserResponse } } },
    async (request) => {
      const { user, credentials: records } = await users.getWithCredentials(request.owner, request.params.id);
      const summaries: CredentialSummaries = {};
      for (const record of records) {
        const field = providers[record.provider]?.userField;
        if (field !== undefined) summaries[field] = credentials.viewOf(record);
      }
      return toResponse(request.owner, user, summaries);
    },
  );

  app.post<{ Body: UserFieldsBody }>(
    '/users',
    { schema: { tags, summary: 'Create a Leaf user.', body: UserFieldsBody, response: { 201: UserResponse } } },
    async (request, reply) => {
      const user = await users.create(request.owner, fieldsOf(request.body));
      reply.status(201).header('Location', `${request.url.split('?')[0]?.replace(/\/$/, '')}/${user.id}`);
      return toResponse(request.owner, user);
    },
  );

  app.put<{ Body: UserReplaceBody }>(
    '/users',
    { schema: { tags, summary: 'Replace a Leaf user (id in the body); absent fields become null.', body: UserReplaceBody, response: { 200: UserResponse } } },
    async (request) => toResponse(request.owner, await users.replace(request.owner, request.body.id, fieldsOf(request.body)), await credentialsOf(request.owner, request.body.id)),
  );

  // Leaf documents PUT /users with the id in the body; PUT /users/{id} is accepted too, and must agree.
  app.put<{ Params: UserIdParams; Body: UserFieldsBody & { id?: unknown } }>(
    '/users/:id',
    { schema: { tags, summary: 'Replace a Leaf user by id; absent fields become null.', params: UserIdParams, body: UserFieldsBody, response: { 200: UserResponse } } },
    async (request) => {
      assertSameId(request.body.id, request.params.id);
      return toResponse(request.owner, await users.replace(request.owner, request.params.id, fieldsOf(request.body)), await credentialsOf(request.owner, request.params.id));
    },
  );

  app.patch<{ Params: UserIdParams; Body: UserFieldsBody & { id?: unknown } }>(
    '/users/:id',
    { schema: { tags, summary: 'Change some fields of a Leaf user; null clears a field.', params: UserIdParams, body: UserFieldsBody, response: { 200: UserResponse } } },
    async (request) => {
      assertSameId(request.body.id, request.params.id);
      return toResponse(request.owner, await users.patch(request.owner, request.params.id, fieldsOf(request.body)), await credentialsOf(request.owner, request.params.id));
    },
  );

  app.delete<{ Params: UserIdParams }>(
    '/users/:id',
    { schema: { tags, summary: 'Delete a Leaf user and everything of theirs.', params: UserIdParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await users.delete(request.owner, request.params.id);
      return reply.status(204).send();
    },
  );
};
