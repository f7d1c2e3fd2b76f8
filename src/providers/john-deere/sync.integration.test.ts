/**
 * The John Deere sync listings against the emulator over real HTTP on loopback: the hierarchy,
 * boundaries as GeoJSON, `x-deere-signature` cursors after control-API changes, ranged downloads
 * through the pre-signed redirect, 429s, event subscriptions, and a `large` account streamed.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import type { SyncMachineFile, SyncOrganization } from '../sync-data.js';
import { johnDeereAdapter, type JohnDeereCredentialFields } from './client.js';
import { downloadDeereFile, exportDeereFieldOperation, johnDeereSync, listDeereFieldOperations } from './sync.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('john-deere', options);
  const fields = account.credentials as unknown as JohnDeereCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('john-deere', { secretValues: [fields.clientSecret, fields.refreshToken] });
  const first: ProviderCredential<JohnDeereCredentialFields> = { id: 'credential-1', environment: 'STAGE', fields, tokens: undefined };
  const tokens: TokenSet = await johnDeereAdapter.refresh(first, ctx);
  const credential = { ...first, tokens };
  const organizations = await johnDeereSync.listOrganizations(credential, ctx);
  const connected = organizations.filter((o) => o.connected);
  return { id: account.id, ctx, exchanges, credential, organizations, connected };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function emulated(accountId: string) {
  return sandbox.store.get(accountId)!.view;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the John Deere sync listings against the emulator', () => {
  it('lists growers, farms and fields of a connected organization, each field placed in a farm of its grower', async () => {
    const { id, ctx, credential, connected } = await connect({ seed: 11 });
    const organization = connected[0]!;
    const growers = await collect(johnDeereSync.listGrowers(credential, ctx, organization));
    const farms = await collect(johnDeereSync.listFarms(credential, ctx, organization));
    const listing = johnDeereSync.listFields(credential, ctx, organization);
    const fields = await collect(listing.items);
    expect(growers).toHaveLength(1);
    expect(farms).toHaveLength(2);
    expect(farms.every((f) => f.growerId === growers[0]!.providerId)).toBe(true);
    const view = emulated(id);
    const orgUuid = view.organizations.find((o) => o.number === organization.providerId)!.id;
    expect(fields.map((f) => f.providerId).sort()).toEqual(view.fields.filter((f) => f.organizationId === orgUuid).map((f) => f.id).sort());
    for (const field of fields) {
      expect(farms.map((f) => f.providerId)).toContain(field.farmId);
      expect(field.growerId).toBe(growers[0]!.providerId);
      expect(field.activeBoundaryId).toBe(view.operation.boundaries(field.providerId).at(-1)!.id);
    }
    expect(listing.complete).toBe(true);
    expect(listing.cursor()).toEqual(expect.any(String));
  });

  it('refuses to give the cursor before the listing was read to the end', async () => {
    const { ctx, credential, connected } = await connect();
    expect(() => johnDeereSync.listFields(credential, ctx, connected[0]!).cursor()).toThrow(/whole listing/);
  });

  it('converts boundaries to closed GeoJSON MultiPolygons in longitude, latitude order', async () => {
    const { id, ctx, credential, connected } = await connect({ seed: 3 });
    const [field] = await collect(johnDeereSync.listFields(credential, ctx, connected[0]!).items);
    const boundaries = await johnDeereSync.listBoundaries(credential, ctx, connected[0]!, field!);
    expect(boundaries).toHaveLength(1);
    const [boundary] = boundaries;
    expect(boundary).toMatchObject({ providerId: field!.activeBoundaryId, active: true, geometry: { type: 'MultiPolygon' } });
    const ring = boundary!.geometry.coordinates[0]![0]!;
    expect(ring[0]).toEqual(ring.at(-1));
    expect(ring.length).toBeGreaterThanOrEqual(4);
    for (const [lon, lat] of ring) {
      expect(lon).toBeGreaterThan(-95);
      expect(lon).toBeLessThan(-92);
      expect(lat).toBeGreaterThan(41);
      expect(lat).toBeLessThan(43);
    }
    expect(boundary!.geometry.coordinates).toEqual(emulated(id).operation.boundaries(field!.providerId)[0]!.coordinates);
  });

  it('lists only what changed after the x-deere-signature: the redrawn field, then the added file', async () => {
    const { id, ctx, credential, connected } = await connect({ seed: 5 });
    const organization = connected[0]!;
    const fieldsListing = johnDeereSync.listFields(credential, ctx, organization);
    const fields = await collect(fieldsListing.items);
    const filesListing = johnDeereSync.listFiles(credential, ctx, organization);
    const files = await collect(filesListing.items);
    expect(files.length).toBeGreaterThan(0);
    const fieldsCursor = fieldsListing.cursor();
    const filesCursor = filesListing.cursor();

    const unchanged = johnDeereSync.listFields(credential, ctx, organization, { since: fieldsCursor });
    expect(await collect(unchanged.items)).toEqual([]);
    expect(unchanged.cursor()).toBe(fieldsCursor);
    expect(unchanged.complete).toBe(false);

    const target = fields[1] ?? fields[0]!;
    const redrawn = await sandbox.control('POST', `/accounts/${id}/boundaries/${target.providerId}`, {});
    expect(redrawn.status).toBe(201);
    const changedFields = johnDeereSync.listFields(credential, ctx, organization, { since: fieldsCursor });
    const changed = await collect(changedFields.items);
    expect(changed.map((f) => f.providerId)).toEqual([target.providerId]);
    expect(changed[0]!.activeBoundaryId).toBe(redrawn.body.id);
    expect(changed[0]!.version).not.toBe(target.version);
    const boundaries = await johnDeereSync.listBoundaries(credential, ctx, organization, target);
    expect(boundaries.map((b) => [b.providerId, b.active])).toEqual([
      [target.activeBoundaryId, false],
      [redrawn.body.id, true],
    ]);

    const added = await sandbox.control('POST', `/accounts/${id}/files`, { fieldId: target.providerId, format: 'shapefile', operation: 'harvest' });
    expect(added.status).toBe(201);
    const newFiles = await collect(johnDeereSync.listFiles(credential, ctx, organization, { since: filesCursor }).items);
    expect(newFiles).toEqual([expect.objectContaining({ providerId: added.body.number, size: added.body.size, operationType: 'harvested', format: 'Shapefile' })]);
    // Nothing lands in another organization's listing.
    const other = connected[1]!;
    expect(await collect(johnDeereSync.listFiles(credential, ctx, other, { since: filesCursor }).items)).toEqual([]);
  });

  it('downloads a file byte for byte in Range chunks through the pre-signed redirect, without the bearer token there', async () => {
    const { id, ctx, credential, connected, exchanges } = await connect({ seed: 9 });
    const fieldId = emulated(id).fields.find((f) => f.organizationId === emulated(id).organizations[0]!.id)!.id;
    const added = await sandbox.control('POST', `/accounts/${id}/files`, { fieldId, format: 'isoxml', operation: 'seeding', points: 150_000 });
    const listed = await collect(johnDeereSync.listFiles(credential, ctx, connected[0]!).items);
    const file = listed.find((f) => f.providerId === added.body.number)!;
    expect(file.size).toBeGreaterThan(3 * 2 ** 20);
    const chunks: Uint8Array[] = [];
    const result = await downloadDeereFile(credential, ctx, file, { write: (chunk) => void chunks.push(chunk) }, { chunkBytes: 2 ** 20 });
    const expected = emulated(id).operation.fileBytes(emulated(id).operation.file(file.providerId)!);
    const received = Buffer.concat(chunks);
    expect(received.length).toBe(expected.length);
    expect(crypto.createHash('sha256').update(received).digest('hex')).toBe(crypto.createHash('sha256').update(expected).digest('hex'));
    // One redirect, then one ranged request per MiB on the pre-signed URL.
    expect(result).toEqual({ bytes: expected.length, requests: 1 + Math.ceil(expected.length / 2 ** 20) });
    const blobCalls = exchanges.filter((e) => e.request.url.includes('/blobs/'));
    expect(blobCalls).toHaveLength(Math.ceil(expected.length / 2 ** 20));
    for (const call of blobCalls) {
      expect(call.request.headers['authorization']).toBeUndefined();
      expect(call.response?.status).toBe(206);
    }
    // It is a zip of an ISOXML TASKDATA set.
    expect(received.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(received.includes(Buffer.from('TASKDATA/TLG00001.BIN'))).toBe(true);
  });

  it("exports a field operation as a shapefile: polls the 202s with Deere's doubling wait, then follows the 307 without the token", async () => {
    const { id, ctx, credential, connected, exchanges } = await connect({ seed: 31 });
    const view = emulated(id);
    const orgUuid = view.organizations.find((o) => o.number === connected[0]!.providerId)!.id;
    // Field operations are the data sent wirelessly; uploaded files are in the Files API instead.
    const field = view.fields.find((f) => f.organizationId === orgUuid && view.operation.listFiles({ fieldId: f.id, transfer: 'wireless', offset: 0, limit: 1 }).total > 0)!;
    const listing = listDeereFieldOperations(credential, ctx, connected[0]!, { providerId: field.id });
    const operations = await collect(listing.items);
    const expected = view.operation.listFiles({ fieldId: field.id, transfer: 'wireless', offset: 0, limit: 100 }).files;
    expect(operations.map((o) => o.providerId)).toEqual(expected.map((f) => f.id));
    const waits: number[] = [];
    const chunks: Uint8Array[] = [];
    const result = await exportDeereFieldOperation(credential, ctx, operations[0]!.providerId, { write: (chunk) => void chunks.push(chunk) }, { baseDelayMs: 5, wait: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([5, 10]);
    const shapefile = view.operation.fileBytes(expected[0]!, 'shapefile');
    expect(Buffer.concat(chunks).equals(Buffer.from(shapefile))).toBe(true);
    expect(result).toEqual({ bytes: shapefile.length, requests: 4 });
    const blob = exchanges.find((e) => e.request.url.includes('/blobs/'))!;
    expect(blob.request.headers['authorization']).toBeUndefined();
    // A field with no new operations since the cursor lists none.
    expect(await collect(listDeereFieldOperations(credential, ctx, connected[0]!, { providerId: field.id }, { since: listing.cursor() }).items)).toEqual([]);
  });

  it('gives up on an export still pending after the last poll: retry_later', async () => {
    const { id, ctx, credential } = await connect({ seed: 32 });
    const file = emulated(id).operation.listFiles({ offset: 0, limit: 1, organizationId: emulated(id).organizations[0]!.id }).files[0]!;
    const error = await failure(exportDeereFieldOperation(credential, ctx, file.id, { write: () => undefined }, { maxPolls: 1, wait: async () => undefined }));
    expect(error.errorClass).toBe('retry_later');
  });

  it('answers 429 with Retry-After past the rate limit, classified rate_limited', async () => {
    const { id, ctx, credential, connected } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const error = await failure(collect(johnDeereSync.listFiles(credential, ctx, connected[0]!).items).then(() => collect(johnDeereSync.listGrowers(credential, ctx, connected[0]!))));
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429 });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('meets the injected 5xx and outage on the new endpoints too: retry_later', async () => {
    const { id, ctx, credential, connected } = await connect();
    await sandbox.setFaults(id, { errorRate: 1 });
    const serverError = await failure(collect(johnDeereSync.listFields(credential, ctx, connected[0]!).items));
    expect(serverError).toMatchObject({ errorClass: 'retry_later', status: 503, retryAfterMs: 1_000 });
    await sandbox.setFaults(id, { downForSeconds: 30 });
    const down = await failure(johnDeereSync.listBoundaries(credential, ctx, connected[0]!, { providerId: emulated(id).fields[0]!.id }));
    expect(down).toMatchObject({ errorClass: 'retry_later', status: undefined });
  });

  it('answers 403 org_not_connected on an organization the grower has not connected', async () => {
    const { ctx, credential, organizations } = await connect();
    const unconnected = organizations.find((o) => !o.connected)!;
    const error = await failure(collect(johnDeereSync.listFiles(credential, ctx, unconnected).items));
    expect(error).toMatchObject({ errorClass: 'org_not_connected', status: 403 });
  });

  it('delivers a file event with the subscription token to the callback, and stops once the subscription is deleted', async () => {
    const { id, credential, connected } = await connect({ seed: 21 });
    const received: unknown[] = [];
    let notify: () => void = () => undefined;
    const server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(204).end();
        notify();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const callback = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deere`;
      const api = `${sandbox.sandboxBaseUrl}/john-deere/platform/eventSubscriptions`;
      const headers = { authorization: `Bearer ${credential.tokens.accessToken}`, accept: 'application/vnd.deere.axiom.v3+json', 'content-type': 'application/vnd.deere.axiom.v3+json' };
      const organization: SyncOrganization = connected[0]!;
      const body = { eventTypeId: 'fileUpload', filters: [{ key: 'orgId', values: [organization.providerId] }], targetEndpoint: { targetType: 'https', uri: callback }, status: 'Active', displayName: 'Furrow', token: 'c2VjcmV0LXRva2Vu' };
      const created = await fetch(api, { method: 'POST', headers, body: JSON.stringify(body) });
      expect(created.status).toBe(201);
      const subscription = (await created.json()) as { id: string };
      const listed = (await (await fetch(api, { headers })).json()) as { values: { id: string }[] };
      expect(listed.values.map((s) => s.id)).toEqual([subscription.id]);

      const orgUuid = emulated(id).organizations.find((o) => o.number === organization.providerId)!.id;
      const fieldId = emulated(id).fields.find((f) => f.organizationId === orgUuid)!.id;
      const delivered = new Promise<void>((resolve) => (notify = resolve));
      const added = await sandbox.control('POST', `/accounts/${id}/files`, { fieldId });
      await delivered;
      expect(received).toEqual([
        [
          expect.objectContaining({
            eventTypeId: 'fileUpload',
            token: 'c2VjcmV0LXRva2Vu',
            targetResource: expect.stringMatching(new RegExp(`/platform/files/${added.body.id}$`)),
            metadata: expect.arrayContaining([{ key: 'orgId', value: organization.providerId }]),
          }),
        ],
      ]);

      expect((await fetch(`${api}/${subscription.id}`, { method: 'DELETE', headers })).status).toBe(204);
      expect((await fetch(`${api}/${subscription.id}`, { headers })).status).toBe(404);
      await sandbox.control('POST', `/accounts/${id}/files`, { fieldId });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toHaveLength(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a subscription without a usable callback, naming the field', async () => {
    const { credential } = await connect();
    const response = await fetch(`${sandbox.sandboxBaseUrl}/john-deere/platform/eventSubscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential.tokens.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventTypeId: 'fileUpload', targetEndpoint: { targetType: 'https' }, token: 'not allowed!' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { field: string }[] };
    expect(body.errors.map((e) => e.field)).toEqual(['targetEndpoint', 'token']);
  });

  it('lists a large account of 2,000 fields and 10,000 files page by page, downloading a sample, with bounded memory', async () => {
    const { id, ctx, credential, connected, organizations } = await connect({ scenario: 'large', seed: 77 });
    expect(emulated(id).fields).toHaveLength(2_000);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let fieldCount = 0;
    let fileCount = 0;
    let downloaded = 0;
    let pagesOfFiles = 0;
    for (const organization of connected) {
      for await (const field of johnDeereSync.listFields(credential, ctx, organization).items) {
        expect(field.farmId).toEqual(expect.any(String));
        fieldCount += 1;
      }
      const listing = johnDeereSync.listFiles(credential, ctx, organization);
      for await (const file of listing.items as AsyncIterable<SyncMachineFile>) {
        if (fileCount % 100 === 0) pagesOfFiles += 1;
        // Every 250th file is downloaded into a hash, never kept.
        if (fileCount % 250 === 0) {
          const hash = crypto.createHash('sha256');
          const result = await johnDeereSync.downloadFile(credential, ctx, file, { write: (chunk) => void hash.update(chunk) });
          expect(result.bytes).toBe(file.size);
          downloaded += 1;
        }
        fileCount += 1;
      }
    }
    // Five of the six organizations are connected: their share of the fields and five files each.
    const connectedUuids = new Set(emulated(id).organizations.filter((o) => o.connected).map((o) => o.id));
    const expectedFields = emulated(id).fields.filter((f) => connectedUuids.has(f.organizationId)).length;
    expect(organizations).toHaveLength(6);
    expect(fieldCount).toBe(expectedFields);
    // Of each field's five files, those sent wirelessly are field operations, not in the Files API.
    const view = emulated(id);
    const uploads = [...connectedUuids].reduce((n, organizationId) => n + view.operation.listFiles({ organizationId, transfer: 'upload', offset: 0, limit: 0 }).total, 0);
    expect(fileCount).toBe(uploads);
    expect(uploads).toBeGreaterThan(expectedFields * 3);
    expect(downloaded).toBeGreaterThanOrEqual(20);
    expect(pagesOfFiles).toBeGreaterThan(1);
    // [I] Bounded: far below what 8,000+ files' metadata and bytes would take if collected (~40 MB of bytes alone).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 2 ** 20);
  }, 120_000);
});

