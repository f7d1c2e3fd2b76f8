/**
 * Alert delivery end to end on each database: Furrow's API and workers, the sandbox's John Deere
 * emulator, and real receivers on loopback that check both signatures from the raw bytes. Retry
 * points are scaled down (FURROW_ALERT_RETRY_SCALE) so the 1/30/60/240-minute schedule runs in
 * about four seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertEvent, retryOffsetsMs, type AlertEventType } from '../alerts/index.js';
import { startTestReceiver, type ReceivedCall, type TestReceiver } from '../alerts/testing/test-receiver.js';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { sleep, waitFor } from '../jobs/testing/wait-for.js';
import { providers } from '../providers/registry.js';
import { testDatabases } from '../storage/testing/test-databases.js';

const databases = await testDatabases();
const SCALE = 0.00025;
const [, , , LAST_POINT_MS] = retryOffsetsMs(SCALE) as [number, number, number, number];
const webhooks = '/services/alerts/api/alerts/webhooks';
const users = '/services/usermanagement/api/users';
const deere = providers['john-deere']!;
const CREDENTIAL_EVENTS: AlertEventType[] = ['credentialsCreated', 'credentialsUnauthenticated', 'credentialsLimitedPermission', 'credentialsRecovered', 'credentialsDeleted'];

describe.each(databases)('alert delivery on $name', (database) => {
  let h: ApiHarness;
  const receivers: TestReceiver[] = [];
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true, alerts: { retryScale: SCALE, timeoutMs: 1000 } });
    await h.queue.start({ concurrency: 4 });
  });
  afterAll(async () => {
    await h?.close();
    for (const r of receivers) await r.close();
  });

  const receiver = async (secret: string) => {
    const r = await startTestReceiver({ secret });
    receivers.push(r);
    return r;
  };
  const register = async (token: string, events: string[], url: string, secret: string) => {
    const r = await h.request({ method: 'POST', url: webhooks, token, payload: { events, name: 'test', url, secret } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  const ownerOf = (token: string) => h.services.apiOwners.verifyToken(token);
  const newUser = async (token: string) => (await h.request({ method: 'POST', url: users, token, payload: { name: 'grower' } })).json().id as string;
  const newAccount = async (token: string) => (await h.request({ method: 'POST', url: '/sandbox/api/accounts', token, payload: { provider: deere.id } })).json() as { id: string; credentials: Record<string, unknown> };
  const faults = async (token: string, accountId: string, payload: Record<string, unknown>) =>
    expect((await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/faults`, token, payload })).statusCode).toBeLessThan(300);
  const events = (r: TestReceiver) => r.delivered().filter((c) => typeof c.body.type === 'string');
  const typesOf = (calls: ReceivedCall[]) => calls.map((c) => c.body.type);
  /** Emits `n` numbered field events for the owner, each in its own transaction. */
  const emitFields = async (ownerId: string, n: number, from = 0) => {
    for (let i = from; i < from + n; i += 1) {
      await h.services.alerts.transact((uow) => h.services.alerts.emit(uow, alertEvent('fieldCreated', ownerId, { source: 'REST', leafUserId: 'user', fieldId: `field-${i}` })));
    }
  };

  it('delivers every credential event Furrow emits, each signed both ways over its exact bytes', async () => {
    const token = await h.newOwnerToken();
    const secret = 'every-event-secret';
    const r = await receiver(secret);
    await register(token, CREDENTIAL_EVENTS, r.url, secret);
    const userId = await newUser(token);
    const account = await newAccount(token);
    const credentialsUrl = `${users}/${userId}/${deere.credentialsPath}`;

    expect((await h.request({ method: 'POST', url: credentialsUrl, token, payload: account.credentials })).statusCode).toBe(201);
    // A scope taken away: the next API call is refused 403, MISSING_PERMISSION.
    await faults(token, account.id, { limitedPermission: true });
    await h.request({ method: 'POST', url: `${users}/${userId}/${deere.apiName}/organizations/sync`, token });
    expect((await h.request({ method: 'GET', url: credentialsUrl, token })).json().status).toBe('MISSING_PERMISSION');
    // Back: a successful refresh recovers it.
    await faults(token, account.id, {});
    expect((await h.request({ method: 'POST', url: `${credentialsUrl}/refresh`, token })).json().status).toBe('OK');
    await faults(token, account.id, { revoke: true });
    expect((await h.request({ method: 'POST', url: `${credentialsUrl}/refresh`, token })).json().status).toBe('UNAUTHENTICATED');
    expect((await h.request({ method: 'DELETE', url: credentialsUrl, token })).statusCode).toBe(204);

    await waitFor('five credential events', () => events(r).length >= 5);
    expect(typesOf(events(r))).toEqual(['credentialsCreated', 'credentialsLimitedPermission', 'credentialsRecovered', 'credentialsUnauthenticated', 'credentialsDeleted']);
    for (const call of r.delivered()) {
      expect(call.leafSignatureValid, String(call.body.type ?? 'confirmation')).toBe(true);
      expect(call.standardSignatureValid, String(call.body.type ?? 'confirmation')).toBe(true);
      // Leaf's spacing, pure ASCII, and the exact bytes re-serialised the way Leaf's receivers do.
      const text = call.raw.toString('latin1');
      expect(/^[\x20-\x7e]+$/.test(text)).toBe(true);
      expect(text).toBe(`{${Object.entries(call.body).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`);
      expect(call.headers['content-type']).toBe('application/json');
    }
    const credentialId = events(r)[0]!.body.credentialId;
    for (const call of events(r)) {
      expect(Object.keys(call.body)).toEqual(['credential', 'provider', 'credentialId', 'leafUserId', 'message', 'status', 'type', 'timestamp']);
      expect(call.body).toMatchObject({ provider: deere.apiName, credentialId, leafUserId: userId });
      expect(call.body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    expect(events(r).map((c) => c.body.status)).toEqual(['OK', 'MISSING_PERMISSION', 'OK', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(new Set(r.delivered().map((c) => c.headers['webhook-id'])).size).toBe(r.delivered().length);
  });

  it('sends exactly one credentialsUnauthenticated for a revoked grant however often it is retried, and one credentialsRecovered on reconnect', async () => {
    const token = await h.newOwnerToken();
    const secret = 'revoke-secret';
    const r = await receiver(secret);
    await register(token, ['credentialsUnauthenticated', 'credentialsRecovered'], r.url, secret);
    const userId = await newUser(token);
    const account = await newAccount(token);
    const credentialsUrl = `${users}/${userId}/${deere.credentialsPath}`;
    expect((await h.request({ method: 'POST', url: credentialsUrl, token, payload: account.credentials })).statusCode).toBe(201);
    await faults(token, account.id, { revoke: true });
    for (let i = 0; i < 4; i += 1) expect((await h.request({ method: 'POST', url: `${credentialsUrl}/refresh`, token })).json().status).toBe('UNAUTHENTICATED');
    const stats = (await h.request({ method: 'GET', url: `/sandbox/api/accounts/${account.id}/stats`, token })).json();
    expect(stats.invalidGrantAnswers).toBeGreaterThanOrEqual(4);
    // The grower connects again (a fresh grant).
    const again = await h.request({ method: 'POST', url: credentialsUrl, token, payload: (await newAccount(token)).credentials });
    expect(again.json().status).toBe('OK');
    for (let i = 0; i < 2; i += 1) await h.request({ method: 'POST', url: `${credentialsUrl}/refresh`, token });

    await waitFor('the recovery alert', () => events(r).some((c) => c.body.type === 'credentialsRecovered'));
    await sleep(300);
    expect(typesOf(events(r))).toEqual(['credentialsUnauthenticated', 'credentialsRecovered']);
  });

  it('delivers every event, in order and once each, to a receiver that was down for most of the retry window', async () => {
    const token = await h.newOwnerToken();
    const { ownerId } = await ownerOf(token);
    const secret = 'down-secret';
    const r = await receiver(secret);
    r.setMode('unavailable');
    await register(token, ['fieldCreated'], r.url, secret);
    await emitFields(ownerId, 5);
    const started = Date.now();
    // Down through the 1st, 30th and 60th (scaled) minute retries; back before the 240th.
    await waitFor('three failed rounds', () => r.calls.length >= 3, { timeoutMs: 10_000 });
    await sleep(Math.max(0, LAST_POINT_MS / 2 - (Date.now() - started)));
    expect(r.delivered()).toHaveLength(0);
    r.setMode('ok');
    await waitFor('all six deliveries', () => r.delivered().length >= 6, { timeoutMs: LAST_POINT_MS + 10_000 });
    await sleep(300);
    const delivered = r.delivered();
    expect(delivered).toHaveLength(6);
    expect(delivered[0]!.body).toEqual({ message: 'confirmation of webhook upon registration' });
    expect(delivered.slice(1).map((c) => c.body.fieldId)).toEqual(['field-0', 'field-1', 'field-2', 'field-3', 'field-4']);
    // Only the head of the queue was tried while the receiver was down: order costs retries nothing.
    const failedTries = r.calls.filter((c) => c.answeredWith === 503);
    expect(new Set(failedTries.map((c) => c.headers['webhook-id']))).toEqual(new Set([delivered[0]!.headers['webhook-id']]));
    expect(failedTries.length).toBeGreaterThanOrEqual(3);
    expect(failedTries.length).toBeLessThanOrEqual(4);
    expect((await h.request({ method: 'GET', url: `${webhooks}/failed-calls`, token })).json()).toEqual({ items: [] });
    // Every retry was signed afresh, each over the same bytes.
    for (const call of r.calls) expect(call.leafSignatureValid && call.standardSignatureValid).toBe(true);
  });

  it('records a failed call for every event once a receiver stays down past the retry window', async () => {
    const token = await h.newOwnerToken();
    const { ownerId } = await ownerOf(token);
    const secret = 'gone-secret';
    const r = await receiver(secret);
    await r.goDown();
    const webhookId = await register(token, ['fieldCreated'], r.url, secret);
    await emitFields(ownerId, 3);
    const failed = await waitFor(
      'four failed calls',
      async () => {
        const items = (await h.request({ method: 'GET', url: `${webhooks}/failed-calls`, token })).json().items as Record<string, unknown>[];
        return items.length >= 4 ? items : undefined;
      },
      { timeoutMs: LAST_POINT_MS + 15_000, intervalMs: 100 },
    );
    expect(failed).toHaveLength(4);
    const owner = await ownerOf(token);
    for (const call of failed) {
      expect(call).toMatchObject({ apiOwner: owner.username, url: r.url, webhookId, connectionError: expect.stringMatching(/ECONNREFUSED/) });
      expect(call.status).toBeUndefined();
    }
    // Newest first, with the exact bytes that were to be sent.
    expect(failed.map((c) => c.type)).toEqual(['fieldCreated', 'fieldCreated', 'fieldCreated', 'webhookConfirmation']);
    expect(JSON.parse(failed[0]!.requestBody as string)).toMatchObject({ fieldId: 'field-2', type: 'fieldCreated' });
    // The confirmation had every try; nothing is left in the outbox.
    expect(failed[3]!.attempts).toBeGreaterThanOrEqual(4);
    const left = await h.storage.db.selectFrom('alert_outbox').where('webhook_id', '=', webhookId).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(0);
  });

  it('never stores or sends an alert whose transaction rolled back', async () => {
    const token = await h.newOwnerToken();
    const { ownerId } = await ownerOf(token);
    const secret = 'rollback-secret';
    const r = await receiver(secret);
    const webhookId = await register(token, ['operationCreated'], r.url, secret);
    await expect(
      h.services.alerts.transact(async (uow) => {
        await h.services.alerts.emit(uow, alertEvent('operationCreated', ownerId, { leafUserId: 'u', operationId: 'rolled-back' }));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await h.services.alerts.transact((uow) => h.services.alerts.emit(uow, alertEvent('operationCreated', ownerId, { leafUserId: 'u', operationId: 'committed' })));
    await waitFor('the committed event', () => events(r).length >= 1);
    await sleep(200);
    expect(events(r).map((c) => c.body.operationId)).toEqual(['committed']);
    const left = await h.storage.db.selectFrom('alert_outbox').where('webhook_id', '=', webhookId).selectAll().execute();
    expect(left).toEqual([]);
  });

  it("keeps delivering to a healthy receiver at speed while another owner's receiver never answers", async () => {
    const healthyToken = await h.newOwnerToken();
    const stuckToken = await h.newOwnerToken();
    const healthy = await receiver('healthy');
    const stuck = await receiver('stuck');
    stuck.setMode('hang');
    await register(stuckToken, ['fieldCreated', 'fieldUpdated'], stuck.url, 'stuck');
    await register(healthyToken, ['fieldCreated'], healthy.url, 'healthy');
    const stuckOwner = (await ownerOf(stuckToken)).ownerId;
    await emitFields(stuckOwner, 5);
    await emitFields((await ownerOf(healthyToken)).ownerId, 50);
    const started = Date.now();
    await waitFor('the healthy receiver to get all 50', () => events(healthy).length >= 50, { timeoutMs: 5000 });
    // Well within one 1 s timeout of the stuck receiver, which holds at most one call at a time.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(typesOf(events(healthy)).every((t) => t === 'fieldCreated')).toBe(true);
    expect(events(healthy).map((c) => c.body.fieldId)).toEqual(Array.from({ length: 50 }, (_, i) => `field-${i}`));
    expect(stuck.calls.length).toBeLessThanOrEqual(3);
    stuck.setMode('ok');
  });
});
