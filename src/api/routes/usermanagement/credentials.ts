import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FurrowError, type PagingQuery } from '../../../domain/index.js';
import type { Provider } from '../../../providers/provider.js';
import type { CredentialsService } from '../../../services/credentials.js';
import type { SyncService } from '../../../services/sync.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import { CredentialEventResponse, CredentialParams, CredentialResponse, EventsQuery, SyncRunResponse } from '../../schemas/credentials.js';

type Params = Static<typeof CredentialParams>;

/**
 * `/users/{id}/{provider}-credentials` for every registered provider, driven by the registry: the
 * POST body is the provider's documented schema, so every route validates from day one, and a
 * provider without an adapter answers 501 after validation.
 */
export const credentialsRoutes: FastifyPluginAsync<{ credentials: CredentialsService; providers: Readonly<Record<string, Provider>>; sync?: SyncService }> = async (app, { credentials, providers, sync }) => {
  for (const provider of Object.values(providers)) {
    const base = `/users/:id/${provider.credentialsPath}`;
    const tags = ['credentials'];

    app.get<{ Params: Params }>(
      base,
      { schema: { tags, summary: `Get the user's ${provider.name} credentials (secrets masked, no tokens).`, params: CredentialParams, response: { 200: CredentialResponse } } },
      async (request) => credentials.get(request.owner, request.params.id, provider.id),
    );

    app.post<{ Params: Params; Body: Record<string, unknown> }>(
      base,
      {
        schema: {
          tags,
          summary: `Store ${provider.name} credentials: validated at ${provider.name} first; replaces existing ones in place.`,
          params: CredentialParams,
          body: provider.credentialSchema,
          response: { 201: CredentialResponse },
        },
      },
      async (request, reply) => {
        const view = await credentials.connect(request.owner, request.params.id, provider.id, request.body);
        return reply.status(201).send(view);
      },
    );

    app.delete<{ Params: Params }>(
      base,
      { schema: { tags, summary: `Delete the user's ${provider.name} credentials: revoked where ${provider.name} allows, jobs stopped, events deleted, synced data kept.`, params: CredentialParams, response: { 204: Type.Null() } } },
      async (request, reply) => {
        await credentials.delete(request.owner, request.params.id, provider.id);
        return reply.status(204).send();
      },
    );

    app.get<{ Params: Params; Querystring: PagingQuery }>(
      `${base}/events`,
      { schema: { tags, summary: `Exchanges with ${provider.name} and status changes of these credentials, newest first, kept 30 days.`, params: CredentialParams, querystring: EventsQuery, response: { 200: Type.Array(CredentialEventResponse) } } },
      async (request, reply) => {
        const pageRequest = parsePageRequest(request.query, ['createdDate'] as const, [{ field: 'createdDate', direction: 'desc' }]);
        const page = await credentials.events(request.owner, request.params.id, provider.id, pageRequest);
        return sendPage(request, reply, pageRequest, page);
      },
    );

    app.post<{ Params: Params }>(
      `${base}/refresh`,
      { schema: { tags, summary: `Furrow extension: refresh the ${provider.name} token now and answer with the new status.`, params: CredentialParams, response: { 200: CredentialResponse } } },
      async (request) => credentials.refreshNow(request.owner, request.params.id, provider.id),
    );

    if (sync !== undefined && provider.adapter?.sync !== undefined) {
      app.get<{ Params: Params }>(
        `${base}/syncs`,
        {
          schema: {
            tags,
            summary: `Furrow extension: the last 20 syncs of these ${provider.name} credentials, newest first, with what each created, updated, left unchanged and deleted, and what failed.`,
            params: CredentialParams,
            response: { 200: Type.Array(SyncRunResponse) },
          },
        },
        async (request) => (await sync.runsOf(request.owner, request.params.id, provider.id)).map(({ id, startedAt, finishedAt, status, counts, errors }) => ({ id, startedAt, finishedAt, status, counts, errors })),
      );
    }
  }

  // Any other `/users/{id}/<x>-credentials` names a provider Furrow does not know.
  const known = Object.values(providers).map((p) => p.credentialsPath).join(', ');
  const unknown = async (request: { params: { id: string; resource: string } }) => {
    throw new FurrowError('not_found', `Unknown route "${request.params.resource}": expected one of ${known}.`);
  };
  app.get<{ Params: { id: string; resource: string } }>('/users/:id/:resource', { schema: { hide: true } }, unknown);
  app.post<{ Params: { id: string; resource: string } }>('/users/:id/:resource', { schema: { hide: true } }, unknown);
  app.delete<{ Params: { id: string; resource: string } }>('/users/:id/:resource', { schema: { hide: true } }, unknown);
};
