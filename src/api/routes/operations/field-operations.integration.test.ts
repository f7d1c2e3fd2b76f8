/**
 * Field operations end to end on each database (leaf-api.md 7.8): synthetic ISOXML harvest passes
 * uploaded as batches, fields created through the Fields service, the workers allocating files
 * to fields and merging them into operations. One Leaf user per scenario, so scenarios do not
 * see each other's fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../../alerts/testing/test-receiver.js';
import { waitFor } from '../../../jobs/testing/wait-for.js';
import type { OwnerContext } from '../../../domain/index.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { harvestTaskData, multipartBody, zipOf, type HarvestLogOptions } from './testing/synthetic-uploads.js';

const databases = await testDatabases();
const api = '/services/operations/api';
const DAY = 86_400_000;
const T0 = Date.parse('2024-09-20T14:00:00Z');
// The synthetic pass: 60 points northwards from (LON, LAT), 0.00002° (about 2.2 m) apart.
const LON = -93.82;
const LAT = 41.85;
const PASS_END = LAT + 59 * 0.00002;

type Ring = number[][];
const rect = (west: number, south: number, east: number, north: number): Ring => [[west, south], [east, south], [east, north], [west, north], [west, south]];
const multi = (...polygons: Ring[][]) => ({ type: 'MultiPolygon' as const, coordinates: polygons });
/** A field around the whole pass, about 83 m by 220 m. */
const AROUND_PASS = rect(LON - 0.0005, LAT - 0.0005, LON + 0.0005, LAT + 0.0015);

