import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { BATCH_SORT_FIELDS, FurrowError, type BatchSortField } from '../../../domain/index.js';
import type { MachineFilesService } from '../../../services/machine-files.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import { BatchListQuery, BatchResponse, BatchStatusResponse, BatchUploadQuery, FileIdParams } from '../../schemas/machine-files.js';

/**
 * `/services/operations/api/batch` (leaf-api.md 7.7): zip uploads, streamed to the blob store
 * (never held in memory), processed by a job into files.
 */
export const batchRoutes: FastifyPluginAsync<{ machineFiles: MachineFilesService; uploadLimitBytes: number }> = async (app, { machineFiles, uploadLimitBytes }) => {
  const tags = ['operations'];
  // One byte past the limit, so the service sees the overflow and answers 413 instead of the
  // multipart reader silently truncating the file at exactly the limit.
  await app.register(multipart, { limits: { fileSize: uploadLimitBytes + 1, files: 1, fields: 20, fieldSize: 64 * 1024 } });

  app.post<{ Querystring: BatchUploadQuery }>(
    '/batch',
    {
      schema: {
        tags,
        summary: 'Upload a zip of machine files (multipart field `file`); answered RECEIVED, then processed by a job.',
        querystring: BatchUploadQuery,
        consumes: ['multipart/form-data'],
        response: { 200: BatchResponse },
      },
    },
    async (request) => {
      if (!request.isMultipart()) throw new FurrowError('unsupported_media_type', 'Expected Content-Type: multipart/form-data with the zip in the field `file`.');
      const declared = Number(request.headers['content-length']);
      const part = await request.file();
      if (part === undefined || part.fieldname !== 'file') {
        throw new FurrowError('validation_failed', 'Expected the zip in the multipart field `file`.', { fieldErrors: [{ field: 'body.file', message: 'is required' }] });
      }
      return machineFiles.upload(request.owner, {
        leafUserId: request.query.leafUserId,
        provider: request.query.provider ?? 'Other',
        fileName: part.filename === '' ? 'upload.zip' : part.filename,
        content: part.file,
        declaredSize: Number.isFinite(declared) ? declared : undefined,
      });
    },
  );

  app.get<{ Querystring: BatchListQuery }>(
    '/batch',
    { schema: { tags, summary: 'List upload batches.', querystring: BatchListQuery, response: { 200: Type.Array(BatchResponse) } } },
    async (request, reply) => {
      const { leafUserId, status } = request.query;
      const pageRequest = parsePageRequest<BatchSortField>(request.query, BATCH_SORT_FIELDS, [{ field: 'uploadTimestamp', direction: 'asc' }]);
      return sendPage(request, reply, pageRequest, await machineFiles.listBatches(request.owner, { leafUserId, status }, pageRequest));
    },
  );

  app.get<{ Params: FileIdParams }>(
    '/batch/:id',
    { schema: { tags, summary: 'Get a batch and the ids of its files (`leafFiles`).', params: FileIdParams, response: { 200: BatchResponse } } },
    async (request) => machineFiles.getBatch(request.owner, request.params.id),
  );

  app.get<{ Params: FileIdParams }>(
    '/batch/:id/status',
    { schema: { tags, summary: "The batch's files: converted, processing, and failed by step.", params: FileIdParams, response: { 200: BatchStatusResponse } } },
    async (request) => machineFiles.batchStatus(request.owner, request.params.id),
  );

  app.put<{ Params: FileIdParams }>(
    '/batch/:id/retry',
    { schema: { tags, summary: 'Process the batch again: its failed files are converted anew, processed ones kept.', params: FileIdParams, response: { 200: BatchResponse } } },
    async (request) => machineFiles.retryBatch(request.owner, request.params.id),
  );
};
