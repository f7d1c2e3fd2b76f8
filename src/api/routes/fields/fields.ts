import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FIELD_SORT_FIELDS, type FieldSortField } from '../../../domain/index.js';
import type { FieldsService } from '../../../services/fields.js';
import type { SyncService } from '../../../services/sync.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import {
  BoundaryBody,
  BoundaryParams,
  BoundaryResponse,
  CreateFieldBody,
  FieldListQuery,
  FieldParams,
  FieldResponse,
  GeometryResponse,
  IntersectBody,
  IntersectsBody,
  PatchFieldBody,
  SyncResponse,
  UserFieldListQuery,
  UserParams,
} from './schemas.js';
import { boundaryToWire, fieldToWire } from './wire.js';

/**
 * Fields and boundaries (leaf-api.md 7.1). Path parameters are `leafUserId` and `fieldId` on every
 * route under `/users/{leafUserId}/fields`, so routes registered by other files under the same
 * prefix (the per-field operation files) share one parameter name at each position.
 */
export const fieldsRoutes: FastifyPluginAsync<{ fields: FieldsService; sync?: SyncService }> = async (app, { fields, sync }) => {
  const tags = ['fields'];

  app.get<{ Querystring: FieldListQuery }>(
    '/fields',
    { schema: { tags, summary: "List the API owner's fields (filters leafUserId, provider, type, farmId, created/updated time).", querystring: FieldListQuery, response: { 200: Type.Array(FieldResponse) } } },
    async (request, reply) => {
      const { page: _p, size: _s, sort: _o, ...filter } = request.query;
      const pageRequest = parsePageRequest<FieldSortField>(request.query, FIELD_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      return sendPage(request, reply, pageRequest, await fields.listFields(request.owner, filter, pageRequest)).map((f) => fieldToWire(f));
    },
  );

  app.get<{ Params: UserParams; Querystring: UserFieldListQuery }>(
    '/users/:leafUserId/fields',
    { schema: { tags, summary: "List one Leaf user's fields.", params: UserParams, querystring: UserFieldListQuery, response: { 200: Type.Array(FieldResponse) } } },
    async (request, reply) => {
      await fields.assertUser(request.owner, request.params.leafUserId);
      const { page: _p, size: _s, sort: _o, ...filter } = request.query;
      const pageRequest = parsePageRequest<FieldSortField>(request.query, FIELD_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      const page = await fields.listFields(request.owner, { ...filter, leafUserId: request.params.leafUserId }, pageRequest);
      return sendPage(request, reply, pageRequest, page).map((f) => fieldToWire(f));
    },
  );

  app.post<{ Params: UserParams; Body: CreateFieldBody }>(
    '/users/:leafUserId/fields',
    { schema: { tags, summary: 'Create a manual field with its boundary (GeoJSON MultiPolygon).', params: UserParams, body: CreateFieldBody, response: { 201: FieldResponse } } },
    async (request, reply) => {
      const { field, boundary } = await fields.createField(request.owner, request.params.leafUserId, request.body);
      reply.status(201).header('Location', `${request.url.split('?')[0]?.replace(/\/$/, '')}/${encodeURIComponent(field.id)}`);
      return fieldToWire(field, boundary);
    },
  );

  // Static paths under /fields before the `:fieldId` ones (Fastify prefers them anyway).
  const intersects = async (owner: Parameters<FieldsService['fieldsIntersecting']>[0], body: IntersectsBody, leafUserId: string | undefined) =>
    (await fields.fieldsIntersecting(owner, { leafUserId, geometry: body.geometry, thresholdPercent: body.intersectionThreshold ?? 0.01 })).map(({ field, boundary }) => fieldToWire(field, boundary));

  app.post<{ Body: IntersectsBody }>(
    '/fields/query/intersects',
    {
      schema: {
        tags,
        summary: 'Fields whose active boundary overlaps the geometry by at least intersectionThreshold percent (of the field or of the geometry).',
        body: IntersectsBody,
        response: { 200: Type.Array(FieldResponse) },
      },
    },
    async (request) => intersects(request.owner, request.body, request.body.leafUserId),
  );

  app.post<{ Params: UserParams; Body: IntersectsBody }>(
    '/users/:leafUserId/fields/intersects',
    { schema: { tags, summary: "The same query, on one user's fields (the path Leaf's endpoint table gives).", params: UserParams, body: IntersectsBody, response: { 200: Type.Array(FieldResponse) } } },
    async (request) => intersects(request.owner, request.body, request.params.leafUserId),
  );

  app.post<{ Params: UserParams; Body: IntersectBody }>(
    '/users/:leafUserId/fields/intersect',
    { schema: { tags, summary: "The intersection of the fields' active boundaries, as a MultiPolygon.", params: UserParams, body: IntersectBody, response: { 200: GeometryResponse } } },
    async (request) => fields.intersectFields(request.owner, request.params.leafUserId, request.body),
  );

  app.post<{ Params: UserParams }>(
    '/users/:leafUserId/fields/sync',
    { schema: { tags, summary: 'Ask for a synchronization of the user\'s provider fields.', params: UserParams, response: { 202: SyncResponse } } },
    async (request, reply) => {
      if (sync === undefined) {
        await fields.assertUser(request.owner, request.params.leafUserId);
        return reply.status(202).send({ message: 'Accepted, but not scheduled: this Furrow runs without the sync engine.' });
      }
      const queued = await sync.requestUserSync(request.owner, request.params.leafUserId, { fields: true });
      return reply.status(202).send({ message: queued === 0 ? 'Accepted: the user has no credential of a provider Furrow syncs, so nothing was queued.' : `Accepted: a sync of ${queued} credential${queued === 1 ? '' : 's'} is queued.` });
    },
  );

  app.get<{ Params: FieldParams }>(
    '/users/:leafUserId/fields/:fieldId',
    { schema: { tags, summary: 'Get a field, with its active boundary as `geometry` and `area`.', params: FieldParams, response: { 200: FieldResponse } } },
    async (request) => {
      const { field, boundary } = await fields.getField(request.owner, request.params.leafUserId, request.params.fieldId);
      return fieldToWire(field, boundary);
    },
  );

  app.patch<{ Params: FieldParams; Body: PatchFieldBody }>(
    '/users/:leafUserId/fields/:fieldId',
    { schema: { tags, summary: 'Change a manual field: name, farmId, or geometry (a new active boundary).', params: FieldParams, body: PatchFieldBody, response: { 200: FieldResponse } } },
    async (request) => {
      const { field, boundary } = await fields.patchField(request.owner, request.params.leafUserId, request.params.fieldId, request.body);
      return fieldToWire(field, boundary);
    },
  );

  app.delete<{ Params: FieldParams }>(
    '/users/:leafUserId/fields/:fieldId',
    { schema: { tags, summary: 'Delete a manual field and its boundaries; provider fields are refused.', params: FieldParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await fields.deleteField(request.owner, request.params.leafUserId, request.params.fieldId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: FieldParams }>(
    '/users/:leafUserId/fields/:fieldId/enableSync',
    { schema: { tags, summary: 'A PREVIEW field (customDataSync) becomes WAITING: fetched in full by the next sync.', params: FieldParams, response: { 200: FieldResponse } } },
    async (request) => fieldToWire(await fields.enableSync(request.owner, request.params.leafUserId, request.params.fieldId)),
  );

  app.get<{ Params: FieldParams }>(
    '/users/:leafUserId/fields/:fieldId/boundaries',
    { schema: { tags, summary: "Every boundary of the field, newest first; one is ACTIVE.", params: FieldParams, response: { 200: Type.Array(BoundaryResponse) } } },
    async (request) => (await fields.listBoundaries(request.owner, request.params.leafUserId, request.params.fieldId)).map(boundaryToWire),
  );

  app.get<{ Params: BoundaryParams }>(
    '/users/:leafUserId/fields/:fieldId/boundaries/:boundaryId',
    { schema: { tags, summary: 'Get one boundary of the field.', params: BoundaryParams, response: { 200: BoundaryResponse } } },
    async (request) => boundaryToWire(await fields.getBoundary(request.owner, request.params.leafUserId, request.params.fieldId, request.params.boundaryId)),
  );

  app.get<{ Params: FieldParams }>(
    '/users/:leafUserId/fields/:fieldId/boundary',
    { schema: { tags, summary: "The field's active boundary.", params: FieldParams, response: { 200: BoundaryResponse } } },
    async (request) => boundaryToWire(await fields.activeBoundary(request.owner, request.params.leafUserId, request.params.fieldId)),
  );

  app.put<{ Params: FieldParams; Body: BoundaryBody }>(
    '/users/:leafUserId/fields/:fieldId/boundary',
    { schema: { tags, summary: 'A new active boundary; the previous one becomes INACTIVE.', params: FieldParams, body: BoundaryBody, response: { 200: BoundaryResponse } } },
    async (request) => boundaryToWire(await fields.replaceBoundary(request.owner, request.params.leafUserId, request.params.fieldId, request.body.geometry ?? request.body)),
  );
};
