import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Provider } from '../../../providers/provider.js';
import type { AppKeysService } from '../../../services/app-keys.js';

const AppKeyView = Type.Object(
  {
    id: Type.String(),
    provider: Type.String({ description: "Leaf's provider name, e.g. JohnDeere." }),
    appName: Type.String(),
    clientEnvironment: Type.String({ description: 'STAGE or PRODUCTION (PRODUCTION for providers with one environment).' }),
    createdTime: Type.String(),
    updatedTime: Type.String(),
    redirectUri: Type.String({ description: "Register this at the provider as your app's redirect (callback) URI." }),
  },
  { additionalProperties: true, description: 'Secrets are never returned; public properties (client ids, scopes) are.' },
);
const AppNameParams = Type.Object({ appName: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' }) });
const AppNameEnvironmentParams = Type.Object({ appName: AppNameParams.properties.appName, clientEnvironment: Type.Union([Type.Literal('STAGE'), Type.Literal('PRODUCTION')]) });
type Params = { appName: string; clientEnvironment?: string };

/**
 * Leaf's app keys (leaf-api.md 6.2) for every provider whose `link.appKey` says it has one:
 * `GET /app-keys[/{Provider}]`, and `GET/POST/PUT/DELETE /app-keys/{Provider}/{appName}`, with
 * `/{clientEnvironment}` after the name for providers that have environments. All `services/app-keys.ts`.
 */
export const appKeysRoutes: FastifyPluginAsync<{ appKeys: AppKeysService; providers: Readonly<Record<string, Provider>> }> = async (app, { appKeys, providers }) => {
  const tags = ['app keys'];
  app.get('/app-keys', { schema: { tags, summary: 'Every app key of the API owner (Furrow extension).', response: { 200: Type.Array(AppKeyView) } } }, async (request) => appKeys.list(request.owner));
  for (const provider of Object.values(providers)) {
    const definition = provider.link?.appKey;
    if (definition === undefined) continue;
    const { apiName } = provider;
    const hasEnvironments = provider.environments.length > 0;
    const path = hasEnvironments ? `/app-keys/${apiName}/:appName/:clientEnvironment` : `/app-keys/${apiName}/:appName`;
    const params = hasEnvironments ? AppNameEnvironmentParams : AppNameParams;
    const env = (p: Params) => (hasEnvironments ? p.clientEnvironment : undefined);

    app.get(`/app-keys/${apiName}`, { schema: { tags, summary: `The API owner's ${provider.name} app keys.`, response: { 200: Type.Array(AppKeyView) } } }, async (request) => appKeys.list(request.owner, apiName));
    app.get<{ Params: Params }>(path, { schema: { tags, summary: `One ${provider.name} app key (no secrets).`, params, response: { 200: AppKeyView } } }, async (request) =>
      appKeys.get(request.owner, apiName, request.params.appName, env(request.params)),
    );
    app.post<{ Params: Params; Body: Static<typeof definition.schema> }>(
      path,
      { schema: { tags, summary: `Create a ${provider.name} app key; answers the redirect URI to register at ${provider.name}.`, params, body: definition.schema, response: { 201: AppKeyView } } },
      async (request, reply) => {
        const created = await appKeys.create(request.owner, apiName, request.params.appName, env(request.params), request.body as Record<string, unknown>);
        reply.code(201);
        return created;
      },
    );
    app.put<{ Params: Params; Body: Static<typeof definition.schema> }>(
      path,
      { schema: { tags, summary: `Replace a ${provider.name} app key's body.`, params, body: definition.schema, response: { 200: AppKeyView } } },
      async (request) => appKeys.update(request.owner, apiName, request.params.appName, env(request.params), request.body as Record<string, unknown>),
    );
    app.delete<{ Params: Params }>(path, { schema: { tags, summary: `Delete a ${provider.name} app key.`, params } }, async (request, reply) => {
      await appKeys.delete(request.owner, apiName, request.params.appName, env(request.params));
      return reply.code(204).send();
    });
  }
};
