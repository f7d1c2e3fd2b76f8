/**
 * The download of one provider machine file that a sync listed (issue 5: "downloaded ..., stored,
 * and handed to the conversion pipeline through the queue"), run by the `download-provider-file`
 * job. The bytes stream from the adapter into the blob store, never whole into memory; then a
 * batch of origin `provider` is written and processed by the same pipeline uploads use.
 *
 * Exactly once: the batch is keyed by its natural key (user, provider, provider file id, version),
 * with a unique index, and its id is derived from that key, so a rerun, a duplicate job or two
 * workers racing on one file all end with one batch and one set of files.
 *
 * An asynchronous export (John Deere's field operations) is asked once per run: while the provider
 * prepares it, the job queues itself again for the provider's documented wait and ends, so no
 * worker sleeps through the wait; after the provider's last poll the file fails with the reason.
 */
import crypto from 'node:crypto';
import { nowIso, type BatchRecord, type ProviderFileSource } from '../domain/index.js';
import { politeContext } from '../providers/polite-context.js';
import { isProviderError } from '../providers/provider-error.js';
import type { Provider } from '../providers/provider.js';
import type { SyncMachineFile } from '../providers/sync-data.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { CredentialsRepository } from '../storage/repositories/credentials.js';
import type { MachineFileBatchesRepository } from '../storage/repositories/machine-file-batches.js';
import type { CredentialsService } from './credentials.js';
import type { MachineFileJobs, MachineFilesService } from './machine-files.js';
import { blobKeys } from './machine-files-processing.js';
import { syncOf } from './sync.js';

/** What the sync hands the download job: the listed file as the adapter gave it, and where it was found. */
export interface ProviderFileJob extends Pick<SyncMachineFile, 'providerId' | 'organizationId' | 'name' | 'format' | 'size' | 'operationType' | 'version'> {
  credentialId: string;
  /** "Still preparing" answers of the file's asynchronous export so far; absent on the sync's first queueing. */
  polls?: number | undefined;
}

/** What the sync asks of the queue; `jobs/provider-file-jobs.ts` implements it. */
export interface ProviderFileJobs {
  /**
   * Makes sure one download of the file is pending (keyed per credential and provider file), due
   * at `runAt` (default now): a download waiting for an export queues itself again this way.
   */
  downloadProviderFile(job: ProviderFileJob, options?: { runAt?: Date }): Promise<void>;
}

/** What a download did, with the reason: a decision a test and a log line can read. */
export type DownloadOutcome =
  | { done: 'downloaded'; batchId: string; bytes: number }
  | { done: 'already-stored'; batchId: string }
  | { done: 'lost-race'; batchId: string }
  | { done: 'failed'; batchId: string; reason: string }
  /** The provider is still preparing the file: the download is queued again for `runAt`, its `polls`-th wait. */
  | { done: 'pending'; batchId: string; polls: number; runAt: Date }
  | { done: 'skipped'; reason: 'credential-gone' | 'provider-cannot-sync' };

export interface ProviderFileDownloads {
  /**
   * Downloads and hands over one file. A transient provider failure throws (the queue retries
   * with backoff); a permanent one, or any failure on the `finalAttempt`, marks the file failed
   * with the reason and returns. A file the provider is still preparing (an asynchronous export)
   * is not waited for: the job is queued again under its key for when the provider says to ask
   * again, with its polls counted, and this run ends.
   */
  download(job: ProviderFileJob, options?: { signal?: AbortSignal | undefined; finalAttempt?: boolean }): Promise<DownloadOutcome>;
}

export interface ProviderFileDownloadsOptions {
  credentialRecords: Pick<CredentialsRepository, 'findById'>;
  credentials: Pick<CredentialsService, 'withAccessToken'>;
  providers: Readonly<Record<string, Provider>>;
  batches: Pick<MachineFileBatchesRepository, 'findProviderFile' | 'insertProviderFile'>;
  blobs: BlobStore;
  jobs: Pick<MachineFileJobs, 'processBatch'>;
  /** Where a download waiting for an export queues itself again; absent: such a download fails as transient. */
  downloads?: ProviderFileJobs | undefined;
  machineFiles: Pick<MachineFilesService, 'failBatch'>;
  clock?: () => number;
}

/**
 * The batch id of a provider file at one version, derived from its natural key: every worker that
 * downloads the file writes the same blob key and races to insert the same row.
 */
