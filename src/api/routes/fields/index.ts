/** @module `/services/fields/api`: Leaf's Fields service, growers, farms, fields and boundaries. */
import type { FastifyPluginAsync } from 'fastify';
import type { FieldsService } from '../../../services/fields.js';
import type { SyncService } from '../../../services/sync.js';
import { fieldsRoutes } from './fields.js';
import { growersFarmsRoutes } from './growers-farms.js';

export const fieldsServiceRoutes: FastifyPluginAsync<{ fields: FieldsService; sync?: SyncService }> = async (app, { fields, sync }) => {
  await app.register(fieldsRoutes, { fields, ...(sync === undefined ? {} : { sync }) });
  await app.register(growersFarmsRoutes, { fields });
};
