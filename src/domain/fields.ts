/**
 * Growers, farms, fields and boundaries of Leaf's Fields service (research/leaf-api.md 7.1): their
 * resources as the API shows them, statuses, list filters and sort fields, and the boundary-file
 * upload's statuses (uploadservice).
 */
import type { BoundaryValidity, MultiPolygonGeometry } from './geometry.js';

export type FieldType = 'ORIGINAL' | 'MERGED';
/** PREVIEW: known from a provider, not fetched (customDataSync); WAITING: enableSync asked; PROCESSED: fetched. */
export type FieldStatus = 'PROCESSED' | 'PREVIEW' | 'WAITING';
export type BoundaryStatus = 'ACTIVE' | 'INACTIVE' | 'OUTDATED_ON_PROVIDER' | 'DELETED_ON_PROVIDER';

export interface Area {
  value: number;
  unit: 'ha';
}

/** Provider keys of a synced record; all absent on manual ones (Leaf omits them). */
export interface ProviderRef {
  providerName: string;
  /** Leaf's integer id of the provider. */
  providerId: number | null;
}

export interface Grower {
  id: number;
  leafUserId: string;
  name: string | null;
  provider: (ProviderRef & { providerGrowerId: string }) | null;
  farmIds: number[];
  createdTime: string;
  updatedTime: string;
}

export interface Farm {
  id: number;
  leafUserId: string;
  name: string | null;
  growerId: number | null;
  provider: (ProviderRef & { providerFarmId: string; providerFarmName: string | null }) | null;
  fieldIds: string[];
  createdTime: string;
  updatedTime: string;
}

export interface FieldProviderRef extends ProviderRef {
  providerFieldId: string;
  providerBoundaryId: string | null;
  providerFieldName: string | null;
  organizationId: string | null;
}

export interface Field {
  id: string;
  leafUserId: string;
  name: string | null;
  farmId: number | null;
  provider: FieldProviderRef | null;
  type: FieldType;
  status: FieldStatus;
  mergedFieldId: string | null;
  sources: string[];
  /** Every boundary id, newest first. */
  boundaries: string[];
  createdTime: string;
  updatedTime: string;
}

export interface Boundary {
  id: string;
  fieldId: string;
  leafUserId: string;
  status: BoundaryStatus;
  providerStatus: 'ACTIVE' | 'INACTIVE' | null;
  providerBoundaryId: string | null;
  geometry: MultiPolygonGeometry;
  area: Area;
  validity: BoundaryValidity;
  /** `FIXED` when automaticFixBoundary repaired the geometry (the invalid one is kept, inactive). */
  fixStatus: 'FIXED' | null;
  createdTime: string;
  updatedTime: string;
}

/** What a boundary adds to the index of a user's fields; the hook the field-operations use. */
export interface ActiveBoundary {
  fieldId: string;
  boundaryId: string;
  geometry: MultiPolygonGeometry;
  areaHectares: number;
}

export interface FieldFilter {
  leafUserId?: string | undefined;
  /** Leaf's provider name (`JohnDeere`); `Leaf` lists manual fields. */
  provider?: string | undefined;
  type?: FieldType | undefined;
  farmId?: number | undefined;
  beforeCreatedTime?: string | undefined;
  afterCreatedTime?: string | undefined;
  beforeUpdatedTime?: string | undefined;
  afterUpdatedTime?: string | undefined;
}

export const FIELD_SORT_FIELDS = ['id', 'name', 'createdTime', 'updatedTime'] as const;
export type FieldSortField = (typeof FIELD_SORT_FIELDS)[number];

export interface GrowerFilter {
  leafUserId?: string | undefined;
  provider?: string | undefined;
}
export interface FarmFilter extends GrowerFilter {
  growerId?: number | undefined;
}
export const GROWER_SORT_FIELDS = ['id', 'name', 'createdTime', 'updatedTime'] as const;
export type GrowerSortField = (typeof GROWER_SORT_FIELDS)[number];

/** The `provider` filter value that selects fields made through the API rather than synced. */
export const MANUAL_PROVIDER = 'Leaf';

/** Boundary-file uploads (uploadservice, leaf-api.md 7.1). */
export type BoundaryUploadStatus = 'RECEIVED' | 'PROCESSED' | 'FAILED';
export type BoundaryUploadEntryStatus = 'PROCESSING' | 'CONVERTED' | 'FINISHED' | 'FAILED' | 'PARTIALLY_FINISHED';
export type BoundaryConverterFormat = 'GEOJSON' | 'SHAPEFILE' | 'KML';

export interface BoundaryUploadEntry {
  id: string;
  fieldId: string[];
  converterFormat: BoundaryConverterFormat | null;
  /** The file inside the upload this entry was read from. */
  fileName: string;
  status: BoundaryUploadEntryStatus;
  createFieldErrorDetails: string[];
  createdTime: string;
  processedTime: string | null;
}

export interface BoundaryUpload {
  id: string;
  leafUserId: string;
  farmId: number | null;
  fileName: string;
  status: BoundaryUploadStatus;
  entries: BoundaryUploadEntry[];
  createdTime: string;
}
