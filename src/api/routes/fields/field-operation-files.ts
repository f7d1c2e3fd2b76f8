import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { FieldOperationsService } from '../../../services/field-operations.js';
import { FileResponse } from '../../schemas/machine-files.js';
import { FieldOperationFilesParams } from '../../schemas/operations.js';

/**
 * `GET /services/fields/api/users/{leafUserId}/fields/{fieldId}/operations/files` (leaf-api.md
 * 7.1): the machine files of the field's operations, oldest first. Leaf's deprecated form
 * `.../fields/{fieldId}/operations` answers the same.
 */
export const fieldOperationFilesRoutes: FastifyPluginAsync<{ fieldOperations: FieldOperationsService }> = async (app, { fieldOperations }) => {
  const schema = { tags: ['fields'], summary: "The machine files of the field's operations.", params: FieldOperationFilesParams, response: { 200: Type.Array(FileResponse) } };
  for (const url of ['/users/:leafUserId/fields/:fieldId/operations/files', '/users/:leafUserId/fields/:fieldId/operations']) {
    app.get<{ Params: FieldOperationFilesParams }>(url, { schema }, async (request) => fieldOperations.fieldFiles(request.owner, request.params.leafUserId, request.params.fieldId));
  }
};