export function providerFileBatchId(userId: string, providerName: string, providerFileId: string, version: string): string {
  const hex = crypto.createHash('sha256').update(JSON.stringify([userId, providerName, providerFileId, version])).digest('hex');
  // A version 8 ("custom") UUID (RFC 9562 section 5.8): the ids look like every other id.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** Provider failures that no retry fixes: the file is gone or the provider refuses it for good. */
const PERMANENT_CLASSES = new Set(['permanent', 'not_found']);

export function providerFileDownloads(deps: ProviderFileDownloadsOptions): ProviderFileDownloads {
  const clock = deps.clock ?? Date.now;
  const { batches, blobs } = deps;

  return {
    async download(job, options = {}) {
      const record = await deps.credentialRecords.findById(job.credentialId);
      if (record === undefined) return { done: 'skipped', reason: 'credential-gone' };
      const provider = deps.providers[record.provider];
      const adapter = syncOf(provider);
      if (provider === undefined || adapter === undefined) return { done: 'skipped', reason: 'provider-cannot-sync' };
      const providerName = provider.apiName;
      const batchId = providerFileBatchId(record.userId, providerName, job.providerId, job.version);

      const existing = await batches.findProviderFile(record.userId, providerName, job.providerId, job.version);
      if (existing !== undefined) {
        // A run that died between storing the batch and queueing its processing left it RECEIVED.
        if (existing.status === 'RECEIVED') await deps.jobs.processBatch(existing.id);
        return { done: 'already-stored', batchId: existing.id };
      }

      const source: ProviderFileSource = { credentialId: record.id, organizationId: job.organizationId, providerFileId: job.providerId, version: job.version, operationType: job.operationType ?? null };
      const batchOf = (size: number): BatchRecord & { providerFile: ProviderFileSource } => {
        const at = nowIso(clock);
        return {
          id: batchId,
          ownerId: record.ownerId,
          leafUserId: record.userId,
          provider: providerName,
          fileName: job.name,
          size,
          status: 'RECEIVED',
          statusDetails: null,
          statusReason: null,
          uploadTimestamp: at,
          updatedTime: at,
          providerFile: source,
        };
      };

      let downloaded: { bytes: number; pending?: { retryAfterMs: number } | undefined };
      try {
        downloaded = await deps.credentials.withAccessToken(record.id, async (credential, ctx) => {
          options.signal?.throwIfAborted();
          const polite = politeContext(ctx, { provider, credential, signal: options.signal });
          // Written to a temporary blob and renamed into place on commit: a download cut short
          // leaves nothing under the key, and a rerun starts it again.
          const writer = await blobs.createWriter(blobKeys.upload(record.userId, batchId));
          try {
            const result = await adapter.downloadFile(credential, polite, { providerId: job.providerId, size: job.size, operationType: job.operationType, polls: job.polls ?? 0 }, writer);
            if (result.pending !== undefined) {
              await writer.abort();
              return { bytes: 0, pending: result.pending };
            }
            return { bytes: (await writer.commit()).size };
          } catch (error) {
            await writer.abort();
            throw error;
          }
        });
      } catch (error) {
        const permanent = isProviderError(error) && PERMANENT_CLASSES.has(error.errorClass);
        if (!permanent && options.finalAttempt !== true) throw error;
        if (options.signal?.aborted === true) throw error;
        const detail = isProviderError(error) ? error.reason : error instanceof Error ? error.message : String(error);
        const reason = `Downloading ${job.name} (provider file ${job.providerId}) from ${providerName} failed${permanent ? '' : ' on every attempt'}: ${detail}.`;
        // The failed file is written through the pipeline's own path, so it shows in GET /files
        // with the reason and ends in providerFileProcessingFailed like any failed file.
        if (await batches.insertProviderFile(batchOf(0))) await deps.machineFiles.failBatch(batchId, reason);
        return { done: 'failed', batchId, reason };
      }

      if (downloaded.pending !== undefined) {
        if (deps.downloads === undefined) throw new Error(`${providerName} is still preparing ${job.name} (provider file ${job.providerId}) and this process cannot queue the download again; retrying.`);
        const polls = (job.polls ?? 0) + 1;
        const runAt = new Date(clock() + downloaded.pending.retryAfterMs);
        // Same key: this running job completes, and the queued one is the file's only pending download.
        await deps.downloads.downloadProviderFile({ ...job, polls }, { runAt });
        return { done: 'pending', batchId, polls, runAt };
      }
      const bytes = downloaded.bytes;

      if (!(await batches.insertProviderFile(batchOf(bytes)))) {
        // Another worker stored the same file first; its batch and the blob (the same bytes
        // under the same key) are the file's, and its processing is already queued.
        return { done: 'lost-race', batchId };
      }
      await deps.jobs.processBatch(batchId);
      return { done: 'downloaded', batchId, bytes };
    },
  };
}
