import type { FastifyPluginAsync } from 'fastify';
import { FurrowError } from '../../domain/index.js';

/** `GET /health`: 200 once the database and job queue answer, 503 otherwise. */
export const healthRoutes: FastifyPluginAsync<{ checkHealth(): Promise<void> }> = async (app, options) => {
  app.get(
    '/health',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        security: [],
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] } },
      },
    },
    async () => {
      try {
        await options.checkHealth();
      } catch (error) {
        throw new FurrowError('service_unavailable', `Not ready: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      return { status: 'ok' as const };
    },
  );
};
