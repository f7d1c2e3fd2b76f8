import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { OPERATION_SORT_FIELDS, type FieldOperationOutput, type OperationSortField } from '../../../domain/index.js';
import type { FieldOperationsService } from '../../../services/field-operations.js';
import { FileResponse, SummaryResponse, UnitsResponse } from '../../schemas/machine-files.js';
import { MachinesResponse, OperationIdParams, OperationLinksResponse, OperationListQuery, OperationOutputParams, OperationResponse } from '../../schemas/operations.js';
import { parsePageRequest, sendPage } from '../../paging.js';

/**
 * `/services/operations/api/operations` (leaf-api.md 7.8): the field operations of the API owner's
 * users, their summary, units, outputs, files and machines, and reprocessing. The list is a bare
 * array with X-Total-Count and Link, like the files list.
 */
export const fieldOperationsRoutes: FastifyPluginAsync<{ fieldOperations: FieldOperationsService }> = async (app, { fieldOperations }) => {
  const tags = ['operations'];

  app.get<{ Querystring: OperationListQuery }>(
    '/operations',
    { schema: { tags, summary: 'List field operations (every filter and sort Leaf documents).', querystring: OperationListQuery, response: { 200: Type.Array(OperationResponse) } } },
    async (request, reply) => {
      const { page: _page, size: _size, sort: _sort, ...filter } = request.query;
      const pageRequest = parsePageRequest<OperationSortField>(request.query, OPERATION_SORT_FIELDS, [{ field: 'startTime', direction: 'asc' }]);
      return sendPage(request, reply, pageRequest, await fieldOperations.list(request.owner, filter, pageRequest));
    },
  );

  app.get<{ Params: OperationIdParams }>(
    '/operations/:id',
    { schema: { tags, summary: 'Get a field operation: files, fields with coverage, providers, times.', params: OperationIdParams, response: { 200: OperationResponse } } },
    async (request) => fieldOperations.get(request.owner, request.params.id),
  );

  app.get<{ Params: OperationIdParams }>(
    '/operations/:id/summary',
    { schema: { tags, summary: "The operation's summary Feature (same vocabulary as a file's).", params: OperationIdParams, response: { 200: SummaryResponse } } },
    async (request) => fieldOperations.summary(request.owner, request.params.id),
  );

  app.get<{ Params: OperationIdParams }>(
    '/operations/:id/units',
    { schema: { tags, summary: 'The unit of each property of the operation outputs.', params: OperationIdParams, response: { 200: UnitsResponse } } },
    async (request) => fieldOperations.units(request.owner, request.params.id),
  );

  const outputs: { path: string; output: FieldOperationOutput; summary: string }[] = [
    { path: 'standardGeojson', output: 'standardGeojson', summary: 'Links to the merged standardGeojson of the operation.' },
    { path: 'filteredGeojson', output: 'filteredGeojson', summary: 'Links to the filteredGeojson (cleanup rules, slow points and harvest outliers removed).' },
    { path: 'standardGeoparquet', output: 'standardGeoparquet', summary: 'Link to the GeoParquet twin of standardGeojson (enableGeoparquetOutput).' },
    { path: 'filteredGeoparquet', output: 'filteredGeoparquet', summary: 'Link to the GeoParquet twin of filteredGeojson (enableGeoparquetOutput).' },
  ];
  for (const { path, output, summary } of outputs) {
    app.get<{ Params: OperationIdParams }>(
      `/operations/:id/${path}`,
      { schema: { tags, summary, params: OperationIdParams, response: { 200: OperationLinksResponse } } },
      async (request) => fieldOperations.links(request.owner, request.params.id, output),
    );
  }

  app.get<{ Params: OperationOutputParams }>(
    '/operations/:id/download/:output',
    { schema: { tags, summary: 'Download an operation output, streamed.', params: OperationOutputParams } },
    async (request, reply) => {
      const download = await fieldOperations.download(request.owner, request.params.id, request.params.output);
      reply.type(download.contentType).header('Content-Disposition', `attachment; filename="${download.fileName.replace(/["\\\r\n]/g, '_')}"`);
      if (download.size !== undefined) reply.header('Content-Length', String(download.size));
      return reply.send(Readable.from(download.content, { objectMode: false }));
    },
  );

  app.get<{ Params: OperationIdParams }>(
    '/operations/:id/files',
    { schema: { tags, summary: 'The machine files merged into the operation.', params: OperationIdParams, response: { 200: Type.Array(FileResponse) } } },
    async (request) => fieldOperations.files(request.owner, request.params.id),
  );

  app.get<{ Params: OperationIdParams }>(
    '/operations/:id/machines',
    { schema: { tags, summary: 'Ids of the machines (not implements) that logged the operation.', params: OperationIdParams, response: { 200: MachinesResponse } } },
    async (request) => fieldOperations.machines(request.owner, request.params.id),
  );

  app.post<{ Params: OperationIdParams }>(
    '/operations/:id/reprocess',
    { schema: { tags, summary: 'Regroup the user\'s files and rebuild this operation (from the merge step).', params: OperationIdParams, response: { 200: OperationResponse } } },
    async (request) => fieldOperations.reprocess(request.owner, request.params.id),
  );
};
