/**
 * Machine files and batches as Leaf's Operations service shows them (leaf-api.md 7.3 and 7.7).
 * Every link is an authenticated Furrow URL (`download...`), as Leaf's are since 2024; the
 * `xxx`/`downloadXxx` pairs therefore carry the same URL.
 */
import type { BatchRecord, FileOutput, MachineFileRecord, OwnerContext } from '../domain/index.js';

export const OPERATIONS_API_PATH = '/services/operations/api';

/** What can be downloaded for a file: its outputs and the upload it came from. */
export const DOWNLOADS = ['originalFile', 'standardGeojson', 'standardGeoparquet'] as const;
export type Download = (typeof DOWNLOADS)[number];

export interface FileView {
  id: string;
  leafUserId: string;
  apiOwnerUsername: string;
  provider: string;
  origin: string;
  status: string;
  fileName: string;
  fileFormat: string | null;
  operationType: string | null;
  organizationId?: string;
  /** The provider's id of the file, for origin `provider` (7.3). */
  providerFileId?: string;
  batchId?: string;
  sources?: string[];
  /** Field and machine links come with field operations; empty until then. */
  fields: string[];
  machines: string[];
  createdTime: string;
  updatedTime: string;
  startTime: string | null;
  endTime: string | null;
  sizeInBytes: number | null;
  originalFile?: string;
  downloadOriginalFile?: string;
  standardGeojson?: string;
  downloadStandardGeojson?: string;
  summary?: unknown;
}

export interface BatchView {
  id: string;
  leafUserId: string;
  fileName: string;
  size: number;
  provider: string;
  status: string;
  /** Leaf's explanation of a FAILED batch (7.7), verbatim. */
  statusDetails?: string;
  /** Furrow's: the precise reason behind `statusDetails`. */
  statusReason?: string;
  uploadTimestamp: string;
  leafFiles?: string[];
}

export function downloadUrl(base: string | undefined, fileId: string, download: Download): string {
  return `${base ?? ''}${OPERATIONS_API_PATH}/files/${fileId}/download/${download}`;
}

export function fileView(owner: OwnerContext, file: MachineFileRecord, base: string | undefined): FileView {
  const view: FileView = {
    id: file.id,
    leafUserId: file.leafUserId,
    apiOwnerUsername: owner.username,
    provider: file.provider,
    origin: file.origin,
    status: file.status,
    fileName: file.fileName,
    fileFormat: file.fileFormat,
    operationType: file.operationType,
    fields: [],
    machines: [],
    createdTime: file.createdTime,
    updatedTime: file.updatedTime,
    startTime: file.startTime,
    endTime: file.endTime,
    sizeInBytes: file.sizeInBytes,
  };
  if (file.organizationId !== null) view.organizationId = file.organizationId;
  if (file.providerFileId !== undefined && file.providerFileId !== null) view.providerFileId = file.providerFileId;
  if (file.batchId !== null) {
    // Leaf names a batch only on uploaded files (7.3); a provider file's batch is Furrow's own.
    if (file.origin === 'uploaded') view.batchId = file.batchId;
    view.originalFile = view.downloadOriginalFile = downloadUrl(base, file.id, 'originalFile');
  }
  if (file.sources !== null) view.sources = file.sources;
  if (file.outputs.includes('standardGeojson')) view.standardGeojson = view.downloadStandardGeojson = downloadUrl(base, file.id, 'standardGeojson');
  if (file.summary !== null) view.summary = file.summary;
  return view;
}

export function batchView(batch: BatchRecord, leafFiles?: string[]): BatchView {
  const view: BatchView = {
    id: batch.id,
    leafUserId: batch.leafUserId,
    fileName: batch.fileName,
    size: batch.size,
    provider: batch.provider,
    status: batch.status,
    uploadTimestamp: batch.uploadTimestamp,
  };
  if (batch.statusDetails !== null) view.statusDetails = batch.statusDetails;
  if (batch.statusReason !== null) view.statusReason = batch.statusReason;
  if (leafFiles !== undefined) view.leafFiles = leafFiles;
  return view;
}

/** `GET /batch/{id}/status` (7.7): converted and processing files, and failed ones by failing step. */
export interface BatchStatusView {
  converted: { leafFiles: string[] };
  processing: { leafFiles: string[] };
  failed: Record<string, { leafFiles: string[]; status: 'failed'; message: string }>;
}

export function batchStatusView(files: readonly MachineFileRecord[]): BatchStatusView {
  const view: BatchStatusView = { converted: { leafFiles: [] }, processing: { leafFiles: [] }, failed: {} };
  for (const file of files) {
    if (file.status === 'processed') view.converted.leafFiles.push(file.id);
    else if (file.status === 'processing') view.processing.leafFiles.push(file.id);
    else {
      const [step, status] = firstFailedStep(file);
      const entry = (view.failed[step] ??= { leafFiles: [], status: 'failed', message: status });
      entry.leafFiles.push(file.id);
      // Files failing the same step for different reasons share Leaf's one message slot.
      if (!entry.message.split('; ').includes(status)) entry.message = `${entry.message}; ${status}`;
    }
  }
  return view;
}

/** The first failed step and its message, `standardGeojson` when none says. */
export function firstFailedStep(file: MachineFileRecord): [string, string] {
  for (const [step, status] of Object.entries(file.steps)) if (status.status === 'failed') return [step, status.message];
  return ['standardGeojson', 'failed'];
}

export const OUTPUT_CONTENT_TYPES: Record<FileOutput | 'originalFile', string> = {
  originalFile: 'application/zip',
  standardGeojson: 'application/geo+json',
  standardGeoparquet: 'application/vnd.apache.parquet',
};
