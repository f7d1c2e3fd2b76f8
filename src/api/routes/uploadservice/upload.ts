/** @module `/services/uploadservice/api`: Leaf's field-boundary file upload (leaf-api.md 7.1). */
import multipart from '@fastify/multipart';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { FurrowError, type BoundaryUpload } from '../../../domain/index.js';
import type { BoundaryUploadsService } from '../../../services/fields-uploads.js';
import { pagingQuery, parsePageRequest, sendPage } from '../../paging.js';

/** Boundary files are small; a zip of 100 detailed fields is a few MB. */
const MAX_UPLOAD_BYTES = 100 * 2 ** 20;

const UploadQuery = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 200 }), farmId: Type.Optional(Type.Integer({ minimum: 1 })) });
type UploadQuery = Static<typeof UploadQuery>;
const ListQuery = Type.Object({ leafUserId: Type.Optional(Type.String()), ...pagingQuery });
type ListQuery = Static<typeof ListQuery>;
const IdParams = Type.Object({ uploadId: Type.String({ minLength: 1, maxLength: 200 }) });
type IdParams = Static<typeof IdParams>;

const UploadResponse = Type.Object({
  id: Type.String(),
  leafUserId: Type.String(),
  originalFileUrl: Type.Null(),
  fileName: Type.String(),
  status: Type.String(),
  createdTime: Type.String(),
});
const EntryResponse = Type.Object({
  id: Type.String(),
  fieldId: Type.Array(Type.String()),
  converterFormat: Type.Union([Type.String(), Type.Null()]),
  fileName: Type.String(),
  originalFileUrl: Type.Null(),
  leafUserId: Type.String(),
  uploadId: Type.String(),
  status: Type.String(),
  createFieldErrorDetails: Type.Array(Type.String()),
  createdTime: Type.String(),
  processedTime: Type.Union([Type.String(), Type.Null()]),
});

const uploadToWire = (u: BoundaryUpload) => ({ id: u.id, leafUserId: u.leafUserId, originalFileUrl: null, fileName: u.fileName, status: u.status, createdTime: u.createdTime });

async function fileBytes(request: FastifyRequest): Promise<{ fileName: string; bytes: Uint8Array }> {
  if (!request.isMultipart()) throw new FurrowError('unsupported_media_type', 'Expected Content-Type: multipart/form-data with the boundary file (zip, .geojson, .kml or .kmz) in the field `file`.');
  const part = await request.file();
  if (part === undefined || part.fieldname !== 'file') {
    throw new FurrowError('validation_failed', 'Expected the boundary file in the multipart field `file`.', { fieldErrors: [{ field: 'body.file', message: 'is required' }] });
  }
  const bytes = await part.toBuffer().catch((error: unknown) => {
    throw new FurrowError('upload_too_large', `The boundary file is larger than ${MAX_UPLOAD_BYTES} bytes; boundary uploads are at most that (Leaf: at most 100 fields).`, { cause: error });
  });
  return { fileName: part.filename, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export const uploadServiceRoutes: FastifyPluginAsync<{ boundaryUploads: BoundaryUploadsService }> = async (app, { boundaryUploads }) => {
  const tags = ['fields'];
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, fieldSize: 64 * 1024 }, throwFileSizeLimit: true });

  app.post<{ Querystring: UploadQuery }>(
    '/upload',
    {
      schema: {
        tags,
        summary: 'Upload field boundaries (zipped shapefile, GeoJSON, KML/KMZ) as fields of a Leaf user; processed before answering.',
        querystring: UploadQuery,
        consumes: ['multipart/form-data'],
        response: { 200: UploadResponse },
      },
    },
    async (request) => {
      const { fileName, bytes } = await fileBytes(request);
      return uploadToWire(await boundaryUploads.upload(request.owner, { leafUserId: request.query.leafUserId, farmId: request.query.farmId, fileName, bytes }));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/upload',
    { schema: { tags, summary: 'List boundary uploads.', querystring: ListQuery, response: { 200: Type.Array(UploadResponse) } } },
    async (request, reply) => {
      const pageRequest = parsePageRequest(request.query, ['createdTime'], [{ field: 'createdTime', direction: 'asc' }]);
      return sendPage(request, reply, pageRequest, await boundaryUploads.list(request.owner, request.query.leafUserId, pageRequest)).map(uploadToWire);
    },
  );

  app.get<{ Params: IdParams }>(
    '/upload/:uploadId',
    { schema: { tags, summary: 'Get a boundary upload.', params: IdParams, response: { 200: UploadResponse } } },
    async (request) => uploadToWire(await boundaryUploads.get(request.owner, request.params.uploadId)),
  );

  app.get<{ Params: IdParams }>(
    '/upload/:uploadId/entries',
    { schema: { tags, summary: 'The files of the upload: the fields each made, and an error line per feature that made none.', params: IdParams, response: { 200: Type.Array(EntryResponse) } } },
    async (request) => {
      const upload = await boundaryUploads.get(request.owner, request.params.uploadId);
      return upload.entries.map((e) => ({ ...e, originalFileUrl: null, leafUserId: upload.leafUserId, uploadId: upload.id }));
    },
  );
};
