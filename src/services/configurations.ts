// Placeholder until the configurations service lands; the helper replaces this file.
import type { FastifyPluginAsync } from 'fastify';
export interface ConfigurationsService { readonly _placeholder?: never }
export function configurationsService(_deps: unknown): ConfigurationsService { return {}; }
export type _Unused = FastifyPluginAsync;
