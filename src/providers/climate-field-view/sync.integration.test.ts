/**
 * The Climate FieldView sync listings against the emulator over real HTTP on loopback: farms from
 * the fields' parents, boundaries as GeoJSON, `X-Next-Token` cursors after control-API changes,
 * contents downloaded in 1-5 MiB ranges, 429s, and a `large` account streamed.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { climateFieldViewAdapter, type ClimateFieldViewCredentialFields } from './client.js';
import { climateFieldViewSync, downloadClimateFile } from './sync.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('climate-field-view', options);
  const fields = account.credentials as unknown as ClimateFieldViewCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('climate-field-view', { secretValues: [fields.clientSecret, fields.refreshToken, fields.apiKey] });
  const first: ProviderCredential<ClimateFieldViewCredentialFields> = { id: 'credential-1', environment: 'PRODUCTION', fields, tokens: undefined };
  const tokens = await climateFieldViewAdapter.refresh(first, ctx);
  const credential = { ...first, tokens };
  const [organization] = await climateFieldViewSync.listOrganizations(credential, ctx);
  return { id: account.id, ctx, exchanges, credential, organization: organization! };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const emulated = (accountId: string) => sandbox.store.get(accountId)!.view;

describe('the Climate FieldView sync listings against the emulator', () => {
  it("lists the resource owner as the one organization, no growers, and the fields' parent farms", async () => {
    const { id, ctx, credential, organization } = await connect({ seed: 4 });
    const view = emulated(id);
    expect(organization).toMatchObject({ providerId: view.grower.id, name: view.grower.name, connected: true });
    expect(await collect(climateFieldViewSync.listGrowers(credential, ctx, organization))).toEqual([]);
    const farms = await collect(climateFieldViewSync.listFarms(credential, ctx, organization));
    const used = new Set(view.fields.map((f) => f.farmId));
    expect(farms.map((f) => f.providerId).sort()).toEqual([...used].sort());
    expect(farms.map((f) => f.name)).toEqual(farms.map((f) => view.operation.farms.find((e) => e.id === f.providerId)!.name));
    const fields = await collect(climateFieldViewSync.listFields(credential, ctx, organization).items);
    expect(fields).toHaveLength(view.fields.length);
    for (const field of fields) expect(field.activeBoundaryId).toBe(view.operation.boundaries(field.providerId).at(-1)!.id);
  });

  it('reads a boundary Feature as a closed MultiPolygon equal to the emulated one', async () => {
    const { id, ctx, credential, organization } = await connect({ seed: 6 });
    const [field] = await collect(climateFieldViewSync.listFields(credential, ctx, organization).items);
    const [boundary] = await climateFieldViewSync.listBoundaries(credential, ctx, organization, field!);
    expect(boundary).toMatchObject({ providerId: field!.activeBoundaryId, fieldId: field!.providerId, active: true, geometry: { type: 'MultiPolygon' } });
    expect(boundary!.geometry.coordinates).toEqual(emulated(id).operation.boundaries(field!.providerId)[0]!.coordinates);
  });

  it('lists all three layers over header paging, then with the cursor only the file added and the field redrawn since', async () => {
    const { id, ctx, credential, organization, exchanges } = await connect({ scenario: 'large', fields: 120, seed: 8 });
    const view = emulated(id);
    const filesListing = climateFieldViewSync.listFiles(credential, ctx, organization);
    const files = await collect(filesListing.items);
    // Tillage has no Climate layer; everything else is listed once.
    const expected = view.operation.listFiles({ offset: 0, limit: 10_000, operations: ['harvest', 'seeding', 'application'] });
    expect(files.map((f) => f.providerId).sort()).toEqual(expected.files.map((f) => f.id).sort());
    expect(files.length).toBeGreaterThan(MAX_PAGE);
    const statuses = exchanges.filter((e) => e.request.url.includes('/v4/layers/')).map((e) => e.response?.status);
    expect(statuses).toContain(206);
    const fieldsListing = climateFieldViewSync.listFields(credential, ctx, organization);
    const fields = await collect(fieldsListing.items);
    expect(fields).toHaveLength(120);

    const unchanged = climateFieldViewSync.listFiles(credential, ctx, organization, { since: filesListing.cursor() });
    expect(await collect(unchanged.items)).toEqual([]);

    const target = fields[37]!;
    const added = await sandbox.control('POST', `/accounts/${id}/files`, { fieldId: target.providerId, operation: 'application', format: 'isoxml' });
    const redrawn = await sandbox.control('POST', `/accounts/${id}/boundaries/${target.providerId}`, {});
    const newFiles = await collect(climateFieldViewSync.listFiles(credential, ctx, organization, { since: filesListing.cursor() }).items);
    expect(newFiles).toEqual([expect.objectContaining({ providerId: added.body.id, operationType: 'applied', size: added.body.size, fieldIds: [target.providerId] })]);
    const changedFields = climateFieldViewSync.listFields(credential, ctx, organization, { since: fieldsListing.cursor() });
    const changed = await collect(changedFields.items);
    expect(changed.map((f) => [f.providerId, f.activeBoundaryId])).toEqual([[target.providerId, redrawn.body.id]]);
    expect(changedFields.complete).toBe(false);
    // Polling again from the new cursor finds nothing (304).
    expect(await collect(climateFieldViewSync.listFields(credential, ctx, organization, { since: changedFields.cursor() }).items)).toEqual([]);
  });

  it('downloads contents byte for byte in 1 MiB ranges, and is refused a chunk over 5 MiB', async () => {
    const { id, ctx, credential, organization, exchanges } = await connect({ seed: 12 });
    const fieldId = emulated(id).fields[0]!.id;
    const added = await sandbox.control('POST', `/accounts/${id}/files`, { fieldId, operation: 'harvest', format: 'isoxml', points: 260_000 });
    const file = (await collect(climateFieldViewSync.listFiles(credential, ctx, organization).items)).find((f) => f.providerId === added.body.id)!;
    expect(file.size).toBeGreaterThan(5 * 2 ** 20);
    const hash = crypto.createHash('sha256');
    const result = await downloadClimateFile(credential, ctx, file, { write: (chunk) => void hash.update(chunk) }, { chunkBytes: 2 ** 20 });
    const expected = emulated(id).operation.fileBytes(emulated(id).operation.file(file.providerId)!);
    expect(result).toEqual({ bytes: expected.length, requests: Math.ceil(expected.length / 2 ** 20) });
    expect(hash.digest('hex')).toBe(crypto.createHash('sha256').update(expected).digest('hex'));
    const ranges = exchanges.filter((e) => e.request.url.endsWith('/contents')).map((e) => e.request.headers['range']);
    expect(ranges[0]).toBe(`bytes=0-${2 ** 20 - 1}`);
    expect(ranges.at(-1)).toBe(`bytes=${(ranges.length - 1) * 2 ** 20}-${expected.length - 1}`);

    const url = `${sandbox.sandboxBaseUrl}/climate-field-view/v4/layers/asHarvested/${file.providerId}/contents`;
    const headers = { authorization: `Bearer ${credential.tokens.accessToken}`, 'x-api-key': credential.fields.apiKey, accept: '*/*' };
    expect((await fetch(url, { headers: { ...headers, range: `bytes=0-${6 * 2 ** 20}` } })).status).toBe(416);
    expect((await fetch(url, { headers: { ...headers, range: 'bytes=0-1000' } })).status).toBe(416);
    expect((await fetch(url, { headers })).status).toBe(400);
  });

  it('answers 429 with Retry-After past the rate limit, classified rate_limited', async () => {
    const { id, ctx, credential, organization } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const error = await collect(climateFieldViewSync.listFiles(credential, ctx, organization).items).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429 });
    expect((error as ProviderError).retryAfterMs).toBeGreaterThanOrEqual(1_000);
  });

  it('lists a large account of 2,000 fields and its layers page by page with bounded memory', async () => {
    const { id, ctx, credential, organization } = await connect({ scenario: 'large', seed: 99 });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let fields = 0;
    for await (const _field of climateFieldViewSync.listFields(credential, ctx, organization).items) fields += 1;
    let files = 0;
    let bytes = 0;
    for await (const file of climateFieldViewSync.listFiles(credential, ctx, organization).items) {
      if (files % 500 === 0) bytes += (await climateFieldViewSync.downloadFile(credential, ctx, file, { write: () => undefined })).bytes;
      files += 1;
    }
    expect(fields).toBe(2_000);
    expect(files).toBe(emulated(id).operation.listFiles({ offset: 0, limit: 0, operations: ['harvest', 'seeding', 'application'] }).total);
    expect(files).toBeGreaterThan(6_000);
    expect(bytes).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 2 ** 20);
  }, 120_000);
});

/** Climate's largest page (`X-Limit` 100). */
const MAX_PAGE = 100;
