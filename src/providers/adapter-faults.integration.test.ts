/**
 * The sandbox faults every adapter must meet the same way, for every provider against its
 * emulator over real HTTP: 5xx answers and dropped connections are `retry_later` (the one with a
 * status, the other without), the adapter works again once they stop, and latency slows it.
 * Provider-specific faults (revocation, scopes, rate limits) stay in each provider's own test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHarness } from '../sandbox/testing/start-sandbox.js';
import { environmentOf } from './define-provider.js';
import { isProviderError, type ProviderError } from './provider-error.js';
import type { Provider, ProviderCredential } from './provider.js';
import { providers } from './registry.js';

const connected = (Object.values(providers) as Provider[]).filter((p) => p.adapter !== undefined && p.emulator !== undefined);

describe.each(connected)('$id adapter under sandbox faults', (provider) => {
  let sandbox: SandboxHarness;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => sandbox?.close());

  const adapter = provider.adapter!;
  async function connect() {
    const account = await sandbox.createAccount(provider.id);
    const environment = environmentOf(provider, account.credentials);
    const { ctx } = sandbox.adapterContext(provider.id, { environment });
    const credential: ProviderCredential = { id: account.id, environment, fields: account.credentials, tokens: undefined };
    const tokens = await adapter.validate(credential, ctx);
    return { id: account.id, ctx, credential: { ...credential, tokens } };
  }
  const failure = async (promise: Promise<unknown>): Promise<ProviderError> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(isProviderError(error), String(error)).toBe(true);
    return error as ProviderError;
  };

  it('answers retry_later with the 5xx status while every call fails, and works once they stop', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { errorRate: 1 });
    const error = await failure(adapter.refresh(credential, ctx));
    expect(error.errorClass).toBe('retry_later');
    expect(error.status).toBeGreaterThanOrEqual(500);
    await sandbox.setFaults(id, {});
    await expect(adapter.refresh(credential, ctx)).resolves.toBeDefined();
  });

  it('answers retry_later without a status while the provider drops connections, and works after', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { downForSeconds: 30 });
    const error = await failure(adapter.refresh(credential, ctx));
    expect(error.errorClass).toBe('retry_later');
    expect(error.status).toBeUndefined();
    sandbox.advanceClock(31_000);
    await expect(adapter.refresh(credential, ctx)).resolves.toBeDefined();
  });

  it('is slowed by the latency fault', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { latencyMs: 150 });
    const started = performance.now();
    await adapter.refresh(credential, ctx);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150 - 10);
  });
});
