import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { API_KEY_DEFAULT_SECONDS, API_KEY_MAX_SECONDS, API_KEY_MIN_SECONDS, type ApiKeysService } from '../../../services/api-keys.js';

const CreateBody = Type.Object({
  leafUserId: Type.String({ minLength: 1, maxLength: 100 }),
  expiresIn: Type.Optional(Type.Integer({ minimum: API_KEY_MIN_SECONDS, maximum: API_KEY_MAX_SECONDS, description: `Seconds; ${API_KEY_DEFAULT_SECONDS} (one year) when absent.` })),
  description: Type.Optional(Type.String({ maxLength: 500 })),
});
const Created = Type.Object({ id: Type.String(), key: Type.String({ description: 'Shown this once; only its hash is stored.' }), leafUserId: Type.String(), expiresAt: Type.String(), description: Type.Union([Type.String(), Type.Null()]), valid: Type.Boolean() });
const Listed = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'Masked.' }),
  leafUserId: Type.String(),
  expiresAt: Type.String(),
  createdTime: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Optional(Type.String()),
  lastUsedTime: Type.Union([Type.String(), Type.Null()]),
  valid: Type.Boolean(),
});

/** Leaf users' API keys (leaf-api.md 6.1): create (the key shown once), list (masked), revoke. */
export const apiKeysRoutes: FastifyPluginAsync<{ apiKeys: ApiKeysService }> = async (app, { apiKeys }) => {
  const tags = ['api keys'];
  app.post<{ Body: Static<typeof CreateBody> }>('/api-keys', { schema: { tags, summary: "Create a Leaf user's API key for the widget.", body: CreateBody, response: { 201: Created } } }, async (request, reply) => {
    const created = await apiKeys.create(request.owner, request.body);
    reply.code(201);
    return created;
  });
  app.get<{ Querystring: { leafUserId: string } }>(
    '/api-keys',
    { schema: { tags, summary: "A Leaf user's API keys, masked.", querystring: Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 100 }) }), response: { 200: Type.Array(Listed) } } },
    async (request) => apiKeys.list(request.owner, request.query.leafUserId),
  );
  app.delete<{ Params: { id: string } }>('/api-keys/:id', { schema: { tags, summary: 'Revoke an API key (it stays listed, with revokedAt).', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }) } }, async (request, reply) => {
    await apiKeys.revoke(request.owner, request.params.id);
    return reply.code(204).send();
  });
};
