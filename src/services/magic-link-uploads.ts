/**
 * File-upload Magic Links (leaf-api.md 6.4, `FILEUPLOAD`): the link's page streams a machine-data
 * zip into a batch of the link's Leaf user (the same batch upload as `POST /batch`), and then shows
 * the batch and its files' processing status. The link id is the page's only credential, so every
 * answer is limited to batches of the link's own user.
 */
import { isFurrowError, type OwnerContext } from '../domain/index.js';
import type { MagicLinkRecord, MagicLinksRepository } from '../storage/repositories/magic-links.js';
import type { MachineFilesService } from './machine-files.js';
import type { LinkFailure, MagicLinksService } from './magic-links.js';

/** A batch as the upload page shows it: its status, and its files by processing state. */
export interface LinkBatchStatus {
  id: string;
  fileName: string;
  /** RECEIVED, PROCESSING, PROCESSED or FAILED (the batch's, leaf-api.md 7.7). */
  status: string;
  /** Leaf's explanation of a FAILED batch, in words for the grower. */
  message?: string;
  files: { processed: number; processing: number; failed: number };
}

/** Why an upload was refused, in words for the grower; `tooLarge` maps to 413. */
export type LinkUploadRefusal = LinkFailure | { ok: false; kind: 'upload'; tooLarge: boolean; message: string };

export interface MagicLinkUploadsService {
  /** The upload limit the page's multipart reader stops at (`FURROW_UPLOAD_LIMIT_BYTES`). */
  readonly uploadLimitBytes: number;
  /**
   * Streams the file into a new batch of the link's user. One use of the link is claimed before
   * the first byte is read and given back when the upload does not complete, so two uploads
   * racing for the last use cannot both be accepted.
   */
  upload(linkId: string, file: { fileName: string; content: AsyncIterable<Uint8Array>; declaredSize?: number | undefined }): Promise<{ ok: true; batch: LinkBatchStatus } | LinkUploadRefusal>;
  /** A batch uploaded for the link's user; undefined when the link is gone or the batch is not the user's. */
  status(linkId: string, batchId: string): Promise<LinkBatchStatus | undefined>;
}

const ownerOf = (link: MagicLinkRecord): OwnerContext => ({ ownerId: link.ownerId, username: `magic-link:${link.id}` });

export function magicLinkUploadsService(deps: {
  links: Pick<MagicLinksRepository, 'findById' | 'releaseUse'>;
  magicLinks: Pick<MagicLinksService, 'claimUse'>;
  machineFiles: Pick<MachineFilesService, 'upload' | 'getBatch' | 'batchStatus' | 'uploadLimitBytes'>;
  clock?: () => number;
}): MagicLinkUploadsService {
  const clock = deps.clock ?? Date.now;
  const { machineFiles } = deps;

  const statusOf = async (owner: OwnerContext, batchId: string): Promise<LinkBatchStatus & { leafUserId: string }> => {
    const [batch, files] = await Promise.all([machineFiles.getBatch(owner, batchId), machineFiles.batchStatus(owner, batchId)]);
    const failed = Object.values(files.failed).reduce((sum, f) => sum + f.leafFiles.length, 0);
    return {
      id: batch.id,
      leafUserId: batch.leafUserId,
      fileName: batch.fileName,
      status: batch.status,
      ...(batch.statusDetails === undefined ? {} : { message: batch.statusDetails }),
      files: { processed: files.converted.leafFiles.length, processing: files.processing.leafFiles.length, failed },
    };
  };

  return {
    uploadLimitBytes: machineFiles.uploadLimitBytes,
    async upload(linkId, file) {
      const existing = await deps.links.findById(linkId);
      if (existing !== undefined && existing.widget !== 'FILEUPLOAD' && existing.deletedAt === null) {
        return { ok: false, kind: 'not_offered', message: 'This link is not for uploading files.', linkId };
      }
      const claimed = await deps.magicLinks.claimUse(linkId);
      if (!claimed.ok) return claimed;
      const { link } = claimed;
      try {
        const batch = await machineFiles.upload(ownerOf(link), { leafUserId: link.userId, provider: 'Other', fileName: file.fileName, content: file.content, declaredSize: file.declaredSize });
        return { ok: true, batch: { id: batch.id, fileName: batch.fileName, status: batch.status, files: { processed: 0, processing: 0, failed: 0 } } };
      } catch (error) {
        await deps.links.releaseUse(linkId);
        if (isFurrowError(error, 'upload_too_large')) return { ok: false, kind: 'upload', tooLarge: true, message: error.message.replace(/, or raise FURROW_UPLOAD_LIMIT_BYTES/, '') };
        throw error;
      }
    },
    async status(linkId, batchId) {
      const link = await deps.links.findById(linkId);
      // A used-up link still shows its uploads' progress; a deleted or expired one shows nothing.
      if (link === undefined || link.widget !== 'FILEUPLOAD' || link.deletedAt !== null || Date.parse(link.expiresAt) <= clock()) return undefined;
      try {
        const { leafUserId, ...status } = await statusOf(ownerOf(link), batchId);
        return leafUserId === link.userId ? status : undefined;
      } catch (error) {
        if (isFurrowError(error, 'not_found')) return undefined;
        throw error;
      }
    },
  };
}
