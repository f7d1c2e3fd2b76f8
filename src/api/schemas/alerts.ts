/** Wire schemas of alerts (leaf-api.md section 5), shared by routes and OpenAPI. */
import { Type, type Static } from '@sinclair/typebox';
import { ALERT_EVENT_TYPES } from '../../services/alerts.js';
import { pagingQuery } from '../paging.js';

export const WebhookCreateBody = Type.Object(
  {
    events: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50, description: `Event names, one webhook per event per API owner: ${ALERT_EVENT_TYPES.join(', ')}.` }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'An http(s) URL; private, loopback and link-local targets are refused unless FURROW_ALERTS_ALLOW_PRIVATE is on.' }),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'The HMAC key of X-Leaf-Signature and webhook-signature; generated (and answered once) when absent.' })),
  },
  { additionalProperties: true },
);
export type WebhookCreateBody = Static<typeof WebhookCreateBody>;

export const WebhookResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  events: Type.Array(Type.String()),
  name: Type.String(),
  secret: Type.String({ description: 'As given (or generated) in the creation answer only; masked to its last 4 characters afterwards.' }),
  url: Type.String(),
  createdTime: Type.String({ format: 'date-time' }),
});

export const FailedCallResponse = Type.Object({
  apiOwner: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  url: Type.String(),
  status: Type.Optional(Type.Integer()),
  response: Type.Optional(Type.String()),
  requestBody: Type.String(),
  connectionError: Type.Optional(Type.String()),
  webhookId: Type.String(),
  eventId: Type.String(),
  type: Type.String(),
  attempts: Type.Integer(),
});

export const FailedCallsResponse = Type.Object({ items: Type.Array(FailedCallResponse) });

export const WebhookIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export type WebhookIdParams = Static<typeof WebhookIdParams>;

export const AlertsPagingQuery = Type.Object({ ...pagingQuery });
export type AlertsPagingQuery = Static<typeof AlertsPagingQuery>;
