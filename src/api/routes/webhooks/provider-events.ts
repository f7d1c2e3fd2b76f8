/**
 * @module `POST /webhooks/provider-events/{provider}`: where providers deliver change events
 * (John Deere's Data Subscription Service, providers.md 1.7). Furrow's own path, outside Leaf's
 * services (Leaf has no public route for this). No bearer token: the subscription token in the
 * delivery authenticates it. The answer is quick: the delivery only queues the credential's sync.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { PROVIDER_EVENTS_PATH, type SyncEventsService } from '../../../services/sync-events.js';

const ProviderParams = Type.Object({ provider: Type.String({ minLength: 1, maxLength: 100, description: "Furrow's provider id, e.g. john-deere" }) });
type ProviderParams = Static<typeof ProviderParams>;

export const providerEventsRoutes: FastifyPluginAsync<{ syncEvents: SyncEventsService }> = async (app, { syncEvents }) => {
  app.post<{ Params: ProviderParams }>(
    `${PROVIDER_EVENTS_PATH}/:provider`,
    {
      config: { public: true },
      schema: {
        tags: ['sync'],
        summary: "A provider's event delivery: verifies its subscription token and queues the credential's sync.",
        security: [],
        params: ProviderParams,
        response: { 202: Type.Object({ queued: Type.Integer({ description: 'Credentials whose sync was queued (one pending sync each, however many deliveries).' }) }) },
      },
    },
    async (request, reply) => {
      const result = await syncEvents.handleDelivery(request.params.provider, request.body);
      reply.code(202);
      return result;
    },
  );
};
