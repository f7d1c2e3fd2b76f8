// Placeholder until the configurations routes land.
import type { FastifyPluginAsync } from 'fastify';
import type { ConfigurationsService } from '../../../services/configurations.js';
export const configsRoutes: FastifyPluginAsync<{ configurations: ConfigurationsService }> = async () => {};
