/**
 * Field operations (leaf-api.md 7.8): the machine files of one field, activity and pass window
 * merged into one record, with its fields' coverage and its outputs.
 */

export type FieldOperationStatus = 'processing' | 'processed' | 'failed';

/** Outputs an operation can have in the blob store. */
export type FieldOperationOutput = 'standardGeojson' | 'filteredGeojson' | 'standardGeoparquet' | 'filteredGeoparquet';

export interface FieldOperationField {
  fieldId: string;
  boundaryId: string;
  /** Percent (0-100) of the field's area the operation's swaths cover; null until built. */
  coverage: number | null;
}

export interface FieldOperationRecord {
  id: string;
  ownerId: string;
  leafUserId: string;
  operationType: string;
  groupKey: string;
  status: FieldOperationStatus;
  statusReason: string | null;
  revision: number;
  builtRevision: number | null;
  configHash: string;
  providers: string[];
  summary: unknown;
  units: Record<string, string> | null;
  outputs: FieldOperationOutput[];
  startTime: string | null;
  endTime: string | null;
  createdTime: string;
  updatedTime: string;
  files: string[];
  fields: FieldOperationField[];
}

/** Where a file's points fell: one entry per field it has points in. */
export interface FileFieldShare {
  fieldId: string;
  boundaryId: string;
  points: number;
  /** Points in the field / all the file's points, 0-1. */
  share: number;
}

/** Leaf's sort fields for `GET /operations`. */
export const OPERATION_SORT_FIELDS = ['id', 'leafUserId', 'startTime', 'endTime', 'type', 'updatedTime'] as const;
export type OperationSortField = (typeof OPERATION_SORT_FIELDS)[number];

/** `GET /operations` filters (7.8); times compare as ISO 8601 text. */
export interface OperationFilter {
  leafUserId?: string | undefined;
  provider?: string | undefined;
  /** Operations starting at or after. */
  startTime?: string | undefined;
  /** Operations ending at or before. */
  endTime?: string | undefined;
  /** Operations updated at or after. */
  updatedTime?: string | undefined;
  operationType?: string | undefined;
  fieldId?: string | undefined;
}
