/**
 * Machine files and upload batches of Leaf's Operations service (research/leaf-api.md 7.3 and
 * 7.7): their statuses, the filters and sort fields of their lists, and the batch status
 * details Leaf documents, kept verbatim because clients compare them.
 */

/** Per-file processing status, lower-case as Leaf spells it (7.3). */
export type MachineFileStatus = 'processing' | 'processed' | 'failed';
export const MACHINE_FILE_STATUSES = ['processing', 'processed', 'failed'] as const;

/** Where a file came from (7.3 `origin` filter). */
export type MachineFileOrigin = 'provider' | 'uploaded' | 'merged' | 'automerged';
export const MACHINE_FILE_ORIGINS = ['provider', 'uploaded', 'merged', 'automerged'] as const;

export const MACHINE_OPERATION_TYPES = ['harvested', 'planted', 'applied', 'tillage'] as const;

/** Batch status, upper-case as Leaf spells it (7.7). */
export type BatchStatus = 'RECEIVED' | 'PROCESSING' | 'PROCESSED' | 'FAILED';
export const BATCH_STATUSES = ['RECEIVED', 'PROCESSING', 'PROCESSED', 'FAILED'] as const;

/** The `provider` values Leaf accepts on `POST /batch` (7.7); `Other` means "detect it". */
export const BATCH_PROVIDERS = ['Other', 'Leaf', 'ClimateFieldView', 'CNHI', 'JohnDeere', 'Trimble', 'AgLeader', 'Farmobile', 'PrecisionPlanting'] as const;
export type BatchProvider = (typeof BATCH_PROVIDERS)[number];

/** Leaf's batch `statusDetails` strings (7.7), verbatim. */
export const BATCH_STATUS_DETAILS = {
  noValidFiles: 'No valid files found',
  internalError: 'Leaf internal error. Please contact Support',
  unableToRead: 'Files found but unable to read. Please check file format before re-trying or contact Support',
  noOperation: 'No operation found. Check file format before re-trying or contact support.',
} as const;

/** One step of a file's processing (7.3 `GET /files/{id}/status`). */
export interface FileStepStatus {
  status: 'processed' | 'failed' | 'skipped';
  message: string;
}

/** Outputs a file may have in the blob store. */
export const FILE_OUTPUTS = ['standardGeojson', 'standardGeoparquet'] as const;
export type FileOutput = (typeof FILE_OUTPUTS)[number];

/** A machine file as stored: one per converted log (or per dataset that could not be read). */
export interface MachineFileRecord {
  id: string;
  ownerId: string;
  leafUserId: string;
  batchId: string | null;
  provider: string;
  origin: MachineFileOrigin;
  organizationId: string | null;
  fileName: string;
  fileFormat: string | null;
  operationType: string | null;
  status: MachineFileStatus;
  /** Step name -> status; empty while processing. */
  steps: Record<string, FileStepStatus>;
  summary: unknown;
  units: Record<string, string> | null;
  startTime: string | null;
  endTime: string | null;
  sizeInBytes: number | null;
  createdTime: string;
  updatedTime: string;
  /** Ids of the files a merged file was made from. */
  sources: string[] | null;
  bbox: [number, number, number, number] | null;
  pointCount: number | null;
  /** Covered area in m² (the summary's `totalArea`), for the `minArea` filter. */
  areaM2: number | null;
  warnings: string[];
  /** The dataset and log inside the batch's upload this file was made from (`path#ordinal`). */
  sourceKey: string | null;
  /** Which outputs exist in the blob store. */
  outputs: FileOutput[];
  /** The provider's id of the file it came from, for origin `provider`. */
  providerFileId?: string | null | undefined;
}

export const FILE_SORT_FIELDS = ['id', 'fileName', 'createdTime', 'updatedTime', 'origin', 'leafUserId', 'sizeInBytes', 'provider', 'organizationId', 'fileFormat'] as const;
export type FileSortField = (typeof FILE_SORT_FIELDS)[number];

/** `GET /files` filters (7.3); times compare as ISO 8601 text. */
export interface FileFilter {
  leafUserId?: string | undefined;
  provider?: string | undefined;
  status?: MachineFileStatus | undefined;
  origin?: MachineFileOrigin | undefined;
  organizationId?: string | undefined;
  batchId?: string | undefined;
  /** Created at or after. */
  createdTime?: string | undefined;
  /** Updated at or after. */
  updatedTime?: string | undefined;
  /** Starting at or after. */
  startTime?: string | undefined;
  /** Ending at or before. */
  endTime?: string | undefined;
  operationType?: string | undefined;
  /** Covered area of at least this many m². */
  minArea?: number | undefined;
  fileId?: string | undefined;
  fileFormat?: string | undefined;
}

/** An upload batch as stored. */
export interface BatchRecord {
  id: string;
  ownerId: string;
  leafUserId: string;
  provider: string;
  fileName: string;
  size: number;
  status: BatchStatus;
  statusDetails: string | null;
  /** Furrow's reason behind `statusDetails` (the archive or format error), when there is one. */
  statusReason: string | null;
  uploadTimestamp: string;
  updatedTime: string;
  /** Present for a provider file a sync downloaded (origin `provider`); absent for an upload. */
  providerFile?: ProviderFileSource | undefined;
}

/** A provider file by its natural key (user, provider, `providerFileId`, `version`) and where it was found. */
export interface ProviderFileSource {
  credentialId: string;
  organizationId: string | null;
  providerFileId: string;
  version: string;
  /** The operation the provider's listing names (harvested, planted, applied, tillage), if any. */
  operationType?: string | null | undefined;
}

export const BATCH_SORT_FIELDS = ['id', 'uploadTimestamp', 'fileName', 'size', 'status', 'leafUserId', 'provider'] as const;
export type BatchSortField = (typeof BATCH_SORT_FIELDS)[number];

export interface BatchFilter {
  leafUserId?: string | undefined;
  status?: BatchStatus | undefined;
}

/** Square metres in one unit of area as Leaf spells them. */
export const SQUARE_METRES_PER: Readonly<Record<string, number>> = { m2: 1, ha: 10_000, ac: 4046.8564224 };
