/**
 * Leaf's Operations service, files part (leaf-api.md 7.3 and 7.7): batch uploads streamed to the
 * blob store and processed by jobs, the files they become, their summaries, units, statuses and
 * downloads, and merges. Scoped by API owner: another owner's ids answer `not_found`.
 */
import crypto from 'node:crypto';
import {
  FurrowError,
  nowIso,
  type BatchFilter,
  type BatchRecord,
  type BatchSortField,
  type FileFilter,
  type FileSortField,
  type FileStepStatus,
  type MachineFileRecord,
  type OwnerContext,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { MachineFileBatchesRepository } from '../storage/repositories/machine-file-batches.js';
import type { MachineFilesRepository } from '../storage/repositories/machine-files.js';
import type { UsersRepository } from '../storage/repositories/users.js';
import type { AlertOutbox } from './alerts.js';
import type { ConfigurationsService } from './configurations.js';
import type { MachineFilePipeline } from './machine-files-pipeline.js';
import { blobKeys, machineFilesProcessing } from './machine-files-processing.js';
import { OUTPUT_CONTENT_TYPES, batchStatusView, batchView, fileView, type BatchStatusView, type BatchView, type Download, type FileView } from './machine-files-views.js';

export type { BatchStatusView, BatchView, Download, FileView } from './machine-files-views.js';
export { DOWNLOADS } from './machine-files-views.js';

/** What the service asks of the job queue; `jobs/machine-file-jobs.ts` implements it. */
export interface MachineFileJobs {
  processBatch(batchId: string): Promise<void>;
  processMerge(fileId: string): Promise<void>;
}

export interface UploadInput {
  leafUserId: string;
  provider: string;
  fileName: string;
  /** The bytes as they arrive; never buffered whole. */
  content: AsyncIterable<Uint8Array>;
  /** The request's Content-Length, when sent: refused before reading a byte when too large. */
  declaredSize?: number | undefined;
}

export interface FileDownload {
  content: AsyncIterable<Uint8Array>;
  size: number | undefined;
  contentType: string;
  fileName: string;
}

export interface MachineFilesService {
  /** `FURROW_UPLOAD_LIMIT_BYTES`: the HTTP edge stops reading an upload just past it. */
  readonly uploadLimitBytes: number;
  upload(owner: OwnerContext, input: UploadInput): Promise<BatchView>;
  listBatches(owner: OwnerContext, filter: BatchFilter, page: PageRequest<BatchSortField>): Promise<Page<BatchView>>;
  getBatch(owner: OwnerContext, id: string): Promise<BatchView>;
  batchStatus(owner: OwnerContext, id: string): Promise<BatchStatusView>;
  retryBatch(owner: OwnerContext, id: string): Promise<BatchView>;
  listFiles(owner: OwnerContext, filter: FileFilter, page: PageRequest<FileSortField>): Promise<Page<FileView>>;
  getFile(owner: OwnerContext, id: string): Promise<FileView>;
  summary(owner: OwnerContext, id: string): Promise<unknown>;
  units(owner: OwnerContext, id: string): Promise<Record<string, string>>;
  status(owner: OwnerContext, id: string): Promise<Record<string, FileStepStatus>>;
  /** `{ downloadStandardGeoparquet }`, or `output_not_available` when the file has none. */
  standardGeoparquet(owner: OwnerContext, id: string): Promise<{ downloadStandardGeoparquet: string }>;
  download(owner: OwnerContext, id: string, what: Download): Promise<FileDownload>;
  /** Ids of the user's files no field operation covers. */
  uncoveredFiles(owner: OwnerContext, leafUserId: string): Promise<{ files: string[] }>;
  merge(owner: OwnerContext, ids: readonly string[]): Promise<{ id: string; status: 'SENT_TO_MERGE' }>;
  /** The jobs' entry points. */
  processBatch(batchId: string, signal?: AbortSignal): Promise<void>;
  failBatch(batchId: string, reason: string): Promise<void>;
  processMerge(fileId: string, signal?: AbortSignal): Promise<void>;
  failMerge(fileId: string): Promise<void>;
}

export interface MachineFilesServiceOptions {
  files: MachineFilesRepository;
  batches: MachineFileBatchesRepository;
  users: UsersRepository;
  configurations: Pick<ConfigurationsService, 'getUser'>;
  alerts: AlertOutbox;
  blobs: BlobStore;
  jobs: MachineFileJobs;
  pipeline: MachineFilePipeline;
  /** `FURROW_UPLOAD_LIMIT_BYTES`. */
  uploadLimitBytes: number;
  /** `FURROW_PUBLIC_URL` (or the listening address): download links are built on it. */
  publicUrl: () => string | undefined;
  clock?: () => number;
  /** Field operations: told when a file is processed; answers which files no operation covers. */
  operations?: {
    onFileProcessed(file: MachineFileRecord): Promise<void>;
    uncoveredFiles(owner: OwnerContext, leafUserId: string): Promise<{ files: string[] }>;
  };
}

const GB = 2 ** 30;
const MB = 2 ** 20;

/** Leaf's wording ("bigger than 3 GB") for the configured limit. */
function sizeText(bytes: number): string {
  if (bytes % GB === 0) return `${bytes / GB} GB`;
  if (bytes % MB === 0) return `${bytes / MB} MB`;
  return `${bytes} bytes`;
}

export function machineFilesService(options: MachineFilesServiceOptions): MachineFilesService {
  const { files, batches, users, blobs, jobs } = options;
  const clock = options.clock ?? Date.now;
  const processing = machineFilesProcessing({ files, batches, configurations: options.configurations, alerts: options.alerts, blobs, pipeline: options.pipeline, clock, onFileProcessed: options.operations === undefined ? undefined : (file) => options.operations!.onFileProcessed(file) });
  const tooLarge = () =>
    new FurrowError('upload_too_large', `The uploaded file is bigger than ${sizeText(options.uploadLimitBytes)}; split it into several batches, or raise FURROW_UPLOAD_LIMIT_BYTES.`);

  async function requireUser(owner: OwnerContext, leafUserId: string): Promise<void> {
    if ((await users.get(owner.ownerId, leafUserId)) === undefined) throw new FurrowError('not_found', `No Leaf user with id ${leafUserId}.`);
  }
  async function requireBatch(owner: OwnerContext, id: string): Promise<BatchRecord> {
    const batch = await batches.get(owner.ownerId, id);
    if (batch === undefined) throw new FurrowError('not_found', `No batch with id ${id}.`);
    return batch;
  }
  async function requireFile(owner: OwnerContext, id: string): Promise<MachineFileRecord> {
    const file = await files.get(owner.ownerId, id);
    if (file === undefined) throw new FurrowError('not_found', `No file with id ${id}.`);
    return file;
  }
  const notAvailable = (file: MachineFileRecord, what: string, why: string) =>
    new FurrowError('output_not_available', `File ${file.id} has no ${what}: ${why}.`);

  async function* limited(content: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    let total = 0;
    for await (const chunk of content) {
      total += chunk.length;
      if (total > options.uploadLimitBytes) throw tooLarge();
      yield chunk;
    }
  }

  return {
    uploadLimitBytes: options.uploadLimitBytes,
    async upload(owner, input) {
      if (input.declaredSize !== undefined && input.declaredSize > options.uploadLimitBytes + 64 * 1024) throw tooLarge();
      await requireUser(owner, input.leafUserId);
      const id = crypto.randomUUID();
      // The bytes first: a batch row is only ever written for an upload that is complete.
      const { size } = await blobs.write(blobKeys.upload(input.leafUserId, id), limited(input.content));
      const at = nowIso(clock);
      const batch: BatchRecord = {
        id,
        ownerId: owner.ownerId,
        leafUserId: input.leafUserId,
        provider: input.provider,
        fileName: input.fileName,
        size,
        status: 'RECEIVED',
        statusDetails: null,
        statusReason: null,
        uploadTimestamp: at,
        updatedTime: at,
      };
      await batches.insert(batch);
      await jobs.processBatch(id);
      return batchView(batch);
    },

    async listBatches(owner, filter, page) {
      const found = await batches.list(owner.ownerId, filter, page);
      const items = await Promise.all(found.items.map(async (b) => batchView(b, (await files.listForBatch(b.id)).map((f) => f.id))));
      return { items, total: found.total };
    },

    async getBatch(owner, id) {
      const batch = await requireBatch(owner, id);
      return batchView(batch, (await files.listForBatch(id)).map((f) => f.id));
    },

    async batchStatus(owner, id) {
      await requireBatch(owner, id);
      return batchStatusView(await files.listForBatch(id));
    },

    async retryBatch(owner, id) {
      const batch = await requireBatch(owner, id);
      // Files already processed keep their ids and outputs; failed ones are converted again
      // (with the configuration as it is now), and so is a batch that never finished.
      await files.reopenFailed(id, nowIso(clock));
      const updatedAt = nowIso(clock);
      await batches.setStatus(id, { status: 'RECEIVED', statusDetails: null, statusReason: null, updatedAt });
      await jobs.processBatch(id);
      return batchView({ ...batch, status: 'RECEIVED', statusDetails: null, statusReason: null, updatedTime: updatedAt });
    },

    async listFiles(owner, filter, page) {
      const found = await files.list(owner.ownerId, filter, page);
      return { items: found.items.map((f) => fileView(owner, f, options.publicUrl())), total: found.total };
    },

    async getFile(owner, id) {
      return fileView(owner, await requireFile(owner, id), options.publicUrl());
    },

    async summary(owner, id) {
      const file = await requireFile(owner, id);
      if (file.summary === null) throw notAvailable(file, 'summary', file.status === 'processing' ? 'it is still processing' : 'its processing failed (see /status)');
      return file.summary;
    },

    async units(owner, id) {
      const file = await requireFile(owner, id);
      if (file.units === null) throw notAvailable(file, 'units', file.status === 'processing' ? 'it is still processing' : 'its processing failed (see /status)');
      return file.units;
    },

    async status(owner, id) {
      return (await requireFile(owner, id)).steps;
    },

    async standardGeoparquet(owner, id) {
      const file = await requireFile(owner, id);
      if (!file.outputs.includes('standardGeoparquet')) {
        const why =
          file.status === 'processing'
            ? 'it is still processing'
            : file.status === 'failed'
              ? 'its processing failed (see /status)'
              : 'enableGeoparquetOutput was off when it was processed; turn it on in the configuration and upload again';
        throw notAvailable(file, 'standardGeoparquet', why);
      }
      return { downloadStandardGeoparquet: `${options.publicUrl() ?? ''}/services/operations/api/files/${file.id}/download/standardGeoparquet` };
    },

    async download(owner, id, what) {
      const file = await requireFile(owner, id);
      let key: string;
      let fileName: string;
      if (what === 'originalFile') {
        if (file.batchId === null) throw notAvailable(file, 'original file', `it was made by ${file.origin === 'merged' ? 'merging other files' : 'Furrow'}`);
        const batch = await batches.getById(file.batchId);
        key = blobKeys.upload(file.leafUserId, file.batchId);
        fileName = batch?.fileName ?? `${file.batchId}.zip`;
      } else {
        if (!file.outputs.includes(what)) throw notAvailable(file, what, file.status === 'processed' ? 'that output was not enabled when it was processed' : `it is ${file.status}`);
        key = blobKeys.output(file.leafUserId, file.id, what);
        fileName = `${file.id}.${what === 'standardGeojson' ? 'geojson' : 'parquet'}`;
      }
      const [content, size] = await Promise.all([blobs.read(key), blobs.size(key)]);
      if (content === undefined) throw notAvailable(file, what, 'its bytes are missing from the file store (FURROW_FILES_DIR)');
      return { content, size, contentType: OUTPUT_CONTENT_TYPES[what], fileName };
    },

    async uncoveredFiles(owner, leafUserId) {
      // With field operations, the files in no operation; without them (tools that build no
      // operations service), every processed file of the user is uncovered.
      if (options.operations !== undefined) return options.operations.uncoveredFiles(owner, leafUserId);
      await requireUser(owner, leafUserId);
      return { files: await files.processedIds(owner.ownerId, leafUserId) };
    },

    async merge(owner, ids) {
      const unique = [...new Set(ids)];
      const refuse = (why: string) => new FurrowError('merge_refused', `These files cannot be merged: ${why}.`, { fieldErrors: [{ field: 'body.ids', message: why }] });
      if (unique.length < 2) throw refuse('give at least two different file ids');
      const found = await files.getMany(owner.ownerId, unique);
      const missing = unique.filter((id) => !found.some((f) => f.id === id));
      if (missing.length > 0) throw new FurrowError('not_found', `No file with id ${missing.join(', ')}.`);
      const users = new Set(found.map((f) => f.leafUserId));
      if (users.size > 1) throw refuse('they belong to different Leaf users; merge files of one user');
      const notProcessed = found.filter((f) => f.status !== 'processed');
      if (notProcessed.length > 0) throw refuse(`every file must be processed, and ${notProcessed.map((f) => `${f.id} is ${f.status}`).join(', ')}`);
      const types = new Set(found.map((f) => f.operationType));
      if (types.size > 1) throw refuse(`they have different operation types (${[...types].join(', ')}); merge files of one type`);
      const first = found[0]!;
      const at = nowIso(clock);
      const merged: MachineFileRecord = {
        id: crypto.randomUUID(),
        ownerId: owner.ownerId,
        leafUserId: first.leafUserId,
        batchId: null,
        provider: [...new Set(found.map((f) => f.provider))].length === 1 ? first.provider : 'Leaf',
        origin: 'merged',
        organizationId: null,
        fileName: `merged-${unique.length}-files`,
        fileFormat: [...new Set(found.map((f) => f.fileFormat))].length === 1 ? first.fileFormat : null,
        operationType: first.operationType,
        status: 'processing',
        steps: {},
        summary: null,
        units: null,
        startTime: null,
        endTime: null,
        sizeInBytes: null,
        createdTime: at,
        updatedTime: at,
        sources: unique,
        bbox: null,
        pointCount: null,
        areaM2: null,
        warnings: [],
        sourceKey: null,
        outputs: [],
      };
      await files.insert(merged);
      await jobs.processMerge(merged.id);
      return { id: merged.id, status: 'SENT_TO_MERGE' };
    },

    processBatch: processing.processBatch,
    failBatch: processing.failBatch,
    processMerge: processing.processMerge,
    failMerge: processing.failMerge,
  };
}
