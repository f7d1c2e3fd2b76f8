/**
 * The webhooks API (leaf-api.md 5) on each database: registration with Leaf's rules, the secret
 * answered once and stored encrypted, the signed confirmation call, tenant isolation, and the
 * outbound address policy.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../../alerts/testing/test-receiver.js';
import { waitFor } from '../../../jobs/testing/wait-for.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const webhooks = '/services/alerts/api/alerts/webhooks';
const SECRET = 'mRyT257XpFWX-test-secret';

describe.each(databases)('alert webhooks on $name', (database) => {
  let h: ApiHarness;
  let receiver: TestReceiver;
  beforeAll(async () => {
    h = await startApiHarness(database);
    receiver = await startTestReceiver({ secret: SECRET });
    await h.queue.start({ concurrency: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const create = (payload: Record<string, unknown>, token?: string) => h.request({ method: 'POST', url: webhooks, payload, ...(token === undefined ? {} : { token }) });

  it('registers a webhook: 201, the id in Location, the secret answered once, then masked', async () => {
    const created = await create({ events: ['credentialsCreated'], name: 'created listener', secret: SECRET, url: receiver.url });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ events: ['credentialsCreated'], name: 'created listener', secret: SECRET, url: receiver.url });
    expect(created.headers.location).toBe(`${webhooks}/${body.id}`);

    const got = await h.request({ method: 'GET', url: created.headers.location as string });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: body.id, events: ['credentialsCreated'], name: 'created listener', url: receiver.url });
    expect(got.json().secret).toBe(`****${SECRET.slice(-4)}`);
    expect(got.body).not.toContain(SECRET);

    const list = await h.request({ method: 'GET', url: webhooks });
    expect(list.statusCode).toBe(200);
    expect(list.headers['x-total-count']).toBe('1');
    expect(list.json()).toHaveLength(1);
    expect(list.body).not.toContain(SECRET);
  });

  it('sends a signed confirmation message to the URL on registration', async () => {
    const confirmation = await waitFor('the confirmation call', () => receiver.delivered().find((c) => c.body.message !== undefined));
    expect(confirmation.raw.toString()).toBe('{"message": "confirmation of webhook upon registration"}');
    expect(confirmation.leafSignatureValid).toBe(true);
    expect(confirmation.standardSignatureValid).toBe(true);
    expect(confirmation.headers['webhook-id']).toEqual(expect.any(String));
    expect(Math.abs(Number(confirmation.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('keeps the secret encrypted in the database', async () => {
    const dump = JSON.stringify(await h.storage.db.selectFrom('alert_webhooks').selectAll().execute());
    expect(dump).not.toContain(SECRET);
    if (h.storage.config.kind === 'sqlite') {
      const file = h.storage.config.file;
      const bytes = Buffer.concat([fs.readFileSync(file), fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0)]);
      expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    }
  });

  it('answers 400 eventRegisteredTwice for an event another webhook listens to, and stores nothing', async () => {
    const twice = await create({ events: ['credentialsDeleted', 'credentialsCreated'], name: 'again', secret: 's', url: receiver.url });
    expect(twice.statusCode).toBe(400);
    expect(twice.json()).toMatchObject({ errorKey: 'eventRegisteredTwice', status: 400 });
    expect(twice.json().fieldErrors).toEqual([{ field: 'body.events[1]', message: expect.stringContaining('already registered') }]);
    // Nothing of the refused registration was kept: its other event is still free.
    const other = await create({ events: ['credentialsDeleted'], name: 'deleted listener', secret: 's', url: receiver.url });
    expect(other.statusCode).toBe(201);
    expect((await h.request({ method: 'GET', url: webhooks })).json()).toHaveLength(2);
  });

  it('lets exactly one of several concurrent registrations of an event through', async () => {
    const token = await h.newOwnerToken();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => create({ events: ['credentialsRecovered'], name: `race ${i}`, secret: 's', url: receiver.url }, token)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 400, 400, 400, 400, 400]);
    for (const a of answers.filter((x) => x.statusCode === 400)) expect(a.json().errorKey).toBe('eventRegisteredTwice');
  });

  it('refuses unknown events, and Leaf events Furrow never sends, naming each', async () => {
    const r = await create({ events: ['credentialsUnauthenticated', 'newSatelliteImage', 'noSuchEvent'], name: 'x', secret: 's', url: receiver.url });
    expect(r.statusCode).toBe(400);
    expect(r.json().errorKey).toBe('validation_failed');
    expect(r.json().fieldErrors.map((f: { field: string }) => f.field)).toEqual(['body.events[1]', 'body.events[2]']);
    expect(r.json().fieldErrors[0].message).toContain('satellite');
  });

  it('validates the body: missing fields and a non-http URL are 400s', async () => {
    const missing = await create({ name: 'x' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().fieldErrors.map((f: { field: string }) => f.field).sort()).toEqual(['body.events', 'body.url']);
    const ftp = await create({ events: ['operationCreated'], name: 'x', url: 'ftp://example.com/x' });
    expect(ftp.statusCode).toBe(400);
    expect(ftp.json().fieldErrors[0].field).toBe('body.url');
  });

  it('generates a secret when none is given, answers it once, and signs with it', async () => {
    const token = await h.newOwnerToken();
    const other = await startTestReceiver({ secret: 'placeholder' });
    try {
      const created = await create({ events: ['fieldCreated'], name: 'generated', url: other.url }, token);
      expect(created.statusCode).toBe(201);
      const secret = created.json().secret as string;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      // Not shown again, but it is the one that signs.
      expect((await h.request({ method: 'GET', url: `${webhooks}/${created.json().id}`, token })).body).not.toContain(secret);
      const call = await waitFor('the confirmation', () => other.calls[0]);
      expect(call.headers['x-leaf-signature']).toBe(crypto.createHmac('sha256', secret).update(call.raw).digest('base64'));
      // A whsec_ secret signs webhook-signature with its decoded bytes, as Standard Webhooks libraries expect.
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const signed = `${String(call.headers['webhook-id'])}.${String(call.headers['webhook-timestamp'])}.${call.raw.toString()}`;
      expect(call.headers['webhook-signature']).toBe(`v1,${crypto.createHmac('sha256', key).update(signed).digest('base64')}`);
    } finally {
      await other.close();
    }
  });

  it("keeps owners apart: another owner's webhook ids answer 404 and never show in lists", async () => {
    const mine = (await h.request({ method: 'GET', url: webhooks })).json() as { id: string }[];
    const stranger = await h.newOwnerToken();
    for (const { id } of mine) {
      expect((await h.request({ method: 'GET', url: `${webhooks}/${id}`, token: stranger })).statusCode).toBe(404);
      const del = await h.request({ method: 'DELETE', url: `${webhooks}/${id}`, token: stranger });
      expect(del.statusCode).toBe(404);
      expect(del.json().errorKey).toBe('not_found');
    }
    expect((await h.request({ method: 'GET', url: webhooks, token: stranger })).json()).toEqual([]);
    expect((await h.request({ method: 'GET', url: `${webhooks}/failed-calls`, token: stranger })).json()).toEqual({ items: [] });
    // Still there for their owner.
    expect((await h.request({ method: 'GET', url: webhooks })).json()).toHaveLength(mine.length);
    // And an owner may register an event another owner listens to.
    expect((await create({ events: ['credentialsCreated'], name: 'theirs', secret: 's', url: receiver.url }, stranger)).statusCode).toBe(201);
  });

  it('deletes: 204, then 404, and the event is free again', async () => {
    const [first] = (await h.request({ method: 'GET', url: webhooks })).json() as { id: string; events: string[] }[];
    expect((await h.request({ method: 'DELETE', url: `${webhooks}/${first!.id}` })).statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: `${webhooks}/${first!.id}` })).statusCode).toBe(404);
    expect((await h.request({ method: 'DELETE', url: `${webhooks}/${first!.id}` })).statusCode).toBe(404);
    expect((await create({ events: first!.events, name: 'again', secret: 's', url: receiver.url })).statusCode).toBe(201);
  });

  it('answers failed-calls in Leaf\'s items envelope with paging headers', async () => {
    const r = await h.request({ method: 'GET', url: `${webhooks}/failed-calls?page=0&size=5` });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ items: [] });
    expect(r.headers['x-total-count']).toBe('0');
  });
});

describe.each(databases)('alert webhook targets with private addresses refused, on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { alerts: { allowPrivate: false } });
  });
  afterAll(async () => h?.close());

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost:8080/hook',
    'http://[::1]/hook',
    'http://10.1.2.3/hook',
    'http://192.168.0.10/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[fe80::1]/hook',
  ])('refuses %s with 400 webhook_url_refused, storing nothing', async (url) => {
    const r = await h.request({ method: 'POST', url: webhooks, payload: { events: ['credentialsCreated'], name: 'x', secret: 's', url } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ errorKey: 'webhook_url_refused', fieldErrors: [{ field: 'body.url' }] });
    expect(r.json().detail).toContain('FURROW_ALERTS_ALLOW_PRIVATE');
    expect((await h.request({ method: 'GET', url: webhooks })).json()).toEqual([]);
  });
});
