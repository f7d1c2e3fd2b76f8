import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { GROWER_SORT_FIELDS, type GrowerSortField } from '../../../domain/index.js';
import type { FieldsService } from '../../../services/fields.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import { FarmBody, FarmListQuery, FarmResponse, GrowerBody, GrowerIdParams, GrowerListQuery, GrowerResponse, NumericIdParams, UserParams } from './schemas.js';
import { farmToWire, growerToWire } from './wire.js';

/** Growers ("equivalent to John Deere Client") and farms (leaf-api.md 7.1); integer ids, as Leaf's. */
export const growersFarmsRoutes: FastifyPluginAsync<{ fields: FieldsService }> = async (app, { fields }) => {
  const tags = ['fields'];

  app.get<{ Querystring: GrowerListQuery }>(
    '/growers',
    { schema: { tags, summary: 'List growers (filters leafUserId, provider).', querystring: GrowerListQuery, response: { 200: Type.Array(GrowerResponse) } } },
    async (request, reply) => {
      const pageRequest = parsePageRequest<GrowerSortField>(request.query, GROWER_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      const page = await fields.listGrowers(request.owner, { leafUserId: request.query.leafUserId, provider: request.query.provider }, pageRequest);
      return sendPage(request, reply, pageRequest, page).map(growerToWire);
    },
  );
  app.post<{ Body: { growerIds: number[] } }>(
    '/growers/enableSync',
    {
      schema: {
        tags,
        summary: "The growers' PREVIEW fields become WAITING, ready for the next sync.",
        body: Type.Object({ growerIds: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000 }) }),
        response: { 200: Type.Object({ growerIds: Type.Array(Type.Integer()), fieldsEnabled: Type.Integer() }) },
      },
    },
    async (request) => ({ growerIds: request.body.growerIds, fieldsEnabled: await fields.enableSyncByGrowers(request.owner, request.body.growerIds) }),
  );

  app.get<{ Params: GrowerIdParams }>(
    '/growers/:id',
    { schema: { tags, summary: 'Get a grower (the Postman collection\'s path).', params: GrowerIdParams, response: { 200: GrowerResponse } } },
    async (request) => growerToWire(await fields.getGrower(request.owner, undefined, request.params.id)),
  );
  app.get<{ Params: NumericIdParams }>(
    '/users/:leafUserId/growers/:id',
    { schema: { tags, summary: 'Get a grower of a Leaf user.', params: NumericIdParams, response: { 200: GrowerResponse } } },
    async (request) => growerToWire(await fields.getGrower(request.owner, request.params.leafUserId, request.params.id)),
  );
  app.post<{ Params: UserParams; Body: GrowerBody }>(
    '/users/:leafUserId/growers',
    { schema: { tags, summary: 'Create a grower.', params: UserParams, body: GrowerBody, response: { 201: GrowerResponse } } },
    async (request, reply) => reply.status(201).send(growerToWire(await fields.createGrower(request.owner, request.params.leafUserId, request.body.name ?? null))),
  );
  app.put<{ Params: NumericIdParams; Body: GrowerBody }>(
    '/users/:leafUserId/growers/:id',
    { schema: { tags, summary: 'Rename a grower.', params: NumericIdParams, body: GrowerBody, response: { 200: GrowerResponse } } },
    async (request) => growerToWire(await fields.updateGrower(request.owner, request.params.leafUserId, request.params.id, request.body.name ?? null)),
  );

  app.get<{ Querystring: FarmListQuery }>(
    '/farms',
    { schema: { tags, summary: 'List farms (filters leafUserId, growerId, provider).', querystring: FarmListQuery, response: { 200: Type.Array(FarmResponse) } } },
    async (request, reply) => {
      const pageRequest = parsePageRequest<GrowerSortField>(request.query, GROWER_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      const { leafUserId, provider, growerId } = request.query;
      return sendPage(request, reply, pageRequest, await fields.listFarms(request.owner, { leafUserId, provider, growerId }, pageRequest)).map(farmToWire);
    },
  );
  app.get<{ Params: NumericIdParams }>(
    '/users/:leafUserId/farms/:id',
    { schema: { tags, summary: 'Get a farm.', params: NumericIdParams, response: { 200: FarmResponse } } },
    async (request) => farmToWire(await fields.getFarm(request.owner, request.params.leafUserId, request.params.id)),
  );
  app.post<{ Params: UserParams; Body: FarmBody }>(
    '/users/:leafUserId/farms',
    { schema: { tags, summary: 'Create a farm, optionally under a grower.', params: UserParams, body: FarmBody, response: { 201: FarmResponse } } },
    async (request, reply) =>
      reply.status(201).send(farmToWire(await fields.createFarm(request.owner, request.params.leafUserId, { name: request.body.name ?? null, growerId: request.body.growerId ?? null }))),
  );
  app.put<{ Params: NumericIdParams; Body: FarmBody }>(
    '/users/:leafUserId/farms/:id',
    { schema: { tags, summary: 'Replace a farm\'s name and grower.', params: NumericIdParams, body: FarmBody, response: { 200: FarmResponse } } },
    async (request) => farmToWire(await fields.updateFarm(request.owner, request.params.leafUserId, request.params.id, { name: request.body.name ?? null, growerId: request.body.growerId ?? null })),
  );
};
