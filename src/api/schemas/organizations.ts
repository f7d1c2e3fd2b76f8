/** Wire schemas of provider organizations (leaf-api.md 3.5), shared by routes and OpenAPI. */
import { Type, type Static } from '@sinclair/typebox';
import { ORGANIZATION_SORT_FIELDS, ORGANIZATION_STATUSES, SETTABLE_ORGANIZATION_STATUSES } from '../../domain/index.js';
import { pagingQuery } from '../paging.js';
import { nullable } from './nullable.js';

const managementUri = nullable(Type.String({ description: "The provider's page where the grower connects the organization to the application, or manages the connection." }));

/** An organization of `GET /users/{id}/organizations/{provider}`. */
const OrganizationSummary = Type.Object({ id: Type.String(), name: Type.String(), managementUri });

export const OrganizationsOverviewResponse = Type.Object({
  connectedOrganizations: Type.Array(OrganizationSummary),
  notConnectedOrganizations: Type.Array(OrganizationSummary),
});

/** Leaf's provider-organization resource. */
export const OrganizationResponse = Type.Object({
  providerOrgId: Type.String(),
  providerOrgName: Type.String(),
  status: Type.String({ enum: [...ORGANIZATION_STATUSES] }),
  managementUri,
});

const id = Type.String({ minLength: 1, maxLength: 200, description: 'The Leaf user id.' });
const apiName = Type.String({ minLength: 1, maxLength: 100, description: "Leaf's provider name, e.g. JohnDeere." });
const orgId = Type.String({ minLength: 1, maxLength: 200, description: "The provider's organization id." });
// Not an enum here: the service's check names the allowed values in its 400, which Ajv's enum message does not.
const status = Type.String({ maxLength: 100, description: `${SETTABLE_ORGANIZATION_STATUSES.join(' or ')}; BLOCKED follows the provider's connection.` });

export const OrganizationsParams = Type.Object({ id, apiName });
export type OrganizationsParams = Static<typeof OrganizationsParams>;
export const OrganizationParams = Type.Object({ id, apiName, orgId });
export type OrganizationParams = Static<typeof OrganizationParams>;
export const OrganizationStatusParams = Type.Object({ id, apiName, orgId, status });
export type OrganizationStatusParams = Static<typeof OrganizationStatusParams>;

/** Furrow also takes the status as a body, for clients that PATCH a resource with JSON. */
export const OrganizationStatusBody = Type.Object({ status: Type.Optional(Type.Unknown({ description: status.description })) }, { additionalProperties: true });
export type OrganizationStatusBody = Static<typeof OrganizationStatusBody>;

export const OrganizationsQuery = Type.Object({
  ...pagingQuery,
  sort: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: `field[,asc|desc] with field one of ${ORGANIZATION_SORT_FIELDS.join(', ')}; repeatable.` })),
});
