/**
 * Leaf's batch upload with machine-file bytes in an S3-compatible bucket (FURROW_BLOB_STORE=s3):
 * the upload streamed into the bucket, the zip read back by ranged GETs, the standard GeoJSON
 * written there by the converter and streamed out for download, nothing left on the local disk.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../jobs/testing/wait-for.js';
import { s3BlobStore } from '../../../storage/blobs/index.js';
import { startS3Emulator, type S3Emulator } from '../../../storage/blobs/s3-emulator.js';
import { sqliteTestDatabase } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { harvestTaskData, multipartBody, zipOf } from './testing/synthetic-uploads.js';

const api = '/services/operations/api';

describe('the Operations service with machine files in S3-compatible storage', () => {
  let emulator: S3Emulator;
  let h: ApiHarness;
  let userId: string;

  beforeAll(async () => {
    emulator = await startS3Emulator({ buckets: ['furrow-files'] });
    const blobs = s3BlobStore({
      endpoint: emulator.url,
      region: emulator.region,
      bucket: 'furrow-files',
      accessKeyId: emulator.accessKeyId,
      secretAccessKey: emulator.secretAccessKey,
      forcePathStyle: true,
      prefix: 'deployment/',
    });
    h = await startApiHarness(sqliteTestDatabase, { blobs });
    userId = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Grower' } })).json().id;
    await h.queue.start({ concurrency: 2 });
  });
  afterAll(async () => {
    await h?.close();
    await emulator?.close();
  });

  it('processes a batch upload from the bucket and serves its standard GeoJSON and original from it', async () => {
    const uploaded = zipOf(harvestTaskData({ points: 60, taskName: 'Harvest north' }));
    const { payload, headers } = multipartBody('file', 'harvest.zip', uploaded);
    const answer = await h.request({ method: 'POST', url: `${api}/batch?leafUserId=${userId}&provider=Other`, payload, headers });
    expect(answer.statusCode, answer.body).toBe(200);
    const batchId: string = answer.json().id;
    const done = await waitFor(`batch ${batchId} to finish`, async () => {
      const batch = (await h.request({ method: 'GET', url: `${api}/batch/${batchId}` })).json();
      return batch.status === 'PROCESSED' || batch.status === 'FAILED' ? batch : undefined;
    }, { timeoutMs: 30_000 });
    expect(done.status, JSON.stringify(done)).toBe('PROCESSED');
    const fileId: string = done.leafFiles[0];

    const keys = emulator.keys('furrow-files');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys.every((k) => k.startsWith('deployment/'))).toBe(true);
    expect(keys.some((k) => k.includes(batchId))).toBe(true);
    expect(keys.some((k) => k.includes(fileId) && k.endsWith('standardGeojson'))).toBe(true);
    // The zip's central directory was found with ranged reads, not a download of the whole upload.
    expect(emulator.operations.HeadObject ?? 0).toBeGreaterThan(0);
    expect(fs.readdirSync(h.filesDir, { recursive: true })).toEqual([]);

    const file = (await h.request({ method: 'GET', url: `${api}/files/${fileId}` })).json();
    const geojson = await h.request({ method: 'GET', url: file.downloadStandardGeojson.slice(file.downloadStandardGeojson.indexOf(api)) });
    expect(geojson.statusCode).toBe(200);
    expect(geojson.headers['content-type']).toContain('application/geo+json');
    const collection = JSON.parse(geojson.body);
    expect(collection.type).toBe('FeatureCollection');
    expect(collection.features.length).toBeGreaterThan(0);
    expect(collection.features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Point' }, properties: { operationType: 'harvested' } });
    const [lon] = collection.features[0].geometry.coordinates;
    expect(lon).toBeCloseTo(-93.82, 4);

    const original = await h.request({ method: 'GET', url: file.downloadOriginalFile.slice(file.downloadOriginalFile.indexOf(api)) });
    expect(original.statusCode).toBe(200);
    expect(Buffer.compare(original.rawPayload, Buffer.from(uploaded))).toBe(0);
  });
});
