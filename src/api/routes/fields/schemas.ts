/** Wire schemas of the Fields service (research/leaf-api.md 7.1), shared by its routes and OpenAPI. */
import { Type, type Static } from '@sinclair/typebox';
import { pagingQuery } from '../../paging.js';
import { nullable } from '../../schemas/nullable.js';

const GeometryBody = Type.Object(
  { type: Type.String({ description: 'MultiPolygon (Polygon is accepted and stored as a MultiPolygon).' }), coordinates: Type.Array(Type.Unknown()) },
  { additionalProperties: true, description: 'GeoJSON geometry, WGS 84 longitude/latitude.' },
);
const GeometryResponse = Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Unknown()) });
const AreaResponse = Type.Object({ value: Type.Number(), unit: Type.Literal('ha') });

export const UserParams = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 200 }) });
export type UserParams = Static<typeof UserParams>;
export const FieldParams = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 200 }), fieldId: Type.String({ minLength: 1, maxLength: 200 }) });
export type FieldParams = Static<typeof FieldParams>;
export const BoundaryParams = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 200 }), fieldId: Type.String({ minLength: 1, maxLength: 200 }), boundaryId: Type.String({ minLength: 1, maxLength: 200 }) });
export type BoundaryParams = Static<typeof BoundaryParams>;
export const NumericIdParams = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 200 }), id: Type.Integer({ minimum: 1 }) });
export type NumericIdParams = Static<typeof NumericIdParams>;
export const GrowerIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type GrowerIdParams = Static<typeof GrowerIdParams>;

export const FieldListQuery = Type.Object({
  leafUserId: Type.Optional(Type.String()),
  provider: Type.Optional(Type.String({ description: "Leaf's provider name (JohnDeere, ...); Leaf lists fields made through the API." })),
  type: Type.Optional(Type.Union([Type.Literal('ORIGINAL'), Type.Literal('MERGED')])),
  farmId: Type.Optional(Type.Integer()),
  beforeCreatedTime: Type.Optional(Type.String({ format: 'date-time' })),
  afterCreatedTime: Type.Optional(Type.String({ format: 'date-time' })),
  beforeUpdatedTime: Type.Optional(Type.String({ format: 'date-time' })),
  afterUpdatedTime: Type.Optional(Type.String({ format: 'date-time' })),
  ...pagingQuery,
});
export type FieldListQuery = Static<typeof FieldListQuery>;

export const UserFieldListQuery = Type.Omit(FieldListQuery, ['leafUserId']);
export type UserFieldListQuery = Static<typeof UserFieldListQuery>;

export const GrowerListQuery = Type.Object({ leafUserId: Type.Optional(Type.String()), provider: Type.Optional(Type.String()), ...pagingQuery });
export type GrowerListQuery = Static<typeof GrowerListQuery>;
export const FarmListQuery = Type.Object({ leafUserId: Type.Optional(Type.String()), provider: Type.Optional(Type.String()), growerId: Type.Optional(Type.Integer()), ...pagingQuery });
export type FarmListQuery = Static<typeof FarmListQuery>;

export const CreateFieldBody = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Your id for the field; a UUID is generated when absent. It cannot change later.' })),
    name: Type.Optional(nullable(Type.String({ maxLength: 1000 }))),
    farmId: Type.Optional(nullable(Type.Integer())),
    geometry: GeometryBody,
  },
  { additionalProperties: true },
);
export type CreateFieldBody = Static<typeof CreateFieldBody>;

export const PatchFieldBody = Type.Object(
  { name: Type.Optional(nullable(Type.String({ maxLength: 1000 }))), farmId: Type.Optional(nullable(Type.Integer())), geometry: Type.Optional(GeometryBody) },
  { additionalProperties: true },
);
export type PatchFieldBody = Static<typeof PatchFieldBody>;

