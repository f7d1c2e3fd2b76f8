/** @module `/services/integrations/api`: Leaf's integrations summary (leaf-api.md 3.7). */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { FieldsService } from '../../../services/fields.js';
import { pagingQuery, parsePageRequest, sendPage } from '../../paging.js';

const ResourcesQuery = Type.Object({ provider: Type.Optional(Type.String()), leafUserId: Type.Optional(Type.String()), ...pagingQuery });
type ResourcesQuery = Static<typeof ResourcesQuery>;

const ResourcesResponse = Type.Object({
  message: Type.String(),
  summaries: Type.Array(
    Type.Object({
      provider: Type.String(),
      leafUserId: Type.String(),
      growers: Type.Integer(),
      farms: Type.Integer(),
      fields: Type.Integer(),
      syncReferenceTime: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const integrationsRoutes: FastifyPluginAsync<{ fields: FieldsService }> = async (app, { fields }) => {
  app.get<{ Querystring: ResourcesQuery }>(
    '/resources',
    { schema: { tags: ['fields'], summary: 'Growers, farms and fields synced per provider and Leaf user.', querystring: ResourcesQuery, response: { 200: ResourcesResponse } } },
    async (request, reply) => {
      const pageRequest = parsePageRequest(request.query, [], []);
      const page = await fields.integrationSummaries(request.owner, { provider: request.query.provider, leafUserId: request.query.leafUserId }, pageRequest);
      // Leaf wraps this list in an envelope (`message`, `summaries`), unlike its other lists.
      return { message: 'SUCCESS', summaries: sendPage(request, reply, pageRequest, page) };
    },
  );
};
