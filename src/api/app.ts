/**
 * Builds the HTTP API (never listens): Leaf's routes under their service prefixes, bearer-token
 * authentication on every route not marked public, problem+json errors, and the OpenAPI document
 * generated from the route schemas.
 */
import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { FurrowError, type OwnerContext } from '../domain/index.js';
import type { ApiOwnersService } from '../services/api-owners.js';
import type { UsersService } from '../services/users.js';
import type { ConfigurationsService } from '../services/configurations.js';
import type { CredentialsService } from '../services/credentials.js';
import type { OrganizationsService } from '../services/organizations.js';
import type { AlertsService } from '../services/alerts.js';
import type { Provider } from '../providers/provider.js';
import { credentialsRoutes } from './routes/usermanagement/credentials.js';
import { organizationsRoutes } from './routes/usermanagement/organizations.js';
import { oneClickRoutes } from './routes/usermanagement/one-click.js';
import { sandboxRoutes, type SandboxAccountStore } from '../sandbox/index.js';
import { sendProblem, toFurrowError } from './problem.js';
import { validatorCompiler } from './validation.js';
import { authenticateRoutes } from './routes/authenticate.js';
import { healthRoutes } from './routes/health.js';
import { usersRoutes } from './routes/usermanagement/users.js';
import { configsRoutes } from './routes/config/configs.js';
import { webhooksRoutes } from './routes/alerts/webhooks.js';
import type { AppKeysService } from '../services/app-keys.js';
import type { ApiKeysService } from '../services/api-keys.js';
import type { MagicLinksService } from '../services/magic-links.js';
import type { MagicLinkUploadsService } from '../services/magic-link-uploads.js';
import { appKeysRoutes } from './routes/usermanagement/app-keys.js';
import { apiKeysRoutes } from './routes/usermanagement/api-keys.js';
import { magicLinkRoutes } from './routes/widgets/magic-link.js';
import { magicLinkPages } from './routes/widgets/pages.js';
import { furrowLinkRoutes } from './routes/widgets/furrow-link.js';
import { operationsRoutes } from './routes/operations/index.js';
import { fieldOperationFilesRoutes } from './routes/fields/field-operation-files.js';
import type { FieldOperationsService } from '../services/field-operations.js';
import type { MachineFilesService } from '../services/machine-files.js';
import type { FieldsService } from '../services/fields.js';
import type { SyncService } from '../services/sync.js';
import type { BoundaryUploadsService } from '../services/fields-uploads.js';
import { fieldsServiceRoutes } from './routes/fields/index.js';
import { uploadServiceRoutes } from './routes/uploadservice/upload.js';
import { integrationsRoutes } from './routes/integrations/resources.js';
import type { SyncEventsService } from '../services/sync-events.js';
import { providerEventsRoutes } from './routes/webhooks/provider-events.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated API owner; set on every route that is not public. */
    owner: OwnerContext;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a bearer token. */
    public?: boolean;
  }
}

