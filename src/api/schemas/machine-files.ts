/** Wire schemas of Leaf's Operations service, files and batches (`research/leaf-api.md` 7.3, 7.7). */
import { Type, type Static } from '@sinclair/typebox';
import { BATCH_PROVIDERS, BATCH_STATUSES, MACHINE_FILE_ORIGINS, MACHINE_FILE_STATUSES, MACHINE_OPERATION_TYPES } from '../../domain/index.js';
import { pagingQuery } from '../paging.js';
import { nullable } from './nullable.js';

const id = Type.String({ minLength: 1, maxLength: 200 });
const time = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }));

export const FileIdParams = Type.Object({ id });
export type FileIdParams = Static<typeof FileIdParams>;

export const FileListQuery = Type.Object({
  leafUserId: Type.Optional(id),
  provider: Type.Optional(Type.String({ maxLength: 100, description: 'CNHI, JohnDeere, Trimble, ClimateFieldView, AgLeader, RavenSlingshot, Stara, Panorama, Leaf, or the batch provider of an upload.' })),
  status: Type.Optional(Type.Union(MACHINE_FILE_STATUSES.map((s) => Type.Literal(s)))),
  origin: Type.Optional(Type.Union(MACHINE_FILE_ORIGINS.map((s) => Type.Literal(s)))),
  organizationId: Type.Optional(Type.String({ maxLength: 200 })),
  batchId: Type.Optional(id),
  createdTime: time('Files created at or after this time.'),
  updatedTime: time('Files updated at or after this time.'),
  startTime: time('Files whose operation started at or after this time.'),
  endTime: time('Files whose operation ended at or before this time.'),
  operationType: Type.Optional(Type.Union(MACHINE_OPERATION_TYPES.map((s) => Type.Literal(s)))),
  minArea: Type.Optional(Type.Number({ minimum: 0, description: 'Files covering at least this many m².' })),
  fileId: Type.Optional(id),
  fileFormat: Type.Optional(Type.String({ maxLength: 100, description: 'SHAPEFILE, ISO11783, ...' })),
  ...pagingQuery,
});
export type FileListQuery = Static<typeof FileListQuery>;

const url = Type.Optional(Type.String({ description: 'An authenticated Furrow URL (send the bearer token).' }));

const Summary = Type.Object(
  { type: Type.Literal('Feature'), properties: Type.Object({}, { additionalProperties: true }), geometry: Type.Unknown() },
  { additionalProperties: true, description: 'Leaf summary Feature (7.4): coverage MultiPolygon and statistics.' },
);

export const FileResponse = Type.Object({
  id: Type.String(),
  leafUserId: Type.String(),
  apiOwnerUsername: Type.String(),
  provider: Type.String(),
  origin: Type.String(),
  status: Type.String({ description: 'processing, processed or failed.' }),
  fileName: Type.String(),
  fileFormat: nullable(Type.String()),
  operationType: nullable(Type.String()),
  organizationId: Type.Optional(Type.String()),
  providerFileId: Type.Optional(Type.String({ description: "The provider's id of the file, for files a sync brought (origin provider)." })),
  batchId: Type.Optional(Type.String()),
  sources: Type.Optional(Type.Array(Type.String(), { description: 'The files a merged file was made from.' })),
  fields: Type.Array(Type.String()),
  machines: Type.Array(Type.String()),
  createdTime: Type.String({ format: 'date-time' }),
  updatedTime: Type.String({ format: 'date-time' }),
  startTime: nullable(Type.String({ format: 'date-time' })),
  endTime: nullable(Type.String({ format: 'date-time' })),
  sizeInBytes: nullable(Type.Number()),
  originalFile: url,
  downloadOriginalFile: url,
  standardGeojson: url,
  downloadStandardGeojson: url,
  summary: Type.Optional(Summary),
});

export const SummaryResponse = Summary;
export const UnitsResponse = Type.Record(Type.String(), Type.String(), { description: 'Property -> unit (7.6).' });
export const StepStatusResponse = Type.Record(Type.String(), Type.Object({ status: Type.String(), message: Type.String() }), { description: 'Step -> status (7.3).' });
export const GeoparquetResponse = Type.Object({ downloadStandardGeoparquet: Type.String() });

export const DownloadParams = Type.Object({ id, output: Type.Union([Type.Literal('originalFile'), Type.Literal('standardGeojson'), Type.Literal('standardGeoparquet')]) });
export type DownloadParams = Static<typeof DownloadParams>;

export const UncoveredQuery = Type.Object({ leafUserId: id });
export type UncoveredQuery = Static<typeof UncoveredQuery>;
export const UncoveredResponse = Type.Object({ files: Type.Array(Type.String()) });

export const MergeBody = Type.Object({ ids: Type.Array(id, { minItems: 1, maxItems: 100 }) });
export type MergeBody = Static<typeof MergeBody>;
export const MergeResponse = Type.Object({ id: Type.String(), status: Type.Literal('SENT_TO_MERGE') });

export const BatchUploadQuery = Type.Object({
  leafUserId: id,
  provider: Type.Optional(Type.Union(BATCH_PROVIDERS.map((p) => Type.Literal(p)), { description: 'Other (the default) detects the format.' })),
});
export type BatchUploadQuery = Static<typeof BatchUploadQuery>;

export const BatchListQuery = Type.Object({
  leafUserId: Type.Optional(id),
  status: Type.Optional(Type.Union(BATCH_STATUSES.map((s) => Type.Literal(s)))),
  ...pagingQuery,
});
export type BatchListQuery = Static<typeof BatchListQuery>;

export const BatchResponse = Type.Object({
  id: Type.String(),
  leafUserId: Type.String(),
  fileName: Type.String(),
  size: Type.Number(),
  provider: Type.String(),
  status: Type.String({ description: 'RECEIVED, PROCESSING, PROCESSED or FAILED.' }),
  statusDetails: Type.Optional(Type.String({ description: "Leaf's explanation of a FAILED batch." })),
  statusReason: Type.Optional(Type.String({ description: 'Furrow: the precise reason behind statusDetails.' })),
  uploadTimestamp: Type.String({ format: 'date-time' }),
  leafFiles: Type.Optional(Type.Array(Type.String())),
});

const FileIds = Type.Object({ leafFiles: Type.Array(Type.String()) });
export const BatchStatusResponse = Type.Object({
  converted: FileIds,
  processing: FileIds,
  failed: Type.Record(Type.String(), Type.Object({ leafFiles: Type.Array(Type.String()), status: Type.Literal('failed'), message: Type.String() })),
});
