/**
 * The work behind a batch upload and a merge, run by jobs: open the upload, find its datasets,
 * make one file per log, convert each to the standard outputs, record the status, raise alerts.
 *
 * Idempotent: a job that dies and runs again finds the files it already made by their natural
 * key (batch + dataset path + log ordinal) and converts only those still `processing`. Outputs are
 * written to temporary blobs and renamed into place, and a file's status and its alert commit in
 * one transaction, so a rerun never leaves half an output, a second file or a lost alert.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { alertEvent, type AlertEventType } from '../alerts/index.js';
import {
  BATCH_STATUS_DETAILS,
  MACHINE_OPERATION_TYPES,
  SQUARE_METRES_PER,
  nowIso,
  type BatchRecord,
  type ConfigurationValues,
  type FileOutput,
  type FileStepStatus,
  type MachineFileOrigin,
  type MachineFileRecord,
} from '../domain/index.js';
import type { ConversionResult } from '../formats/convert.js';
import { MachineFileError, type DetectedDataset, type FileSet, type MachineLog } from '../formats/machine-data.js';
import type { BlobStore, BlobWriter } from '../storage/blobs/index.js';
import type { MachineFileBatchesRepository } from '../storage/repositories/machine-file-batches.js';
import type { MachineFilesRepository } from '../storage/repositories/machine-files.js';
import type { AlertOutbox } from './alerts.js';
import type { ConfigurationsService } from './configurations.js';
import { concatenateLogs } from './machine-files-merge.js';
import type { MachineFilePipeline } from './machine-files-pipeline.js';
import { firstFailedStep } from './machine-files-views.js';

/** Blob keys, grouped by user so everything of a user can be deleted at once. */
export const blobKeys = {
  user: (userId: string) => `users/${userId}`,
  upload: (userId: string, batchId: string) => `users/${userId}/batches/${batchId}/upload`,
  output: (userId: string, fileId: string, output: FileOutput) => `users/${userId}/files/${fileId}/${output}`,
};

export interface ProcessingDeps {
  files: MachineFilesRepository;
  batches: MachineFileBatchesRepository;
  configurations: Pick<ConfigurationsService, 'getUser'>;
  alerts: AlertOutbox;
  blobs: BlobStore;
  pipeline: MachineFilePipeline;
  clock: () => number;
  /** Told once a file is processed (after its status committed): field operations allocate it. */
  onFileProcessed?: ((file: MachineFileRecord) => Promise<void>) | undefined;
}

const FINISHED: Record<MachineFileOrigin, AlertEventType> = {
  uploaded: 'uploadedFileProcessingFinished',
  provider: 'providerFileProcessingFinished',
  merged: 'mergedFileProcessingFinished',
  automerged: 'automergedFileProcessingFinished',
};
const FAILED: Record<MachineFileOrigin, AlertEventType> = {
  uploaded: 'uploadedFileProcessingFailed',
  provider: 'providerFileProcessingFailed',
  merged: 'mergedFileProcessingFailed',
  automerged: 'automergedFileProcessingFailed',
};

const OK: FileStepStatus = { status: 'processed', message: 'ok' };

/**
 * A provider file's log with the operation the provider's listing names, where the file itself
 * does not say (a shapefile export without an operation column): the provider knows what it sold.
 */
