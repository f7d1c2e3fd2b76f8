import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { FILE_SORT_FIELDS, type FileSortField } from '../../../domain/index.js';
import type { MachineFilesService } from '../../../services/machine-files.js';
import { parsePageRequest, sendPage } from '../../paging.js';
import {
  DownloadParams,
  FileIdParams,
  FileListQuery,
  FileResponse,
  GeoparquetResponse,
  MergeBody,
  MergeResponse,
  StepStatusResponse,
  SummaryResponse,
  UncoveredQuery,
  UncoveredResponse,
  UnitsResponse,
} from '../../schemas/machine-files.js';
import { Type } from '@sinclair/typebox';

/**
 * `/services/operations/api/files` (leaf-api.md 7.3): machine files of the API owner's users,
 * their summary, units, per-step status and outputs, and merges. Lists are bare arrays with
 * X-Total-Count and Link, like every other Furrow list.
 */
export const filesRoutes: FastifyPluginAsync<{ machineFiles: MachineFilesService }> = async (app, { machineFiles }) => {
  const tags = ['operations'];

  app.get<{ Querystring: FileListQuery }>(
    '/files',
    { schema: { tags, summary: 'List machine files (every filter Leaf documents).', querystring: FileListQuery, response: { 200: Type.Array(FileResponse) } } },
    async (request, reply) => {
      const { page: _page, size: _size, sort: _sort, ...filter } = request.query;
      const pageRequest = parsePageRequest<FileSortField>(request.query, FILE_SORT_FIELDS, [{ field: 'createdTime', direction: 'asc' }]);
      return sendPage(request, reply, pageRequest, await machineFiles.listFiles(request.owner, filter, pageRequest));
    },
  );

  // Static paths before `/files/:id`, though Fastify prefers them either way.
  app.get<{ Querystring: UncoveredQuery }>(
    '/files/uncoveredFiles',
    { schema: { tags, summary: "Ids of the user's processed files that no field operation covers.", querystring: UncoveredQuery, response: { 200: UncoveredResponse } } },
    async (request) => machineFiles.uncoveredFiles(request.owner, request.query.leafUserId),
  );

  app.post<{ Body: MergeBody }>(
    '/files/merge',
    {
      schema: {
        tags,
        summary: 'Merge processed files of one user and operation type into a new `merged` file, built by a job.',
        body: MergeBody,
        response: { 200: MergeResponse },
      },
    },
    async (request) => machineFiles.merge(request.owner, request.body.ids),
  );

  app.get<{ Params: FileIdParams }>(
    '/files/:id',
    { schema: { tags, summary: 'Get a machine file, with its summary and download links.', params: FileIdParams, response: { 200: FileResponse } } },
    async (request) => machineFiles.getFile(request.owner, request.params.id),
  );

  app.get<{ Params: FileIdParams }>(
    '/files/:id/summary',
    { schema: { tags, summary: "The file's summary Feature (coverage and statistics).", params: FileIdParams, response: { 200: SummaryResponse } } },
    async (request) => machineFiles.summary(request.owner, request.params.id),
  );

  app.get<{ Params: FileIdParams }>(
    '/files/:id/units',
    { schema: { tags, summary: 'The unit of each property of the standard output.', params: FileIdParams, response: { 200: UnitsResponse } } },
    async (request) => machineFiles.units(request.owner, request.params.id),
  );

  app.get<{ Params: FileIdParams }>(
    '/files/:id/status',
    { schema: { tags, summary: 'The status of each processing step.', params: FileIdParams, response: { 200: StepStatusResponse } } },
    async (request) => machineFiles.status(request.owner, request.params.id),
  );

  app.get<{ Params: FileIdParams }>(
    '/files/:id/standardGeoparquet',
    {
      schema: {
        tags,
        summary: 'The download link of the GeoParquet output (made when enableGeoparquetOutput is on); 404 output_not_available otherwise.',
        params: FileIdParams,
        response: { 200: GeoparquetResponse },
      },
    },
    async (request) => machineFiles.standardGeoparquet(request.owner, request.params.id),
  );

  app.get<{ Params: DownloadParams }>(
    '/files/:id/download/:output',
    { schema: { tags, summary: 'Download the original upload or an output, streamed.', params: DownloadParams } },
    async (request, reply) => {
      const download = await machineFiles.download(request.owner, request.params.id, request.params.output);
      reply.type(download.contentType).header('Content-Disposition', `attachment; filename="${download.fileName.replace(/["\\\r\n]/g, '_')}"`);
      if (download.size !== undefined) reply.header('Content-Length', String(download.size));
      return reply.send(Readable.from(download.content, { objectMode: false }));
    },
  );
};
