import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifySchemaCompiler } from 'fastify';
import { FurrowError, type ConfigurationValues, type OwnerContext } from '../../../domain/index.js';
import type { ConfigurationsService } from '../../../services/configurations.js';
import { ConfigurationResponse, LeafUserIdParams, OwnerConfigurationBody, UserConfigurationBody } from '../../schemas/configs.js';
import { validatorCompiler } from '../../validation.js';

function toResponse(owner: OwnerContext, leafUserId: string, values: ConfigurationValues) {
  return { apiOwnerUsername: owner.username, leafUserId, ...values };
}

/**
 * Configuration values are checked by the domain's rules, so a bad value is a 400
 * `configuration_invalid` naming the key with what was expected, the same from every entry point.
 * The full body schemas stay on the routes for the OpenAPI document; here a body only has to be a
 * JSON object, or absent (Fastify hands an absent body over as null): no change. Path parameters
 * are validated as everywhere else.
 */
const configurationBodyCompiler: FastifySchemaCompiler<unknown> = (route) => {
  if (route.httpPart !== 'body') return validatorCompiler(route);
  return (body: unknown) =>
    body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body))
      ? true
      : {
          error: new FurrowError('validation_failed', 'Expected the body to be a JSON object of configuration keys, e.g. {"fieldsAutoSync": false}.', {
            fieldErrors: [{ field: 'body', message: 'must be object' }],
          }),
        };
};

/** `/services/config/api/configs`: the API owner's configuration and its Leaf users' overrides. */
export const configsRoutes: FastifyPluginAsync<{ configurations: ConfigurationsService }> = async (app, { configurations }) => {
  const tags = ['configurations'];
  const response = { 200: ConfigurationResponse };

  app.get('/configs', { schema: { tags, summary: "Get the API owner's configuration: every key with its value.", response } }, async (request) =>
    toResponse(request.owner, '', await configurations.getOwner(request.owner)),
  );

  app.patch(
    '/configs',
    {
      validatorCompiler: configurationBodyCompiler,
      schema: { tags, summary: "Change some of the API owner's configuration keys; values cannot be null. Unknown keys are ignored.", body: OwnerConfigurationBody, response },
    },
    async (request) => toResponse(request.owner, '', await configurations.patchOwner(request.owner, request.body)),
  );

  app.get<{ Params: LeafUserIdParams }>(
    '/configs/:leafUserId',
    { schema: { tags, summary: "Get a Leaf user's configuration: the user's values, the API owner's for every key the user did not set.", params: LeafUserIdParams, response } },
    async (request) => toResponse(request.owner, request.params.leafUserId, await configurations.getUser(request.owner, request.params.leafUserId)),
  );

  app.post<{ Params: LeafUserIdParams }>(
    '/configs/:leafUserId',
    {
      validatorCompiler: configurationBodyCompiler,
      schema: {
        tags,
        summary: "Create a Leaf user's configuration; every key is optional and missing keys are inherited. 409 if the user already has one.",
        params: LeafUserIdParams,
        body: UserConfigurationBody,
        response: { 201: ConfigurationResponse },
      },
    },
    async (request, reply) => {
      const values = await configurations.createUser(request.owner, request.params.leafUserId, request.body);
      reply.status(201).header('Location', request.url.split('?')[0]);
      return toResponse(request.owner, request.params.leafUserId, values);
    },
  );

  app.patch<{ Params: LeafUserIdParams }>(
    '/configs/:leafUserId',
    {
      validatorCompiler: configurationBodyCompiler,
      schema: {
        tags,
        summary: "Change some of a Leaf user's keys; null makes a key inherited from the API owner again.",
        params: LeafUserIdParams,
        body: UserConfigurationBody,
        response,
      },
    },
    async (request) => toResponse(request.owner, request.params.leafUserId, await configurations.patchUser(request.owner, request.params.leafUserId, request.body)),
  );

  app.delete<{ Params: LeafUserIdParams }>(
    '/configs/:leafUserId',
    { schema: { tags, summary: "Delete a Leaf user's configuration; the user then inherits every key from the API owner.", params: LeafUserIdParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await configurations.deleteUser(request.owner, request.params.leafUserId);
      return reply.status(204).send();
    },
  );
};
