/**
 * Boundary-file uploads of Leaf's uploadservice (leaf-api.md 7.1): a zip of shapefiles, GeoJSON,
 * KML or KMZ (or one such file), read into fields of one Leaf user. Furrow processes the upload
 * while answering (boundary files are small, and Leaf caps an upload at 100 fields), so the answer
 * already says PROCESSED or FAILED; each file is an entry with the ids of the fields it made and
 * one error line per feature that made none.
 */
import crypto from 'node:crypto';
import { openZip } from '../formats/archive/zip.js';
import { readBoundaryFiles } from '../formats/boundaries/index.js';
import { MachineFileError, type FileSet } from '../formats/machine-data.js';
import { FurrowError, isFurrowError, nowIso, type BoundaryUpload, type BoundaryUploadEntry, type OwnerContext, type Page, type PageRequest } from '../domain/index.js';
import type { BoundaryUploadsRepository } from '../storage/repositories/boundary-uploads.js';
import type { FieldsService } from './fields.js';

/** Leaf: "≤100 fields" per upload. */
export const MAX_FIELDS_PER_UPLOAD = 100;

export interface BoundaryUploadsService {
  upload(owner: OwnerContext, input: { leafUserId: string; farmId?: number | undefined; fileName: string; bytes: Uint8Array }): Promise<BoundaryUpload>;
  get(owner: OwnerContext, id: string): Promise<BoundaryUpload>;
  list(owner: OwnerContext, leafUserId: string | undefined, page: PageRequest): Promise<Page<BoundaryUpload>>;
}

export function boundaryUploadsService(deps: { uploads: BoundaryUploadsRepository; fields: FieldsService; clock?: () => number }): BoundaryUploadsService {
  const clock = deps.clock ?? Date.now;
  return {
    async upload(owner, input) {
      await deps.fields.assertUser(owner, input.leafUserId);
      const createdTime = nowIso(clock);
      const upload: BoundaryUpload = { id: crypto.randomUUID(), leafUserId: input.leafUserId, farmId: input.farmId ?? null, fileName: input.fileName, status: 'FAILED', entries: [], createdTime };
      let files;
      try {
        files = await readBoundaryFiles(await fileSetOf(input.fileName, input.bytes));
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw error;
        upload.entries.push({ id: crypto.randomUUID(), fieldId: [], converterFormat: null, fileName: input.fileName, status: 'FAILED', createFieldErrorDetails: [error.message], createdTime, processedTime: nowIso(clock) });
        await deps.uploads.insert(owner.ownerId, upload);
        return upload;
      }
      let created = 0;
      for (const file of files) {
        const entry: BoundaryUploadEntry = { id: crypto.randomUUID(), fieldId: [], converterFormat: file.format, fileName: file.path, status: 'FAILED', createFieldErrorDetails: [...file.errors], createdTime, processedTime: null };
        for (const [index, boundary] of file.boundaries.entries()) {
          const label = `${file.path}: feature ${index + 1}${boundary.name === null ? '' : ` (${boundary.name})`}`;
          if (created >= MAX_FIELDS_PER_UPLOAD) {
            entry.createFieldErrorDetails.push(`${label}: not created; an upload makes at most ${MAX_FIELDS_PER_UPLOAD} fields. Upload the rest separately.`);
            continue;
          }
          try {
            const { field } = await deps.fields.createField(owner, input.leafUserId, { name: boundary.name ?? defaultName(file.path, index), farmId: input.farmId, geometry: boundary.geometry });
            entry.fieldId.push(field.id);
            created++;
          } catch (error) {
            if (!isFurrowError(error)) throw error;
            entry.createFieldErrorDetails.push(`${label}: ${error.message}`);
          }
        }
        entry.status = entry.fieldId.length === 0 ? 'FAILED' : entry.createFieldErrorDetails.length === 0 ? 'FINISHED' : 'PARTIALLY_FINISHED';
        entry.processedTime = nowIso(clock);
        upload.entries.push(entry);
      }
      upload.status = upload.entries.some((e) => e.status !== 'FAILED') ? 'PROCESSED' : 'FAILED';
      await deps.uploads.insert(owner.ownerId, upload);
      return upload;
    },
    async get(owner, id) {
      const upload = await deps.uploads.get(owner.ownerId, id);
      if (upload === undefined) throw new FurrowError('not_found', `No boundary upload with id ${id}.`);
      return upload;
    },
    list: (owner, leafUserId, page) => deps.uploads.list(owner.ownerId, leafUserId, page),
  };
}

/** A field's name when the file gives none: the file's name, and the feature's number when it has several. */
function defaultName(path: string, index: number): string {
  const base = path.split('/').pop()!.replace(/\.[^.]+$/, '');
  return index === 0 ? base : `${base} ${index + 1}`;
}

/** A zip (or KMZ) opened with the upload-safe zip reader; any other file as a set of one. */
async function fileSetOf(fileName: string, bytes: Uint8Array): Promise<FileSet> {
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (isZip) return openZip({ size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) });
  const name = fileName === '' ? 'upload' : fileName;
  return { entries: [{ path: name, size: bytes.length, stream: async function* () { yield bytes; } }] };
}
