/**
 * Leaf's Operations service, files and batches (leaf-api.md 7.3 and 7.7), on each database: a
 * zip upload streamed in, processed by the workers into files, their summary, units, status and
 * downloads; broken and hostile uploads; the size limit; tenant isolation; retry; merge; and the
 * alert events processing raises.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../../alerts/testing/test-receiver.js';
import { waitFor } from '../../../jobs/testing/wait-for.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { corruptZip, harvestTaskData, multipartBody, zipBomb, zipOf } from './testing/synthetic-uploads.js';

const databases = await testDatabases();
const api = '/services/operations/api';
const UPLOAD_LIMIT = 1024 * 1024;

describe.each(databases)('the Operations service (files and batches) on $name', (database) => {
  let h: ApiHarness;
  let receiver: TestReceiver;
  let userId: string;

  const upload = (bytes: Uint8Array, options: { user?: string; token?: string; fileName?: string; field?: string } = {}) => {
    const { payload, headers } = multipartBody(options.field ?? 'file', options.fileName ?? 'upload.zip', bytes);
    return h.request({ method: 'POST', url: `${api}/batch?leafUserId=${options.user ?? userId}&provider=Other`, payload, headers, ...(options.token === undefined ? {} : { token: options.token }) });
  };
  const finished = (batchId: string) =>
    waitFor(`batch ${batchId} to finish`, async () => {
      const batch = (await h.request({ method: 'GET', url: `${api}/batch/${batchId}` })).json();
      return batch.status === 'PROCESSED' || batch.status === 'FAILED' ? batch : undefined;
    }, { timeoutMs: 30_000 });
  const pathOf = (url: string) => url.slice(url.indexOf(api));
  const owner = async () => h.services.apiOwners.verifyToken(h.token);

  beforeAll(async () => {
    h = await startApiHarness(database, { uploadLimitBytes: UPLOAD_LIMIT });
    receiver = await startTestReceiver({ secret: 'operations-test-secret' });
    const events = ['uploadedFileProcessingFinished', 'uploadedFileProcessingFailed', 'batchUploadProcessingFinished', 'mergedFileProcessingFinished'];
    const hook = await h.request({ method: 'POST', url: '/services/alerts/api/alerts/webhooks', payload: { events, name: 'files', url: receiver.url, secret: 'operations-test-secret' } });
    expect(hook.statusCode, hook.body).toBe(201);
    userId = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Grower' } })).json().id;
    await h.queue.start({ concurrency: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  let fileId: string;
  let batchId: string;
  const uploaded = zipOf(harvestTaskData({ points: 60, taskName: 'Harvest north' }));

  it('accepts a zip upload as a RECEIVED batch, then processes it into a file', async () => {
    const answer = await upload(uploaded, { fileName: 'harvest.zip' });
    expect(answer.statusCode, answer.body).toBe(200);
    const batch = answer.json();
    expect(batch).toMatchObject({ leafUserId: userId, fileName: 'harvest.zip', size: uploaded.length, provider: 'Other', status: 'RECEIVED' });
    expect(Date.parse(batch.uploadTimestamp)).not.toBeNaN();
    batchId = batch.id;

    const done = await finished(batchId);
    expect(done.status, JSON.stringify(done)).toBe('PROCESSED');
    expect(done.leafFiles).toHaveLength(1);
    fileId = done.leafFiles[0];

    const status = (await h.request({ method: 'GET', url: `${api}/batch/${batchId}/status` })).json();
    expect(status).toEqual({ converted: { leafFiles: [fileId] }, processing: { leafFiles: [] }, failed: {} });
  });

  it('shows the file as Leaf does, with authenticated download links', async () => {
    const file = (await h.request({ method: 'GET', url: `${api}/files/${fileId}` })).json();
    expect(file).toMatchObject({ id: fileId, leafUserId: userId, origin: 'uploaded', status: 'processed', batchId, fileFormat: 'ISO11783', operationType: 'harvested', sizeInBytes: uploaded.length });
    expect(file.apiOwnerUsername).toMatch(/@example\.com$/);
    expect(file.downloadStandardGeojson).toBe(`${api}/files/${fileId}/download/standardGeojson`);
    expect(file.standardGeojson).toBe(file.downloadStandardGeojson);
    expect(file.downloadOriginalFile).toBe(`${api}/files/${fileId}/download/originalFile`);
    expect(file.summary.type).toBe('Feature');
    // The first record covers no area yet, so the default cleanup rules may drop it.
    expect(Date.parse(file.startTime) - Date.parse('2024-09-20T14:00:00Z')).toBeGreaterThanOrEqual(0);
    expect(Date.parse(file.startTime) - Date.parse('2024-09-20T14:00:00Z')).toBeLessThanOrEqual(1000);
    expect(Date.parse(file.endTime)).toBe(Date.parse('2024-09-20T14:00:59Z'));
  });

  it('answers the summary, units and per-step status of the file', async () => {
    const summary = await h.request({ method: 'GET', url: `${api}/files/${fileId}/summary` });
    expect(summary.statusCode).toBe(200);
    expect(summary.json()).toMatchObject({ type: 'Feature', properties: { operationType: 'harvested' } });
    const units = (await h.request({ method: 'GET', url: `${api}/files/${fileId}/units` })).json();
    expect(Object.keys(units).length).toBeGreaterThan(0);
    expect(Object.values(units).every((u) => typeof u === 'string')).toBe(true);
    const steps = (await h.request({ method: 'GET', url: `${api}/files/${fileId}/status` })).json();
    expect(steps.standardGeojson).toEqual({ status: 'processed', message: expect.any(String) });
    expect(steps.originalFile).toEqual({ status: 'processed', message: 'ok' });
  });

  it('streams the standard GeoJSON and the original upload for download', async () => {
    const file = (await h.request({ method: 'GET', url: `${api}/files/${fileId}` })).json();
    const geojson = await h.request({ method: 'GET', url: pathOf(file.downloadStandardGeojson) });
    expect(geojson.statusCode).toBe(200);
    expect(geojson.headers['content-type']).toContain('application/geo+json');
    const collection = JSON.parse(geojson.body);
    expect(collection.type).toBe('FeatureCollection');
    expect(collection.features.length).toBeGreaterThan(0);
    expect(collection.features.length).toBeLessThanOrEqual(60);
    expect(collection.features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Point' }, properties: { operationType: 'harvested' } });
    const [lon, lat] = collection.features[0].geometry.coordinates;
    expect(lon).toBeCloseTo(-93.82, 4);
    expect(lat).toBeGreaterThanOrEqual(41.85 - 1e-6);

    const original = await h.request({ method: 'GET', url: pathOf(file.downloadOriginalFile) });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('application/zip');
    expect(Buffer.compare(original.rawPayload, Buffer.from(uploaded))).toBe(0);
  });

  it('answers 404 output_not_available for GeoParquet while enableGeoparquetOutput is off, and a link once it is on', async () => {
    const off = await h.request({ method: 'GET', url: `${api}/files/${fileId}/standardGeoparquet` });
    expect(off.statusCode).toBe(404);
    expect(off.json()).toMatchObject({ errorKey: 'output_not_available', detail: expect.stringContaining('enableGeoparquetOutput') });

    const other = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Parquet grower' } })).json().id;
    await h.services.configurations.patchUser(await owner(), other, { enableGeoparquetOutput: true });
    const batch = await finished((await upload(uploaded, { user: other })).json().id);
    expect(batch.status).toBe('PROCESSED');
    const on = await h.request({ method: 'GET', url: `${api}/files/${batch.leafFiles[0]}/standardGeoparquet` });
    expect(on.statusCode, on.body).toBe(200);
    const parquet = await h.request({ method: 'GET', url: pathOf(on.json().downloadStandardGeoparquet) });
    expect(parquet.statusCode).toBe(200);
    expect(parquet.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
  });

  it('lists files with Leaf filters, sorts and paging headers', async () => {
    const list = async (query: string) => {
      const answer = await h.request({ method: 'GET', url: `${api}/files?${query}` });
      expect(answer.statusCode, answer.body).toBe(200);
      return { ids: (answer.json() as { id: string }[]).map((f) => f.id), total: Number(answer.headers['x-total-count']) };
    };
    expect((await list(`leafUserId=${userId}`)).ids).toEqual([fileId]);
    for (const filter of ['status=processed', 'origin=uploaded', `batchId=${batchId}`, 'operationType=harvested', 'fileFormat=ISO11783', `fileId=${fileId}`, 'provider=Other', 'startTime=2024-09-20T13:00:00Z', 'endTime=2024-09-21T00:00:00Z', 'createdTime=2000-01-01T00:00:00Z']) {
      expect((await list(`leafUserId=${userId}&${filter}`)).ids, filter).toEqual([fileId]);
    }
    for (const filter of ['status=failed', 'origin=merged', 'operationType=planted', 'fileFormat=SHAPEFILE', 'startTime=2024-09-21T00:00:00Z', 'endTime=2024-09-20T14:00:30Z', 'minArea=1e12', 'organizationId=nope']) {
      expect((await list(`leafUserId=${userId}&${filter}`)).ids, filter).toEqual([]);
    }
    const all = await list('sort=fileName,desc&size=1');
    expect(all.total).toBeGreaterThanOrEqual(2);
    expect(all.ids).toHaveLength(1);
    const badSort = await h.request({ method: 'GET', url: `${api}/files?sort=color` });
    expect(badSort.json()).toMatchObject({ status: 400, errorKey: 'invalid_paging' });
    const uncovered = (await h.request({ method: 'GET', url: `${api}/files/uncoveredFiles?leafUserId=${userId}` })).json();
    expect(uncovered).toEqual({ files: [fileId] });
  });

  it('ends a corrupt upload FAILED with Leaf statusDetails and the reason', async () => {
    const batch = await finished((await upload(corruptZip(), { fileName: 'broken.zip' })).json().id);
    expect(batch).toMatchObject({ status: 'FAILED', statusDetails: 'Files found but unable to read. Please check file format before re-trying or contact Support' });
    expect(batch.statusReason).toEqual(expect.any(String));
    expect(batch.leafFiles).toEqual([]);
  });

  it('stops a zip bomb at the archive limit while another batch processes normally', async () => {
    const [bomb, good] = await Promise.all([upload(zipBomb(64), { fileName: 'bomb.zip' }), upload(uploaded, { fileName: 'good.zip' })]);
    const [bombDone, goodDone] = await Promise.all([finished(bomb.json().id), finished(good.json().id)]);
    expect(goodDone.status).toBe('PROCESSED');
    expect(bombDone.status).toBe('FAILED');
    const status = (await h.request({ method: 'GET', url: `${api}/batch/${bombDone.id}/status` })).json();
    expect(JSON.stringify(status.failed)).toMatch(/limit|ratio/i);
  });

  it('refuses an upload larger than FURROW_UPLOAD_LIMIT_BYTES with 413 upload_too_large and keeps nothing', async () => {
    const before = (await h.request({ method: 'GET', url: `${api}/batch` })).headers['x-total-count'];
    const big = await upload(new Uint8Array(UPLOAD_LIMIT + 10_000).fill(7));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ errorKey: 'upload_too_large', detail: expect.stringContaining('The uploaded file is bigger than 1 MB') });
    expect((await h.request({ method: 'GET', url: `${api}/batch` })).headers['x-total-count']).toBe(before);
  });

  it("answers 404 for another owner's files and batches, and for uploads to another owner's user", async () => {
    const stranger = await h.newOwnerToken();
    for (const url of [`${api}/files/${fileId}`, `${api}/files/${fileId}/summary`, `${api}/files/${fileId}/download/standardGeojson`, `${api}/batch/${batchId}`, `${api}/batch/${batchId}/status`]) {
      const answer = await h.request({ method: 'GET', url, token: stranger });
      expect(answer.statusCode, url).toBe(404);
    }
    expect((await h.request({ method: 'PUT', url: `${api}/batch/${batchId}/retry`, token: stranger })).statusCode).toBe(404);
    expect((await h.request({ method: 'GET', url: `${api}/files`, token: stranger })).json()).toEqual([]);
    expect((await upload(uploaded, { token: stranger })).statusCode).toBe(404);
    expect((await h.request({ method: 'POST', url: `${api}/files/merge`, payload: { ids: [fileId, batchId] }, token: stranger })).statusCode).toBe(404);
  });

  it('retries a batch: failed files are converted again with the current configuration, under the same ids', async () => {
    const grower = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Strict grower' } })).json().id;
    // A rule no point passes: the file fails with "no points passed the filter".
    await h.services.configurations.patchUser(await owner(), grower, { cleanupStandardGeojson: true, cleanupRules: { wetMassPerArea: [{ operator: 'GT', value: 1e12 }] } });
    const failed = await finished((await upload(uploaded, { user: grower })).json().id);
    expect(failed.status).toBe('FAILED');
    expect(failed.statusDetails).toBe('No operation found. Check file format before re-trying or contact support.');
    const [failedFile] = failed.leafFiles;

    await h.services.configurations.deleteUser(await owner(), grower);
    const retried = await h.request({ method: 'PUT', url: `${api}/batch/${failed.id}/retry` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ id: failed.id, status: 'RECEIVED' });
    const done = await finished(failed.id);
    expect(done.status).toBe('PROCESSED');
    expect(done.leafFiles).toEqual([failedFile]);
    expect((await h.request({ method: 'GET', url: `${api}/files/${failedFile}` })).json().status).toBe('processed');
  });

  it('merges processed files of one user and operation type, and refuses other merges with 400', async () => {
    const secondUpload = await upload(zipOf(harvestTaskData({ points: 30, start: new Date('2024-09-21T10:00:00Z'), lat: 41.86 })));
    const second = await finished(secondUpload.json().id);
    const secondFile = second.leafFiles[0] as string;
    const merge = (ids: string[]) => h.request({ method: 'POST', url: `${api}/files/merge`, payload: { ids } });

    expect((await merge([fileId])).json()).toMatchObject({ status: 400, errorKey: 'merge_refused' });
    expect((await merge([fileId, '00000000-0000-0000-0000-000000000000'])).statusCode).toBe(404);
    const otherUser = (await h.request({ method: 'GET', url: `${api}/files?status=processed` })).json().find((f: { leafUserId: string }) => f.leafUserId !== userId);
    expect((await merge([fileId, otherUser.id])).json()).toMatchObject({ status: 400, errorKey: 'merge_refused', detail: expect.stringContaining('different Leaf users') });

    const answer = await merge([fileId, secondFile]);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toEqual({ id: expect.any(String), status: 'SENT_TO_MERGE' });
    const mergedId = answer.json().id;
    const merged = await waitFor('the merged file', async () => {
      const file = (await h.request({ method: 'GET', url: `${api}/files/${mergedId}` })).json();
      return file.status === 'processing' ? undefined : file;
    }, { timeoutMs: 30_000 });
    expect(merged).toMatchObject({ origin: 'merged', status: 'processed', sources: [fileId, secondFile], operationType: 'harvested' });
    const features = async (id: string) => JSON.parse((await h.request({ method: 'GET', url: `${api}/files/${id}/download/standardGeojson` })).body).features.length as number;
    // Each source's first record may be dropped alone (it covers no area); in the merged log the
    // second source's first record follows the first source's last, so it may survive there.
    const sum = (await features(fileId)) + (await features(secondFile));
    expect(await features(mergedId)).toBeGreaterThanOrEqual(sum);
    expect(await features(mergedId)).toBeLessThanOrEqual(sum + 1);
    expect(merged.startTime).toBe((await h.request({ method: 'GET', url: `${api}/files/${fileId}` })).json().startTime);
    expect(Date.parse(merged.endTime)).toBe(Date.parse('2024-09-21T10:00:29Z'));
  });

  it('records the file, batch and merge alert events for webhooks', async () => {
    const types = () => new Set(receiver.delivered().map((c) => c.body.type));
    await waitFor('file, batch and merge alerts', () => ['uploadedFileProcessingFinished', 'uploadedFileProcessingFailed', 'batchUploadProcessingFinished', 'mergedFileProcessingFinished'].every((t) => types().has(t)), { timeoutMs: 20_000 });
    const finishedAlert = receiver.delivered().find((c) => c.body.type === 'uploadedFileProcessingFinished' && c.body.fileId === fileId);
    expect(finishedAlert?.body).toMatchObject({ leafUserId: userId, fileId });
    const failedAlert = receiver.delivered().find((c) => c.body.type === 'uploadedFileProcessingFailed');
    expect(failedAlert?.body.message).toEqual(expect.any(String));
  });
});