describe.each(databases)('field operations on $name', (database) => {
  let h: ApiHarness;
  let owner: OwnerContext;
  let receiver: TestReceiver;

  beforeAll(async () => {
    h = await startApiHarness(database);
    owner = await h.services.apiOwners.verifyToken(h.token);
    receiver = await startTestReceiver({ secret: 'field-operations-secret' });
    const events = ['operationCreated', 'operationUpdated', 'operationProcessingFinished'];
    const hook = await h.request({ method: 'POST', url: '/services/alerts/api/alerts/webhooks', payload: { events, name: 'operations', url: receiver.url, secret: 'field-operations-secret' } });
    expect(hook.statusCode, hook.body).toBe(201);
    await h.queue.start({ concurrency: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const newUser = async (configuration?: Record<string, unknown>) => {
    const id: string = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Grower' } })).json().id;
    if (configuration !== undefined) {
      const set = await h.request({ method: 'POST', url: `/services/config/api/configs/${id}`, payload: configuration });
      expect(set.statusCode, set.body).toBeLessThan(300);
    }
    return id;
  };
  const createField = async (userId: string, id: string, ...polygons: Ring[][]) => {
    await h.services.fields.createField(owner, userId, { id, name: id, geometry: multi(...polygons) });
  };
  /** Uploads one synthetic harvest pass and waits for its file to be processed. */
  const uploadPass = async (userId: string, options: HarvestLogOptions = {}) => {
    const { payload, headers } = multipartBody('file', 'pass.zip', zipOf(harvestTaskData({ points: 60, ...options })));
    const batch = (await h.request({ method: 'POST', url: `${api}/batch?leafUserId=${userId}&provider=Other`, payload, headers })).json();
    const done = await waitFor(`batch ${batch.id}`, async () => {
      const b = (await h.request({ method: 'GET', url: `${api}/batch/${batch.id}` })).json();
      return b.status === 'PROCESSED' || b.status === 'FAILED' ? b : undefined;
    }, { timeoutMs: 30_000 });
    expect(done.status, JSON.stringify(done)).toBe('PROCESSED');
    return done.leafFiles[0] as string;
  };
  const operationsOf = async (userId: string) => (await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&sort=startTime,asc` })).json() as {
    id: string;
    files: string[];
    fields: { id: string; coverage: number | null }[];
    status: string;
    type: string;
    providers: string[];
  }[];
  /** Waits until the user's operations are all built and `check` accepts them. */
  const settled = (userId: string, check: (ops: Awaited<ReturnType<typeof operationsOf>>) => boolean) =>
    waitFor(`operations of ${userId} to settle`, async () => {
      const ops = await operationsOf(userId);
      return ops.every((op) => op.status !== 'processing') && check(ops) ? ops : undefined;
    }, { timeoutMs: 30_000 });
  /** Waits until the refresh recorded where the file's points fell. */
  const allocated = (fileId: string) =>
    waitFor(`file ${fileId} to be allocated`, async () => (await h.storage.db.selectFrom('file_allocations').select('file_id').where('file_id', '=', fileId).executeTakeFirst()) ?? undefined);
  const uncovered = async (userId: string) => (await h.request({ method: 'GET', url: `${api}/files/uncoveredFiles?leafUserId=${userId}` })).json().files as string[];
  const featureCount = async (operationId: string, output: 'standardGeojson' | 'filteredGeojson') => {
    const links = (await h.request({ method: 'GET', url: `${api}/operations/${operationId}/${output}` })).json();
    const url: string = links[output];
    const body = (await h.request({ method: 'GET', url: url.slice(url.indexOf(api)) })).json();
    return (body.features as unknown[]).length;
  };

  it('makes one operation of a pass in a field, with coverage, summary, units, outputs and events', async () => {
    const userId = await newUser();
    await createField(userId, 'north', [AROUND_PASS]);
    const fileId = await uploadPass(userId);
    const [op, ...others] = await settled(userId, (ops) => ops.length === 1);
    expect(others).toEqual([]);
    expect(op).toMatchObject({ type: 'harvested', files: [fileId], providers: ['Other'], status: 'processed' });
    expect(op!.fields.map((f) => f.id)).toEqual(['north']);
    // A 9.144 m swath over about 130 m in a field of about 1.85 ha: about 6 %.
    expect(op!.fields[0]!.coverage).toBeGreaterThan(3);
    expect(op!.fields[0]!.coverage).toBeLessThan(10);

    const summary = (await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/summary` })).json();
    expect(summary).toMatchObject({ type: 'Feature', properties: { operationType: 'harvested' } });
    const fileSummary = (await h.request({ method: 'GET', url: `${api}/files/${fileId}/summary` })).json();
    expect(Object.keys(summary.properties).sort()).toEqual(Object.keys(fileSummary.properties).sort());
    const units = (await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/units` })).json();
    expect(units).toEqual((await h.request({ method: 'GET', url: `${api}/files/${fileId}/units` })).json());

    expect(await featureCount(op!.id, 'standardGeojson')).toBeGreaterThan(50);
    expect(await featureCount(op!.id, 'filteredGeojson')).toBeGreaterThan(0);
    const parquet = await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/standardGeoparquet` });
    expect(parquet.statusCode).toBe(404);
    expect(parquet.json().code ?? parquet.json().type).toBeDefined();

    const files = (await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/files` })).json();
    expect(files.map((f: { id: string }) => f.id)).toEqual([fileId]);
    const machines = (await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/machines` })).json();
    expect(machines.machines).toHaveLength(1);
    const perField = (await h.request({ method: 'GET', url: `/services/fields/api/users/${userId}/fields/north/operations/files` })).json();
    expect(perField.map((f: { id: string }) => f.id)).toEqual([fileId]);
    expect(await uncovered(userId)).toEqual([]);

    const alerts = await waitFor('operation alerts', () => {
      const types = receiver.delivered().filter((c) => c.body.operationId === op!.id).map((c) => c.body.type);
      return types.includes('operationCreated') && types.includes('operationProcessingFinished') ? types : undefined;
    }, { timeoutMs: 15_000 });
    expect(alerts).toContain('operationCreated');
  });

  it('merges two passes of a field three days apart into one operation, and keeps one thirty days later apart', async () => {
    const userId = await newUser();
    await createField(userId, 'north', [AROUND_PASS]);
    const first = await uploadPass(userId, { start: new Date(T0) });
    const [created] = await settled(userId, (ops) => ops.length === 1);
    const second = await uploadPass(userId, { start: new Date(T0 + 3 * DAY) });
    const merged = await settled(userId, (ops) => ops.length === 1 && ops[0]!.files.length === 2);
    expect(merged[0]!.id).toBe(created!.id);
    expect(merged[0]!.files).toEqual([first, second]);
    await waitFor('operationUpdated', () => receiver.delivered().some((c) => c.body.type === 'operationUpdated' && c.body.operationId === created!.id) || undefined, { timeoutMs: 15_000 });

    const third = await uploadPass(userId, { start: new Date(T0 + 30 * DAY) });
    const split = await settled(userId, (ops) => ops.length === 2);
    expect(split.map((op) => op.files)).toEqual([[first, second], [third]]);
  });

  it('uses operationsMergeRangeHarvested for harvest: two days apart of a two-day range merge, three do not', async () => {
    const userId = await newUser({ operationsMergeRangeHarvested: 2 });
    await createField(userId, 'north', [AROUND_PASS]);
    await uploadPass(userId, { start: new Date(T0) });
    await uploadPass(userId, { start: new Date(T0 + 3 * DAY) });
    const ops = await settled(userId, (found) => found.length === 2);
    expect(ops.map((op) => op.files.length)).toEqual([1, 1]);
  });

  it('lists a file in no field as uncovered and makes no operation of it', async () => {
    const userId = await newUser();
    await createField(userId, 'elsewhere', [rect(LON + 0.01, LAT, LON + 0.011, LAT + 0.001)]);
    const fileId = await uploadPass(userId);
    await allocated(fileId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await operationsOf(userId)).toEqual([]);
    expect(await uncovered(userId)).toEqual([fileId]);
  });

  it('gives the points where two fields overlap to the smaller field, so no point is in two operations', async () => {
    const userId = await newUser();
    // A small field inside the big one, holding the northern half of the pass.
    await createField(userId, 'big', [AROUND_PASS]);
    await createField(userId, 'small', [rect(LON - 0.0002, (LAT + PASS_END) / 2, LON + 0.0002, LAT + 0.0014)]);
    const fileId = await uploadPass(userId);
    const whole = await newUser();
    await createField(whole, 'all', [AROUND_PASS]);
    await uploadPass(whole);
    const ops = await settled(userId, (found) => found.length === 2);
    const [all] = await settled(whole, (found) => found.length === 1);
    expect(ops.map((op) => op.fields.map((f) => f.id)).flat().sort()).toEqual(['big', 'small']);
    for (const op of ops) expect(op.files).toEqual([fileId]);
    const counts = await Promise.all(ops.map((op) => featureCount(op.id, 'standardGeojson')));
    const total = await featureCount(all!.id, 'standardGeojson');
    expect(counts.every((n) => n > 15)).toBe(true);
    // Cleanup may drop the first point of each piece (no area yet).
    expect(counts[0]! + counts[1]!).toBeGreaterThanOrEqual(total - 1);
    expect(counts[0]! + counts[1]!).toBeLessThanOrEqual(total + 1);

    // A small field holding the whole pass leaves the big one nothing: one operation.
    const nested = await newUser();
    await createField(nested, 'big', [AROUND_PASS]);
    await createField(nested, 'small', [rect(LON - 0.0002, LAT - 0.0002, LON + 0.0002, LAT + 0.0014)]);
    await uploadPass(nested);
    const only = await settled(nested, (found) => found.length === 1);
    expect(only[0]!.fields.map((f) => f.id)).toEqual(['small']);
  });

  it('keeps the points in a hole of a field out of its operation', async () => {
    const userId = await newUser();
    const whole = await newUser();
    // The hole covers the first half of the pass.
    const hole = rect(LON - 0.0002, LAT - 0.0002, LON + 0.0002, LAT + 0.0006).reverse();
    await createField(userId, 'holed', [AROUND_PASS, hole]);
    await createField(whole, 'whole', [AROUND_PASS]);
    await uploadPass(userId);
    await uploadPass(whole);
    const [holed] = await settled(userId, (found) => found.length === 1);
    const [full] = await settled(whole, (found) => found.length === 1);
    const inHoled = await featureCount(holed!.id, 'standardGeojson');
    const inFull = await featureCount(full!.id, 'standardGeojson');
    expect(inHoled).toBeGreaterThan(15);
    expect(inHoled).toBeLessThan(inFull - 20);
    expect(holed!.fields[0]!.coverage).toBeLessThan(full!.fields[0]!.coverage!);
  });

  it('splits a pass across two fields sharing an edge without losing or repeating a point', async () => {
    const userId = await newUser();
    const middle = LAT + 0.00031; // between two points of the pass
    await createField(userId, 'south', [rect(LON - 0.0005, LAT - 0.0005, LON + 0.0005, middle)]);
    await createField(userId, 'north', [rect(LON - 0.0005, middle, LON + 0.0005, LAT + 0.0015)]);
    const whole = await newUser();
    await createField(whole, 'all', [AROUND_PASS]);
    await uploadPass(userId);
    await uploadPass(whole);
    const ops = await settled(userId, (found) => found.length === 2);
    const [all] = await settled(whole, (found) => found.length === 1);
    const counts = await Promise.all(ops.map((op) => featureCount(op.id, 'standardGeojson')));
    expect(counts.every((n) => n > 0)).toBe(true);
    // Cleanup may drop the first point of each piece (no area yet), so allow one per piece.
    const total = await featureCount(all!.id, 'standardGeojson');
    expect(counts[0]! + counts[1]!).toBeGreaterThanOrEqual(total - 1);
    expect(counts[0]! + counts[1]!).toBeLessThanOrEqual(total + 1);
  });

  it('follows a boundary replaced after processing: the operation goes when the field no longer holds the pass, and comes back', async () => {
    const userId = await newUser();
    await createField(userId, 'moving', [AROUND_PASS]);
    const fileId = await uploadPass(userId);
    const [before] = await settled(userId, (found) => found.length === 1);
    await h.services.fields.replaceBoundary(owner, userId, 'moving', multi([rect(LON + 0.01, LAT, LON + 0.011, LAT + 0.001)]));
    await settled(userId, (found) => found.length === 0);
    expect(await uncovered(userId)).toEqual([fileId]);

    await h.services.fields.replaceBoundary(owner, userId, 'moving', multi([rect(LON - 0.0005, LAT - 0.0005, LON + 0.0005, (LAT + PASS_END) / 2)]));
    const [after] = await settled(userId, (found) => found.length === 1);
    expect(after!.files).toEqual([fileId]);
    expect(after!.id).not.toBe(before!.id);
    expect(await featureCount(after!.id, 'standardGeojson')).toBeLessThan(await featureCount(before!.id, 'standardGeojson').catch(() => Infinity));
  });

  it('updates only the operation a new file touches; another field\'s operation is left as it was', async () => {
    const userId = await newUser();
    const EAST = LON + 0.002;
    await createField(userId, 'west', [AROUND_PASS]);
    await createField(userId, 'east', [rect(EAST - 0.0005, LAT - 0.0005, EAST + 0.0005, LAT + 0.0015)]);
    await uploadPass(userId, { start: new Date(T0) });
    const eastFile = await uploadPass(userId, { start: new Date(T0), lon: EAST });
    const before = await settled(userId, (found) => found.length === 2);
    const eastBefore = (await h.request({ method: 'GET', url: `${api}/operations/${before.find((op) => op.files.includes(eastFile))!.id}` })).json();
    await uploadPass(userId, { start: new Date(T0 + DAY) });
    const after = await settled(userId, (found) => found.some((op) => op.files.length === 2));
    const eastAfter = (await h.request({ method: 'GET', url: `${api}/operations/${eastBefore.id}` })).json();
    expect(eastAfter.updatedTime).toBe(eastBefore.updatedTime);
    expect(after.find((op) => op.fields[0]!.id === 'west')!.files).toHaveLength(2);
  });

  it('rebuilds the user\'s operations when the configuration changes: GeoParquet twins once enableGeoparquetOutput is on', async () => {
    const userId = await newUser();
    await createField(userId, 'north', [AROUND_PASS]);
    await uploadPass(userId);
    const [op] = await settled(userId, (found) => found.length === 1);
    expect((await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/standardGeoparquet` })).statusCode).toBe(404);
    const patched = await h.request({ method: 'PATCH', url: `/services/config/api/configs/${userId}`, payload: { enableGeoparquetOutput: true } });
    expect(patched.statusCode, patched.body).toBe(200);
    const links = await waitFor('the GeoParquet twins', async () => {
      const standard = await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/standardGeoparquet` });
      const filtered = await h.request({ method: 'GET', url: `${api}/operations/${op!.id}/filteredGeoparquet` });
      return standard.statusCode === 200 && filtered.statusCode === 200 ? [standard.json(), filtered.json()] : undefined;
    }, { timeoutMs: 30_000 });
    const url: string = links[0].downloadStandardGeoparquet;
    const bytes = (await h.request({ method: 'GET', url: url.slice(url.indexOf(api)) })).rawPayload;
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(links[1].downloadFilteredGeoparquet).toContain(`/operations/${op!.id}/download/filteredGeoparquet`);
  });

  it('keeps the points outside every field in the operation only with enableOutsideFieldGeojson', async () => {
    const half = [rect(LON - 0.0005, LAT - 0.0005, LON + 0.0005, (LAT + PASS_END) / 2)];
    const inside = await newUser();
    const withOutside = await newUser({ enableOutsideFieldGeojson: true });
    await createField(inside, 'half', half);
    await createField(withOutside, 'half', half);
    await uploadPass(inside);
    await uploadPass(withOutside);
    const [clipped] = await settled(inside, (found) => found.length === 1);
    const [kept] = await settled(withOutside, (found) => found.length === 1);
    const clippedCount = await featureCount(clipped!.id, 'standardGeojson');
    const keptCount = await featureCount(kept!.id, 'standardGeojson');
    expect(keptCount).toBeGreaterThan(clippedCount + 20);
    // Coverage is of the field either way.
    expect(Math.abs(kept!.fields[0]!.coverage! - clipped!.fields[0]!.coverage!)).toBeLessThan(1);
  });

  it('makes one operation however many refreshes of the user run at once', async () => {
    const userId = await newUser();
    const fileId = await uploadPass(userId);
    await allocated(fileId);
    // The field's hook queues a refresh; three more run here at the same time.
    await createField(userId, 'north', [AROUND_PASS]);
    await Promise.all([1, 2, 3].map(() => h.services.fieldOperations.refreshUser(owner.ownerId, userId)));
    const ops = await settled(userId, (found) => found.length >= 1 && found.every((op) => op.files.includes(fileId)));
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the retry of a refresh that found the lease taken
    expect(await operationsOf(userId)).toHaveLength(1);
    expect(ops[0]!.files).toEqual([fileId]);
  });

  it('rebuilds an operation on POST /operations/{id}/reprocess, and answers 404 for another id', async () => {
    const userId = await newUser();
    await createField(userId, 'north', [AROUND_PASS]);
    await uploadPass(userId);
    const [op] = await settled(userId, (found) => found.length === 1);
    const answer = await h.request({ method: 'POST', url: `${api}/operations/${op!.id}/reprocess` });
    expect(answer.statusCode, answer.body).toBe(200);
    const rebuilt = await settled(userId, (found) => found.length === 1);
    expect(rebuilt[0]!.id).toBe(op!.id);
    expect((await h.request({ method: 'GET', url: `${api}/operations/no-such-operation` })).statusCode).toBe(404);
  });

  it('filters the list by field, type and times, and pages it with headers', async () => {
    const userId = await newUser();
    await createField(userId, 'a', [AROUND_PASS]);
    await uploadPass(userId, { start: new Date(T0) });
    await uploadPass(userId, { start: new Date(T0 + 40 * DAY) });
    await settled(userId, (found) => found.length === 2);
    const page = await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&size=1&sort=startTime,desc` });
    expect(page.headers['x-total-count']).toBe('2');
    expect(page.json()).toHaveLength(1);
    const later = (await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&startTime=${new Date(T0 + 20 * DAY).toISOString()}` })).json();
    expect(later).toHaveLength(1);
    expect((await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&fieldId=a&operationType=harvested` })).json()).toHaveLength(2);
    expect((await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&fieldId=b` })).json()).toHaveLength(0);
    expect((await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&provider=JohnDeere` })).json()).toHaveLength(0);
    expect((await h.request({ method: 'GET', url: `${api}/operations?sort=bogus` })).statusCode).toBe(400);
  });
});
