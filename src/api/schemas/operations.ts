/** Wire schemas of Leaf's field operations (`research/leaf-api.md` 7.8). */
import { Type, type Static } from '@sinclair/typebox';
import { MACHINE_OPERATION_TYPES } from '../../domain/index.js';
import { pagingQuery } from '../paging.js';
import { nullable } from './nullable.js';

const id = Type.String({ minLength: 1, maxLength: 200 });
const time = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }));

export const OperationIdParams = Type.Object({ id });
export type OperationIdParams = Static<typeof OperationIdParams>;

export const OperationListQuery = Type.Object({
  leafUserId: Type.Optional(id),
  provider: Type.Optional(Type.String({ maxLength: 100, description: 'CNHI, JohnDeere, Trimble, ClimateFieldView, AgLeader, Stara, Panorama, Leaf, or an upload batch provider: operations with a file from it.' })),
  startTime: time('Operations that started at or after this time.'),
  endTime: time('Operations that ended at or before this time.'),
  updatedTime: time('Operations updated at or after this time.'),
  operationType: Type.Optional(Type.Union(MACHINE_OPERATION_TYPES.map((s) => Type.Literal(s)))),
  fieldId: Type.Optional(id),
  ...pagingQuery,
});
export type OperationListQuery = Static<typeof OperationListQuery>;

export const OperationResponse = Type.Object({
  id: Type.String(),
  apiOwnerUsername: Type.String(),
  leafUserId: Type.String(),
  startTime: nullable(Type.String()),
  endTime: nullable(Type.String()),
  updatedTime: Type.String(),
  type: Type.String(),
  files: Type.Array(Type.String()),
  fields: Type.Array(Type.Object({ id: Type.String(), coverage: nullable(Type.Number({ description: 'Percent (0-100) of the field boundary covered by the operation.' })) })),
  providers: Type.Array(Type.String()),
  status: Type.String({ description: "Furrow's: processing until the outputs are built, then processed or failed." }),
  statusReason: Type.Optional(Type.String()),
});

export const OperationOutputParams = Type.Object({
  id,
  output: Type.Union([Type.Literal('standardGeojson'), Type.Literal('filteredGeojson'), Type.Literal('standardGeoparquet'), Type.Literal('filteredGeoparquet')]),
});
export type OperationOutputParams = Static<typeof OperationOutputParams>;

export const OperationLinksResponse = Type.Record(Type.String(), Type.String(), { description: 'The output URL under Leaf\'s keys (e.g. `standardGeojson` and `downloadStandardGeojson`); authenticated Furrow URLs.' });
export const MachinesResponse = Type.Object({ machines: Type.Array(Type.String()) });

export const FieldOperationFilesParams = Type.Object({ leafUserId: id, fieldId: id });
export type FieldOperationFilesParams = Static<typeof FieldOperationFilesParams>;
