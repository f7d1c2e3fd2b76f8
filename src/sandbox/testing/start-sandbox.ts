/**
 * A sandbox on a real loopback port for tests: a small Fastify app with `sandboxRoutes`, the
 * API's validator and problem+json errors, and a stand-in for the bearer-token hook that takes the
 * API owner from an `x-test-owner` header. The sandbox clock can be moved forward.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { FurrowError } from '../../domain/index.js';
import { sendProblem, toFurrowError } from '../../api/problem.js';
import { validatorCompiler } from '../../api/validation.js';
import { createAdapterContext, providers as registry, type AdapterContext, type Environment, type Exchange, type Provider } from '../../providers/index.js';
import { SandboxAccountStore } from '../account-store.js';
import type { SandboxFaults } from '../faults.js';
import { SANDBOX_PATH, sandboxRoutes } from '../sandbox-routes.js';

/** The header the stand-in auth hook reads the API owner id from. */
export const TEST_OWNER_HEADER = 'x-test-owner';

/** A running sandbox and helpers to drive it. */
export interface SandboxHarness {
  app: FastifyInstance;
  store: SandboxAccountStore;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** What `createAdapterContext` takes as `sandboxBaseUrl`. */
  sandboxBaseUrl: string;
  /** Moves the sandbox's clock (token expiry, grace, rate windows) forward. */
  advanceClock(ms: number): void;
  /** A control API call as `owner`; the body is parsed JSON, for tests to assert on by shape. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  control(method: 'GET' | 'POST', path: string, body?: unknown, owner?: string): Promise<{ status: number; body: any }>;
  /** A sandbox account of `provider`, created through the control API. */
  createAccount(provider: string, options?: { scenario?: string; seed?: number; fields?: number; owner?: string }): Promise<{ id: string; credentials: Record<string, string> }>;
  setFaults(id: string, faults: SandboxFaults): Promise<void>;
  stats(id: string): Promise<Record<string, number>>;
  /** An adapter context aimed at this sandbox, recording exchanges. */
  adapterContext(providerId: string, options?: { environment?: Environment; secretValues?: string[] }): { ctx: AdapterContext; exchanges: Exchange[] };
  close(): Promise<void>;
}

/** Starts a sandbox on 127.0.0.1, port 0, serving `providers` (the registry by default). */
export async function startSandbox(options: { providers?: Readonly<Record<string, Provider>> } = {}): Promise<SandboxHarness> {
  let offset = 0;
  const store = new SandboxAccountStore({ now: () => Date.now() + offset });
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.decorateRequest('owner', null as unknown as { ownerId: string; username: string });
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || request.routeOptions.url === undefined) return;
    const owner = request.headers[TEST_OWNER_HEADER];
    if (typeof owner !== 'string' || owner === '') throw new FurrowError('authentication_required', `Send ${TEST_OWNER_HEADER} (the test stand-in for the bearer token).`);
    request.owner = { ownerId: owner, username: `${owner}@example.com` };
  });
  app.setErrorHandler((error, _request, reply) => sendProblem(reply, toFurrowError(error instanceof Error ? error : new Error(String(error)))));
  await app.register(sandboxRoutes, { providers: options.providers ?? registry, store });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const origin = address.replace('localhost', '127.0.0.1');

  const control: SandboxHarness['control'] = async (method, path, body, owner = 'owner-a') => {
    const response = await fetch(`${origin}${SANDBOX_PATH}/api${path}`, {
      method,
      headers: { [TEST_OWNER_HEADER]: owner, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  return {
    app,
    store,
    origin,
    sandboxBaseUrl: `${origin}${SANDBOX_PATH}`,
    advanceClock: (ms) => {
      offset += ms;
    },
    control,
    async createAccount(provider, { scenario, seed, fields, owner } = {}) {
      const { status, body } = await control('POST', '/accounts', { provider, scenario, seed, fields }, owner);
      if (status !== 201) throw new Error(`Creating a ${provider} sandbox account answered ${status}: ${JSON.stringify(body)}`);
      return body;
    },
    async setFaults(id, faults) {
      const { status, body } = await control('POST', `/accounts/${id}/faults`, faults);
      if (status !== 200) throw new Error(`Setting faults answered ${status}: ${JSON.stringify(body)}`);
    },
    async stats(id) {
      return (await control('GET', `/accounts/${id}/stats`)).body;
    },
    adapterContext(providerId, { environment = 'STAGE', secretValues = [] } = {}) {
      const exchanges: Exchange[] = [];
      const ctx = createAdapterContext({ providerId, environment, sandboxBaseUrl: `${origin}${SANDBOX_PATH}`, fetch: globalThis.fetch, onExchange: (e) => exchanges.push(e), secretValues });
      return { ctx, exchanges };
    },
    close: () => app.close(),
  };
}
