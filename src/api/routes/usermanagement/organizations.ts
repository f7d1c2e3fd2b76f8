import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FurrowError, ORGANIZATION_SORT_FIELDS, parseSettableOrganizationStatus, type OrganizationSortField, type PagingQuery } from '../../../domain/index.js';
import type { OrganizationsService } from '../../../services/organizations.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import {
  OrganizationParams,
  OrganizationResponse,
  OrganizationsOverviewResponse,
  OrganizationsParams,
  OrganizationsQuery,
  OrganizationStatusBody,
  OrganizationStatusParams,
} from '../../schemas/organizations.js';

/**
 * Provider organizations (leaf-api.md 3.5): `/users/{id}/organizations/{provider}` and Leaf's sync
 * management under `/users/{id}/{provider}/organizations`. `{provider}` is Leaf's name
 * (`JohnDeere`); the service answers 404 naming the providers served.
 *
 * These paths have four or more segments, so the credentials plugin's `/users/:id/:resource`
 * catch-all (three) never takes them; `/users/:id/organizations/:apiName` is told apart from
 * `/users/:id/:apiName/organizations` by its static third segment, which the router prefers.
 */
export const organizationsRoutes: FastifyPluginAsync<{ organizations: OrganizationsService }> = async (app, { organizations }) => {
  const tags = ['organizations'];

  app.get<{ Params: OrganizationsParams }>(
    '/users/:id/organizations/:apiName',
    { schema: { tags, summary: "The user's organizations at the provider, connected to your application and not.", params: OrganizationsParams, response: { 200: OrganizationsOverviewResponse } } },
    async (request) => organizations.overview(request.owner, request.params.id, request.params.apiName),
  );

  app.get<{ Params: OrganizationsParams; Querystring: PagingQuery }>(
    '/users/:id/:apiName/organizations',
    { schema: { tags, summary: "The user's organizations at the provider with their sync status (SELECTED, PREVIEW, BLOCKED).", params: OrganizationsParams, querystring: OrganizationsQuery, response: { 200: Type.Array(OrganizationResponse) } } },
    async (request, reply) => {
      const pageRequest = parsePageRequest<OrganizationSortField>(request.query, ORGANIZATION_SORT_FIELDS, [{ field: 'providerOrgName', direction: 'asc' }]);
      const page = await organizations.list(request.owner, request.params.id, request.params.apiName, pageRequest);
      return sendPage(request, reply, pageRequest, page);
    },
  );

  app.post<{ Params: OrganizationsParams }>(
    '/users/:id/:apiName/organizations/sync',
    { schema: { tags, summary: "List the user's organizations at the provider again; statuses set before are kept.", params: OrganizationsParams, response: { 200: Type.Array(OrganizationResponse) } } },
    async (request) => organizations.sync(request.owner, request.params.id, request.params.apiName),
  );

  app.get<{ Params: OrganizationParams }>(
    '/users/:id/:apiName/organizations/:orgId',
    { schema: { tags, summary: 'One organization with its sync status.', params: OrganizationParams, response: { 200: OrganizationResponse } } },
    async (request) => organizations.get(request.owner, request.params.id, request.params.apiName, request.params.orgId),
  );

  // Leaf documents the status in the path and no body.
  app.patch<{ Params: OrganizationStatusParams; Body: OrganizationStatusBody | undefined }>(
    '/users/:id/:apiName/organizations/:orgId/:status',
    { schema: { tags, summary: 'Set the sync status: SELECTED (fetch everything) or PREVIEW (the organization only).', params: OrganizationStatusParams, response: { 200: OrganizationResponse } } },
    async (request) => {
      const { id, apiName, orgId } = request.params;
      const status = parseSettableOrganizationStatus(request.params.status, 'params.status');
      const bodyStatus = (request.body as OrganizationStatusBody | undefined)?.status;
      if (bodyStatus !== undefined && bodyStatus !== status) {
        throw new FurrowError('validation_failed', `The body's status ${JSON.stringify(bodyStatus)} differs from the path's "${status}"; send one of them.`, { fieldErrors: [{ field: 'body.status', message: 'must match the status in the path' }] });
      }
      return organizations.setStatus(request.owner, id, apiName, orgId, status);
    },
  );

  // Furrow extension: the same change as JSON, `{ "status": "PREVIEW" }`.
  app.patch<{ Params: OrganizationParams; Body: OrganizationStatusBody }>(
    '/users/:id/:apiName/organizations/:orgId',
    { schema: { tags, summary: 'Set the sync status from a JSON body { "status": "SELECTED" | "PREVIEW" }.', params: OrganizationParams, body: OrganizationStatusBody, response: { 200: OrganizationResponse } } },
    async (request) => {
      const { id, apiName, orgId } = request.params;
      return organizations.setStatus(request.owner, id, apiName, orgId, parseSettableOrganizationStatus(request.body?.status, 'body.status'));
    },
  );
};
