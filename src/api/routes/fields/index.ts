/** @module `/services/fields/api`: Leaf's Fields service, growers, farms, fields and boundaries. */
import type { FastifyPluginAsync } from 'fastify';
import type { FieldsService } from '../../../services/fields.js';
import { fieldsRoutes } from './fields.js';
import { growersFarmsRoutes } from './growers-farms.js';

export const fieldsServiceRoutes: FastifyPluginAsync<{ fields: FieldsService }> = async (app, { fields }) => {
  await app.register(fieldsRoutes, { fields });
  await app.register(growersFarmsRoutes, { fields });
};