export interface ApiDependencies {
  logger: Logger;
  bodyLimitBytes: number;
  apiOwners: ApiOwnersService;
  users: UsersService;
  configurations: ConfigurationsService;
  credentials: CredentialsService;
  organizations: OrganizationsService;
  alerts: AlertsService;
  machineFiles: MachineFilesService;
  /** Field operations; absent, their routes are not served. */
  fieldOperations?: FieldOperationsService;
  appKeys: AppKeysService;
  apiKeys: ApiKeysService;
  magicLinks: MagicLinksService;
  magicLinkUploads: MagicLinkUploadsService;
  fields: FieldsService;
  /** The sync engine; absent, a manual sync request is answered but nothing is queued. */
  sync?: SyncService;
  boundaryUploads: BoundaryUploadsService;
  /** Provider event deliveries; absent, `/webhooks/provider-events` is not served. */
  syncEvents?: SyncEventsService;
  /** The provider registry: per-provider routes and schemas are built from it. */
  providers: Readonly<Record<string, Provider>>;
  /** Present when the sandbox is on: the emulators and their control API are served. */
  sandbox?: { store: SandboxAccountStore };
  /** Resolves when the database and the job queue answer; rejects with the reason otherwise. */
  checkHealth(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // A caller's X-Request-Id is kept when it is plain, so logs can be joined across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    // One line per request, written when it completes (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.decorateRequest('owner', null as unknown as OwnerContext);

  // Callback-style hooks: on the hot path (a cached token) authentication costs no promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', String(request.id));
    if (request.routeOptions.config.public === true || request.routeOptions.url === undefined) return done();
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      return done(new FurrowError('authentication_required', 'Send Authorization: Bearer <id_token>; get a token from POST /api/authenticate.'));
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] === undefined) return done(new FurrowError('invalid_token', 'Expected the Authorization header as "Bearer <id_token>".'));
    const cached = deps.apiOwners.verifiedToken(match[1]);
    if (cached !== undefined) {
      request.owner = cached;
      return done();
    }
    deps.apiOwners.verifyToken(match[1]).then(
      (owner) => {
        request.owner = owner;
        done();
      },
      (error: Error) => done(error),
    );
  });

  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const furrowError = toFurrowError(error instanceof Error ? error : new Error(String(error)));
    if (furrowError.code === 'internal_error') request.log.error({ err: error }, 'unhandled error');
    else request.log.info({ errorKey: furrowError.code }, furrowError.message);
    if (furrowError.code === 'authentication_required' || furrowError.code === 'invalid_token') reply.header('WWW-Authenticate', 'Bearer');
    return sendProblem(reply, furrowError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new FurrowError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Furrow API', version: '0.1.0', description: 'Leaf-compatible API for agricultural data providers. See the README for where Furrow deliberately differs.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addHook('onRoute', (route) => {
    // The documentation pages are public, like /openapi.json.
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { checkHealth: deps.checkHealth });
  await app.register(authenticateRoutes, { apiOwners: deps.apiOwners });
  await app.register(usersRoutes, { prefix: '/services/usermanagement/api', users: deps.users, credentials: deps.credentials, providers: deps.providers });
  await app.register(credentialsRoutes, { prefix: '/services/usermanagement/api', credentials: deps.credentials, providers: deps.providers, ...(deps.sync === undefined ? {} : { sync: deps.sync }) });
  await app.register(organizationsRoutes, { prefix: '/services/usermanagement/api', organizations: deps.organizations });
  await app.register(oneClickRoutes, { prefix: '/services/usermanagement/api', credentials: deps.credentials, users: deps.users, providers: deps.providers, sandbox: deps.sandbox !== undefined });
  await app.register(configsRoutes, { prefix: '/services/config/api', configurations: deps.configurations });
  await app.register(webhooksRoutes, { prefix: '/services/alerts/api/alerts', alerts: deps.alerts });
  await app.register(fieldsServiceRoutes, { prefix: '/services/fields/api', fields: deps.fields, ...(deps.sync === undefined ? {} : { sync: deps.sync }) });
  await app.register(uploadServiceRoutes, { prefix: '/services/uploadservice/api', boundaryUploads: deps.boundaryUploads });
  await app.register(integrationsRoutes, { prefix: '/services/integrations/api', fields: deps.fields });
  await app.register(operationsRoutes, { prefix: '/services/operations/api', machineFiles: deps.machineFiles, ...(deps.fieldOperations === undefined ? {} : { fieldOperations: deps.fieldOperations }) });
  if (deps.fieldOperations !== undefined) await app.register(fieldOperationFilesRoutes, { prefix: '/services/fields/api', fieldOperations: deps.fieldOperations });
  await app.register(appKeysRoutes, { prefix: '/services/usermanagement/api', appKeys: deps.appKeys, providers: deps.providers });
  await app.register(apiKeysRoutes, { prefix: '/services/usermanagement/api', apiKeys: deps.apiKeys });
  await app.register(magicLinkRoutes, { prefix: '/services/widgets/api', magicLinks: deps.magicLinks });
  await app.register(magicLinkPages, { magicLinks: deps.magicLinks, providers: deps.providers, uploads: deps.magicLinkUploads });
  await app.register(furrowLinkRoutes, { apiKeys: deps.apiKeys, magicLinks: deps.magicLinks });
  if (deps.syncEvents !== undefined) await app.register(providerEventsRoutes, { syncEvents: deps.syncEvents });
  if (deps.sandbox !== undefined) await app.register(sandboxRoutes, { providers: deps.providers, store: deps.sandbox.store });
  return app;
}
