import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { WEBHOOK_SORT_FIELDS, type AlertsService, type WebhookSortField } from '../../../services/alerts.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import { AlertsPagingQuery, FailedCallsResponse, WebhookCreateBody, WebhookIdParams, WebhookResponse } from '../../schemas/alerts.js';

/**
 * `/services/alerts/api/alerts/webhooks` (leaf-api.md 5): an API owner's webhooks, one per event
 * type, and the deliveries that failed for good. No update: Leaf's answer is delete and recreate.
 */
export const webhooksRoutes: FastifyPluginAsync<{ alerts: AlertsService }> = async (app, { alerts }) => {
  const tags = ['alerts'];

  app.post<{ Body: WebhookCreateBody }>(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'Register a webhook; a signed confirmation message is sent to its URL at once. The secret is answered this once.',
        body: WebhookCreateBody,
        response: { 201: WebhookResponse },
      },
    },
    async (request, reply) => {
      const { events, name, url, secret } = request.body;
      const webhook = await alerts.createWebhook(request.owner, { events, name, url, ...(secret === undefined ? {} : { secret }) });
      reply.status(201).header('Location', `${request.url.split('?')[0]?.replace(/\/$/, '')}/${webhook.id}`);
      return webhook;
    },
  );

  app.get<{ Querystring: AlertsPagingQuery }>(
    '/webhooks',
    { schema: { tags, summary: 'List webhooks (secrets masked).', querystring: AlertsPagingQuery, response: { 200: Type.Array(WebhookResponse) } } },
    async (request, reply) => {
      const pageRequest = parsePageRequest<WebhookSortField>(request.query, WEBHOOK_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      return sendPage(request, reply, pageRequest, await alerts.listWebhooks(request.owner, pageRequest));
    },
  );

  // Registered before `/webhooks/:id`, though Fastify prefers the static path either way.
  app.get<{ Querystring: AlertsPagingQuery }>(
    '/webhooks/failed-calls',
    {
      schema: {
        tags,
        summary: 'Deliveries given up after their last retry, newest first, in Leaf\'s `items` envelope (paged with X-Total-Count and Link).',
        querystring: AlertsPagingQuery,
        response: { 200: FailedCallsResponse },
      },
    },
    async (request, reply) => {
      const pageRequest = parsePageRequest<'createdAt'>(request.query, ['createdAt'], [{ field: 'createdAt', direction: 'desc' }]);
      return { items: sendPage(request, reply, pageRequest, await alerts.failedCalls(request.owner, pageRequest)) };
    },
  );

  app.get<{ Params: WebhookIdParams }>(
    '/webhooks/:id',
    { schema: { tags, summary: 'Get a webhook (secret masked).', params: WebhookIdParams, response: { 200: WebhookResponse } } },
    async (request) => alerts.getWebhook(request.owner, request.params.id),
  );

  app.delete<{ Params: WebhookIdParams }>(
    '/webhooks/:id',
    { schema: { tags, summary: 'Delete a webhook and its undelivered alerts; its failed calls stay listed.', params: WebhookIdParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await alerts.deleteWebhook(request.owner, request.params.id);
      return reply.status(204).send();
    },
  );
};
