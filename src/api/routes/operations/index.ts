/** @module `/services/operations/api`: Leaf's Operations service, files, batch uploads and field operations. */
import type { FastifyPluginAsync } from 'fastify';
import type { FieldOperationsService } from '../../../services/field-operations.js';
import type { MachineFilesService } from '../../../services/machine-files.js';
import { batchRoutes } from './batch.js';
import { filesRoutes } from './files.js';
import { fieldOperationsRoutes } from './operations.js';

export const operationsRoutes: FastifyPluginAsync<{ machineFiles: MachineFilesService; fieldOperations?: FieldOperationsService }> = async (app, { machineFiles, fieldOperations }) => {
  await app.register(filesRoutes, { machineFiles });
  await app.register(batchRoutes, { machineFiles, uploadLimitBytes: machineFiles.uploadLimitBytes });
  if (fieldOperations !== undefined) await app.register(fieldOperationsRoutes, { fieldOperations });
};