/** Leaf sends `{ "geometry": {...} }`; a bare GeoJSON geometry is accepted too. */
export const BoundaryBody = Type.Object(
  { geometry: Type.Optional(GeometryBody), type: Type.Optional(Type.String()), coordinates: Type.Optional(Type.Array(Type.Unknown())) },
  { additionalProperties: true },
);
export type BoundaryBody = Static<typeof BoundaryBody>;

export const IntersectsBody = Type.Object(
  {
    geometry: GeometryBody,
    intersectionThreshold: Type.Optional(Type.Number({ minimum: 0.01, maximum: 100, description: 'Percent of the field or of the geometry that must overlap; default 0.01.' })),
    leafUserId: Type.Optional(Type.String({ description: "Furrow addition: only this user's fields." })),
  },
  { additionalProperties: true },
);
export type IntersectsBody = Static<typeof IntersectsBody>;

export const IntersectBody = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 2, maxItems: 100 });
export type IntersectBody = Static<typeof IntersectBody>;

export const GrowerBody = Type.Object({ name: Type.Optional(nullable(Type.String({ maxLength: 1000 }))) }, { additionalProperties: true });
export type GrowerBody = Static<typeof GrowerBody>;
export const FarmBody = Type.Object({ name: Type.Optional(nullable(Type.String({ maxLength: 1000 }))), growerId: Type.Optional(nullable(Type.Integer())) }, { additionalProperties: true });
export type FarmBody = Static<typeof FarmBody>;

const optionalText = Type.Optional(nullable(Type.String()));
export const FieldResponse = Type.Object(
  {
    id: Type.String(),
    leafUserId: Type.String(),
    name: optionalText,
    boundaries: Type.Array(Type.String()),
    providerName: Type.Optional(Type.String()),
    providerId: Type.Optional(nullable(Type.Integer())),
    providerFieldId: Type.Optional(Type.String()),
    providerBoundaryId: optionalText,
    providerFieldName: optionalText,
    organizationId: optionalText,
    type: Type.String(),
    status: Type.String(),
    farmId: Type.Optional(nullable(Type.Integer())),
    mergedFieldId: Type.Optional(Type.String()),
    sources: Type.Array(Type.String()),
    files: Type.Array(Type.String()),
    geometry: Type.Optional(GeometryResponse),
    area: Type.Optional(AreaResponse),
    createdTime: Type.String(),
    updatedTime: Type.String(),
  },
  { description: 'A field; `geometry` and `area` are the active boundary (deprecated by Leaf, still sent).' },
);

export const BoundaryResponse = Type.Object({
  id: Type.String(),
  status: Type.String(),
  providerStatus: Type.Optional(Type.String()),
  providerBoundaryId: Type.Optional(Type.String()),
  geometry: GeometryResponse,
  area: AreaResponse,
  validity: Type.String(),
  fixStatus: Type.Optional(Type.String()),
  createdTime: Type.String(),
  updatedTime: Type.String(),
});

export const GrowerResponse = Type.Object({
  id: Type.Integer(),
  name: nullable(Type.String()),
  leafUserId: Type.String(),
  providerName: Type.Optional(Type.String()),
  providerId: Type.Optional(nullable(Type.Integer())),
  providerGrowerId: Type.Optional(Type.String()),
  farmIds: Type.Array(Type.Integer()),
  createdTime: Type.String(),
  updatedTime: Type.String(),
});

export const FarmResponse = Type.Object({
  id: Type.Integer(),
  name: nullable(Type.String()),
  leafUserId: Type.String(),
  growerId: nullable(Type.Integer()),
  providerName: Type.Optional(Type.String()),
  providerId: Type.Optional(nullable(Type.Integer())),
  providerFarmId: Type.Optional(Type.String()),
  providerFarmName: Type.Optional(nullable(Type.String())),
  fieldIds: Type.Array(Type.String()),
  createdTime: Type.String(),
  updatedTime: Type.String(),
});

export const SyncResponse = Type.Object({ message: Type.String() });
export { GeometryResponse };