function withProviderOperation(log: MachineLog, batch: BatchRecord): MachineLog {
  const named = batch.providerFile?.operationType;
  if (log.operationType !== null || named === undefined || named === null || !(MACHINE_OPERATION_TYPES as readonly string[]).includes(named)) return log;
  const operationType = named as NonNullable<MachineLog['operationType']>;
  // A proxy, not a copy: readers' logs are objects whose methods (points) may rely on their own state.
  return new Proxy(log, {
    get(target, property) {
      if (property === 'operationType') return operationType;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The source key of the one failed file a provider batch gets when it yields none. */
const PROVIDER_FILE_SOURCE_KEY = 'provider-file#0';

/** What the batch job does with one unreadable dataset or failed conversion. */
type Failure = { steps: Record<string, FileStepStatus> };

const failedSteps = (message: string): Failure['steps'] => ({
  originalFile: OK,
  rawGeojson: { status: 'failed', message },
  standardGeojson: { status: 'failed', message },
});

export function machineFilesProcessing(deps: ProcessingDeps) {
  const { files, batches, blobs, pipeline, alerts } = deps;
  const now = () => nowIso(deps.clock);

  async function effectiveConfiguration(ownerId: string, leafUserId: string): Promise<ConfigurationValues> {
    return deps.configurations.getUser({ ownerId, username: '' }, leafUserId);
  }

  /** Records a file's final state and its alert in one transaction. */
  async function completeFile(file: MachineFileRecord, result: Omit<Parameters<MachineFilesRepository['complete']>[1], 'updatedAt'>): Promise<void> {
    const processed = result.status === 'processed';
    const message = processed ? '' : firstFailedStep({ ...file, steps: result.steps })[1];
    await alerts.transact(async (uow) => {
      await files.complete(file.id, { ...result, updatedAt: now() }, uow);
      await alerts.emit(
        uow,
        processed
          ? alertEvent(FINISHED[file.origin] as 'uploadedFileProcessingFinished', file.ownerId, { leafUserId: file.leafUserId, fileId: file.id })
          : alertEvent(FAILED[file.origin] as 'uploadedFileProcessingFailed', file.ownerId, { leafUserId: file.leafUserId, fileId: file.id, message }),
      );
      // After commit, and never failing the file: a lost hand-over is caught by the next refresh
      // of the user's operations, which allocates every processed file that has no allocation.
      const hook = deps.onFileProcessed;
      if (processed && hook !== undefined) uow.afterCommit(() => hook(file));
    });
  }

  async function failFile(file: MachineFileRecord, message: string, fileFormat?: string, steps?: Failure['steps']): Promise<void> {
    await completeFile(file, {
      status: 'failed',
      ...(fileFormat === undefined ? {} : { fileFormat }),
      operationType: file.operationType,
      steps: steps ?? failedSteps(message),
      summary: null,
      units: null,
      startTime: null,
      endTime: null,
      bbox: null,
      pointCount: null,
      areaM2: null,
      warnings: file.warnings,
      outputs: [],
    });
  }

  /** Converts one log into the file's outputs and records the result. */
  async function convertInto(file: MachineFileRecord, log: MachineLog, configuration: ConfigurationValues, extraWarnings: readonly string[]): Promise<void> {
    const geojson = await blobs.createWriter(blobKeys.output(file.leafUserId, file.id, 'standardGeojson'));
    const parquet = configuration.enableGeoparquetOutput ? await blobs.createWriter(blobKeys.output(file.leafUserId, file.id, 'standardGeoparquet')) : undefined;
    const writers: BlobWriter[] = parquet === undefined ? [geojson] : [geojson, parquet];
    let result: ConversionResult;
    try {
      result = await pipeline.convertLog(
        log,
        { unitMeasurement: configuration.unitMeasurement, cleanupStandardGeojson: configuration.cleanupStandardGeojson, cleanupRules: configuration.cleanupRules },
        { standardGeojson: geojson, ...(parquet === undefined ? {} : { standardGeoparquet: parquet }) },
      );
    } catch (error) {
      await Promise.all(writers.map((w) => w.abort()));
      // Readers throw MachineFileError when the data turns out broken mid-stream; that is the
      // file's failure, not the job's.
      if (error instanceof MachineFileError) return failFile(file, error.message, log.fileFormat);
      throw error;
    }
    const processed = result.status.standardGeojson?.status === 'processed';
    const outputs: FileOutput[] = [];
    if (processed) {
      await geojson.commit();
      outputs.push('standardGeojson');
    } else {
      await geojson.abort();
    }
    if (parquet !== undefined) {
      if (processed && result.status.standardGeoparquet?.status === 'processed') {
        await parquet.commit();
        outputs.push('standardGeoparquet');
      } else {
        await parquet.abort();
      }
    }
    const totalArea = (result.summary.properties.totalArea ?? null) as { value?: unknown; unit?: unknown } | null;
    const areaFactor = typeof totalArea?.unit === 'string' ? SQUARE_METRES_PER[totalArea.unit] : undefined;
    await completeFile(file, {
      status: processed ? 'processed' : 'failed',
      fileFormat: log.fileFormat,
      operationType: result.operationType ?? log.operationType,
      steps: { originalFile: OK, ...result.status },
      summary: result.summary,
      units: result.units,
      startTime: result.startTime,
      endTime: result.endTime,
      bbox: result.bbox,
      pointCount: result.pointCount,
      areaM2: typeof totalArea?.value === 'number' && areaFactor !== undefined ? totalArea.value * areaFactor : null,
      warnings: [...extraWarnings, ...log.warnings, ...result.warnings],
      outputs,
    });
  }

  /** The file for one source of a batch, made on the first run and found on later ones. */
  function fileFor(batch: BatchRecord, sourceKey: string, fileName: string, fileFormat: string | null, operationType: string | null): Promise<MachineFileRecord> {
    const at = now();
    return files.insertForBatch({
      id: crypto.randomUUID(),
      ownerId: batch.ownerId,
      leafUserId: batch.leafUserId,
      batchId: batch.id,
      provider: batch.provider,
      origin: batch.providerFile === undefined ? 'uploaded' : 'provider',
      organizationId: batch.providerFile?.organizationId ?? null,
      providerFileId: batch.providerFile?.providerFileId ?? null,
      // A provider file keeps the provider's name for it, as Leaf shows it.
      fileName: batch.providerFile === undefined ? fileName : batch.fileName,
      fileFormat,
      operationType,
      status: 'processing',
      steps: {},
      summary: null,
      units: null,
      startTime: null,
      endTime: null,
      // [I] Leaf does not say what a file's size is when one upload holds several; Furrow gives
      // the size of the upload it came from, which is what `originalFile` downloads.
      sizeInBytes: batch.size,
      createdTime: at,
      updatedTime: at,
      sources: null,
      bbox: null,
      pointCount: null,
      areaM2: null,
      warnings: [],
      sourceKey,
      outputs: [],
    });
  }

  async function finishBatch(batch: BatchRecord, outcome: { status: 'PROCESSED' | 'FAILED'; details: string | null; reason: string | null }): Promise<void> {
    // A provider file that yields no file (not machine data, or its download failed for good)
    // still shows in GET /files, failed with the reason, so it never vanishes silently.
    if (batch.providerFile !== undefined && outcome.status === 'FAILED' && (await files.listForBatch(batch.id)).length === 0) {
      const file = await fileFor(batch, PROVIDER_FILE_SOURCE_KEY, batch.fileName, null, null);
      const message = outcome.reason ?? outcome.details ?? 'The provider file could not be processed.';
      const downloaded = await blobs.size(blobKeys.upload(batch.leafUserId, batch.id));
      if (file.status === 'processing') await failFile(file, message, undefined, downloaded === undefined ? { originalFile: { status: 'failed', message } } : undefined);
    }
    await alerts.transact(async (uow) => {
      await batches.setStatus(batch.id, { status: outcome.status, statusDetails: outcome.details, statusReason: outcome.reason, updatedAt: now() }, uow);
      // A provider file's batch is Furrow's own bookkeeping: its files' events are what Leaf sends.
      if (batch.providerFile === undefined) await alerts.emit(uow, alertEvent('batchUploadProcessingFinished', batch.ownerId, { leafUserId: batch.leafUserId, batchId: batch.id }));
    });
  }

  /** Opens a batch's upload and runs `work` on its files, closing the blob afterwards. */
  async function withUpload<T>(batch: BatchRecord, work: (files: FileSet) => Promise<T>): Promise<T> {
    const blob = await blobs.open(blobKeys.upload(batch.leafUserId, batch.id));
    if (blob === undefined) throw new Error(`The upload of batch ${batch.id} is missing from the blob store (FURROW_FILES_DIR).`);
    try {
      return await work(await pipeline.openUpload(blob, batch.fileName));
    } finally {
      await blob.close();
    }
  }

  const sourceKeyOf = (dataset: DetectedDataset, ordinal: number) => `${dataset.path}#${ordinal}`;

  return {
    /** The batch job. Returns quietly for a batch that is gone or already finished. */
    async processBatch(batchId: string, signal?: AbortSignal): Promise<void> {
      const batch = await batches.getById(batchId);
      if (batch === undefined || batch.status === 'PROCESSED' || batch.status === 'FAILED') return;
      await batches.setStatus(batch.id, { status: 'PROCESSING', statusDetails: null, statusReason: null, updatedAt: now() });
      const outcome = await withUpload(batch, async (set) => {
        let datasets: DetectedDataset[];
        try {
          datasets = await pipeline.detectDatasets(set);
        } catch (error) {
          if (error instanceof MachineFileError) return { status: 'FAILED' as const, details: BATCH_STATUS_DETAILS.unableToRead, reason: error.message };
          throw error;
        }
        if (datasets.length === 0) {
          const listed = set.entries.length === 0 ? 'the upload is empty' : `none of its ${set.entries.length} files is machine data Furrow reads`;
          return { status: 'FAILED' as const, details: BATCH_STATUS_DETAILS.noValidFiles, reason: `No dataset found: ${listed}.` };
        }
        const configuration = await effectiveConfiguration(batch.ownerId, batch.leafUserId);
        let readable = 0;
        for (const dataset of [...datasets].sort((a, b) => a.path.localeCompare(b.path))) {
          signal?.throwIfAborted();
          const name = path.posix.basename(dataset.path);
          if (dataset.unsupported !== undefined) {
            const file = await fileFor(batch, sourceKeyOf(dataset, 0), name, dataset.fileFormat, null);
            if (file.status === 'processing') await failFile(file, dataset.unsupported, dataset.fileFormat);
            continue;
          }
          let logs: MachineLog[];
          try {
            logs = await pipeline.openDataset(set, dataset);
          } catch (error) {
            if (!(error instanceof MachineFileError)) throw error;
            const file = await fileFor(batch, sourceKeyOf(dataset, 0), name, dataset.fileFormat, null);
            if (file.status === 'processing') await failFile(file, error.message, dataset.fileFormat);
            continue;
          }
          readable++;
          if (logs.length === 0) {
            const file = await fileFor(batch, sourceKeyOf(dataset, 0), name, dataset.fileFormat, null);
            if (file.status === 'processing') await failFile(file, `${dataset.path} holds no logged operation.`, dataset.fileFormat);
            continue;
          }
          for (const [ordinal, read] of logs.entries()) {
            signal?.throwIfAborted();
            const log = withProviderOperation(read, batch);
            const file = await fileFor(batch, sourceKeyOf(dataset, ordinal), log.name, log.fileFormat, log.operationType);
            if (file.status !== 'processing') continue;
            await convertInto(file, log, configuration, set.warnings ?? []);
          }
        }
        const made = await files.listForBatch(batch.id);
        if (made.some((f) => f.status === 'processed')) return { status: 'PROCESSED' as const, details: null, reason: null };
        const reasons = [...new Set(made.map((f) => firstFailedStep(f)[1]))].join('; ');
        return { status: 'FAILED' as const, details: readable === 0 ? BATCH_STATUS_DETAILS.unableToRead : BATCH_STATUS_DETAILS.noOperation, reason: reasons };
      }).catch((error: unknown) => {
        // A broken or hostile archive is the upload's failure, final; anything else is retried.
        if (error instanceof MachineFileError) return { status: 'FAILED' as const, details: BATCH_STATUS_DETAILS.unableToRead, reason: error.message };
        throw error;
      });
      await finishBatch(batch, outcome);
    },

    /** After the job's last attempt failed: the batch and its unfinished files fail for good. */
    async failBatch(batchId: string, reason: string): Promise<void> {
      const batch = await batches.getById(batchId);
      if (batch === undefined || batch.status === 'PROCESSED' || batch.status === 'FAILED') return;
      for (const file of await files.listForBatch(batchId)) if (file.status === 'processing') await failFile(file, BATCH_STATUS_DETAILS.internalError);
      await finishBatch(batch, { status: 'FAILED', details: BATCH_STATUS_DETAILS.internalError, reason });
    },

    /** The merge job: converts the sources' logs again as one log into the merged file. */
    async processMerge(fileId: string, signal?: AbortSignal): Promise<void> {
      const merged = await files.getById(fileId);
      if (merged === undefined || merged.status !== 'processing') return;
      const leaves = await sourceFiles(merged);
      const byBatch = new Map<string, MachineFileRecord[]>();
      for (const leaf of leaves) {
        if (leaf.batchId === null || leaf.sourceKey === null) {
          return failFile(merged, `File ${leaf.id} has no original upload to merge from (only uploaded files can be merged in this release).`);
        }
        byBatch.set(leaf.batchId, [...(byBatch.get(leaf.batchId) ?? []), leaf]);
      }
      const configuration = await effectiveConfiguration(merged.ownerId, merged.leafUserId);
      // Every source upload stays open while the merged log streams through them.
      const opened: { close(): Promise<void> }[] = [];
      try {
        const logs = new Map<string, MachineLog>();
        for (const [batchId, members] of byBatch) {
          signal?.throwIfAborted();
          const batch = await batches.getById(batchId);
          const blob = batch === undefined ? undefined : await blobs.open(blobKeys.upload(batch.leafUserId, batch.id));
          if (batch === undefined || blob === undefined) return failFile(merged, `The upload of batch ${batchId} is gone; its files cannot be merged.`);
          opened.push(blob);
          const set = await pipeline.openUpload(blob, batch.fileName);
          const datasets = await pipeline.detectDatasets(set);
          for (const member of members) {
            const hash = member.sourceKey!.lastIndexOf('#');
            const datasetPath = member.sourceKey!.slice(0, hash);
            const ordinal = Number(member.sourceKey!.slice(hash + 1));
            const dataset = datasets.find((d) => d.path === datasetPath);
            const log = dataset === undefined ? undefined : (await pipeline.openDataset(set, dataset))[ordinal];
            if (log === undefined) return failFile(merged, `The log of file ${member.id} is no longer found in its upload.`);
            logs.set(member.id, log);
          }
        }
        const ordered = leaves.map((leaf) => logs.get(leaf.id)!);
        await convertInto(merged, concatenateLogs(merged.fileName, ordered), configuration, []);
      } catch (error) {
        if (error instanceof MachineFileError) return failFile(merged, error.message);
        throw error;
      } finally {
        await Promise.all(opened.map((o) => o.close()));
      }
    },

    /** After the merge job's last attempt failed. */
    async failMerge(fileId: string): Promise<void> {
      const merged = await files.getById(fileId);
      if (merged !== undefined && merged.status === 'processing') await failFile(merged, BATCH_STATUS_DETAILS.internalError);
    },
  };

  /** The uploaded files behind a merged file, merged sources expanded, each once, in order. */
  async function sourceFiles(file: MachineFileRecord): Promise<MachineFileRecord[]> {
    const result: MachineFileRecord[] = [];
    const seen = new Set<string>();
    const visit = async (ids: readonly string[]) => {
      const found = new Map((await files.getMany(file.ownerId, ids)).map((f) => [f.id, f]));
      for (const id of ids) {
        const source = found.get(id);
        if (source === undefined || seen.has(source.id)) continue;
        seen.add(source.id);
        if (source.sources !== null) await visit(source.sources);
        else result.push(source);
      }
    };
    await visit(file.sources ?? []);
    return result;
  }
}

export type MachineFilesProcessing = ReturnType<typeof machineFilesProcessing>;
