/**
 * The S3 blob store against the S3 emulator over real HTTP on loopback: the blob-store contract,
 * in path-style and virtual-hosted addressing, then what only an object store can get wrong:
 * multipart streaming, aborted uploads, SigV4 failures and the key prefix.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3BlobStore, S3RequestError, type S3BlobStoreOptions } from './s3-blob-store.js';
import { sigV4Signature, startS3Emulator, type S3Emulator } from './s3-emulator.js';
import { blobStoreContract, chunksOf, collect } from './testing/blob-store-contract.js';

const MiB = 2 ** 20;

/**
 * Sends each request to the emulator on 127.0.0.1 with the Host header of its URL, so a
 * virtual-hosted `bucket.s3.test` address reaches it over real HTTP without DNS.
 */
function loopbackFetch(port: number, seen: URL[] = []) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    seen.push(url);
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const outgoing = http.request({ host: '127.0.0.1', port, method: request.method, path: `${url.pathname}${url.search}`, headers: { ...Object.fromEntries(request.headers), host: url.host } }, (res) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        const noBody = request.method === 'HEAD' || res.statusCode === 204;
        if (noBody) res.resume();
        resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status: res.statusCode ?? 500, headers }));
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
}

/** `total` pseudo-random bytes in 1 MiB chunks, made as they are pulled; `onLast` runs before the last chunk. */
async function* generated(total: number, onLast: () => void = () => {}): AsyncIterable<Uint8Array> {
  let produced = 0;
  let seed = 7;
  while (produced < total) {
    const size = Math.min(MiB, total - produced);
    const chunk = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 4) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      chunk.writeUInt32LE(seed, i);
    }
    produced += size;
    if (produced === total) onLast();
    yield chunk;
  }
}

async function sha256Of(chunks: AsyncIterable<Uint8Array> | undefined): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of chunks ?? []) hash.update(chunk);
  return hash.digest('hex');
}

let emulator: S3Emulator;
beforeAll(async () => {
  emulator = await startS3Emulator({ buckets: ['furrow', 'other'], region: 'eu-central-1' });
});
afterAll(async () => {
  await emulator?.close();
});

const options = (overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStoreOptions => ({
  endpoint: emulator.url,
  region: emulator.region,
  bucket: 'furrow',
  accessKeyId: emulator.accessKeyId,
  secretAccessKey: emulator.secretAccessKey,
  forcePathStyle: true,
  // Three keys a page, so deletePrefix in the contract pages through several listings.
  pageSize: 3,
  ...overrides,
});
const count = (operation: string) => emulator.operations[operation] ?? 0;

describe.each([
  { addressing: 'path-style', prefix: 'contract-path/' },
  { addressing: 'virtual-hosted', prefix: 'contract-virtual/' },
])('the S3 blob store ($addressing) keeps the blob-store contract', ({ addressing, prefix }) => {
  let store: ReturnType<typeof s3BlobStore>;
  let testPrefix: string;
  beforeEach(() => {
    const port = new URL(emulator.url).port;
    testPrefix = `${prefix}${crypto.randomUUID()}/`;
    store =
      addressing === 'path-style'
        ? s3BlobStore(options({ prefix: testPrefix }))
        : s3BlobStore(options({ prefix: testPrefix, forcePathStyle: false, endpoint: `http://s3.test:${port}`, fetch: loopbackFetch(Number(port)) }));
  });
  blobStoreContract(() => ({ store, hasLeftovers: () => emulator.openUploads() > 0 }));

  it('pages through the listing when deleting a prefix', async () => {
    const before = count('ListObjectsV2');
    for (let i = 0; i < 7; i += 1) await store.write(`users/u1/files/f${i}/original`, chunksOf('x'));
    await store.deletePrefix('users/u1');
    expect(count('ListObjectsV2') - before).toBeGreaterThanOrEqual(3);
    expect(emulator.keys('furrow').filter((k) => k.startsWith(testPrefix))).toEqual([]);
  });
});

describe('the S3 blob store', () => {
  it('streams a blob larger than one part as a multipart upload, uploading parts while the source still produces', async () => {
    const store = s3BlobStore(options({ prefix: 'large/' }));
    const before = { parts: count('UploadPart'), puts: count('PutObject'), created: count('CreateMultipartUpload'), completed: count('CompleteMultipartUpload') };
    let partsUploadedBeforeTheLastChunk = -1;
    const total = 20 * MiB + 12_344;
    const written = await store.write(
      'files/large/original',
      generated(total, () => (partsUploadedBeforeTheLastChunk = count('UploadPart') - before.parts)),
    );
    expect(written).toEqual({ size: total });
    // 8 MiB parts: 8 + 8 + the rest, and the first ones left before the source was done.
    expect(count('UploadPart') - before.parts).toBe(3);
    expect(partsUploadedBeforeTheLastChunk).toBeGreaterThanOrEqual(1);
    expect(count('CreateMultipartUpload') - before.created).toBe(1);
    expect(count('CompleteMultipartUpload') - before.completed).toBe(1);
    expect(count('PutObject') - before.puts).toBe(0);
    expect(emulator.openUploads()).toBe(0);

    expect(await store.size('files/large/original')).toBe(total);
    expect(await sha256Of(await store.read('files/large/original'))).toBe(await sha256Of(generated(total)));
    const blob = await store.open('files/large/original');
    const expected = (await collect(generated(total)))!;
    // A range across the first part boundary, and the tail.
    expect(Buffer.compare(Buffer.from(await blob!.read(8 * MiB - 10, 20)), expected.subarray(8 * MiB - 10, 8 * MiB + 10))).toBe(0);
    expect(Buffer.compare(Buffer.from(await blob!.read(total - 5, 50)), expected.subarray(total - 5))).toBe(0);
    await blob!.close();
  });

  it('puts the bucket in the host name with virtual-hosted addressing, and in the path with path-style', async () => {
    const port = Number(new URL(emulator.url).port);
    const seen: URL[] = [];
    const virtual = s3BlobStore(options({ prefix: 'addressing/', forcePathStyle: false, endpoint: `http://s3.test:${port}`, fetch: loopbackFetch(port, seen) }));
    await virtual.write('users/u1/upload', chunksOf('bytes'));
    await virtual.open('users/u1/upload');
    await virtual.deletePrefix('users');
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.every((url) => url.host === `furrow.s3.test:${port}` && !url.pathname.startsWith('/furrow'))).toBe(true);
    seen.length = 0;
    const pathStyle = s3BlobStore(options({ prefix: 'addressing/', endpoint: `http://s3.test:${port}`, fetch: loopbackFetch(port, seen) }));
    await pathStyle.write('users/u1/upload', chunksOf('bytes'));
    expect(seen.map((url) => `${url.host}${url.pathname}`)).toEqual([`s3.test:${port}/furrow/addressing/users/u1/upload`]);
  });

  it('writes a blob smaller than one part with a single PUT', async () => {
    const store = s3BlobStore(options({ prefix: 'small/' }));
    const before = { puts: count('PutObject'), created: count('CreateMultipartUpload') };
    await store.write('files/small/original', generated(3 * MiB));
    expect(count('PutObject') - before.puts).toBe(1);
    expect(count('CreateMultipartUpload') - before.created).toBe(0);
    expect(await store.size('files/small/original')).toBe(3 * MiB);
  });

  it('aborts the multipart upload when a large write is abandoned, keeping the old blob', async () => {
    const store = s3BlobStore(options({ prefix: 'abandoned/' }));
    await store.write('files/f/original', chunksOf('old bytes'));
    const before = count('AbortMultipartUpload');
    const writer = await store.createWriter('files/f/original');
    for await (const chunk of generated(17 * MiB)) await writer.write(chunk);
    expect(emulator.openUploads()).toBe(1);
    await writer.abort();
    expect(count('AbortMultipartUpload') - before).toBe(1);
    expect(emulator.openUploads()).toBe(0);
    expect((await collect(await store.read('files/f/original')))?.toString()).toBe('old bytes');

    async function* failsAfterTwoParts(): AsyncIterable<Uint8Array> {
      yield* generated(17 * MiB);
      throw new Error('provider connection reset');
    }
    await expect(store.write('files/f/original', failsAfterTwoParts())).rejects.toThrow('provider connection reset');
    expect(emulator.openUploads()).toBe(0);
    expect((await collect(await store.read('files/f/original')))?.toString()).toBe('old bytes');
  });

  it('fails with S3\'s SignatureDoesNotMatch on a wrong secret, naming the variables to check and never the secret', async () => {
    const wrongSecret = 'wrong-secret-access-key-0123456789';
    const store = s3BlobStore(options({ secretAccessKey: wrongSecret }));
    const error: unknown = await store.write('files/x/original', chunksOf('bytes')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3RequestError);
    const failure = error as S3RequestError;
    expect(failure).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', operation: 'PutObject' });
    expect(failure.message).toContain('SignatureDoesNotMatch');
    expect(failure.message).toContain('FURROW_S3_SECRET_ACCESS_KEY');
    expect(failure.message).not.toContain(wrongSecret);
    expect(failure.message).not.toContain(emulator.secretAccessKey);
    // HEAD answers carry no XML body: the status alone still fails loudly rather than reading as "absent".
    await expect(store.size('files/x/original')).rejects.toMatchObject({ status: 403 });
    await expect(store.read('files/x/original')).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(emulator.keys('furrow')).not.toContain('files/x/original');
  });

  it('names an unknown access key and a missing bucket with S3\'s codes', async () => {
    await expect(s3BlobStore(options({ accessKeyId: 'NOSUCHKEY' })).write('a/b', chunksOf('x'))).rejects.toMatchObject({ code: 'InvalidAccessKeyId' });
    const missing: unknown = await s3BlobStore(options({ bucket: 'no-such-bucket' })).write('a/b', chunksOf('x')).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'NoSuchBucket' });
    expect((missing as Error).message).toContain('FURROW_S3_BUCKET');
    // A missing bucket is no absent blob: reads and deletes fail rather than answer "nothing there".
    await expect(s3BlobStore(options({ bucket: 'no-such-bucket' })).read('a/b')).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await expect(s3BlobStore(options({ bucket: 'no-such-bucket' })).delete('a/b')).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await expect(s3BlobStore(options({ region: 'us-west-2' })).size('a/b')).rejects.toMatchObject({ status: 400 });
  });

  it('keeps every key under the configured prefix, and two prefixes in one bucket apart', async () => {
    const a = s3BlobStore(options({ prefix: 'deployment-a/' }));
    const b = s3BlobStore(options({ prefix: 'deployment-b/' }));
    await a.write('users/u1/upload', chunksOf('from a'));
    await b.write('users/u1/upload', chunksOf('from b'));
    expect(emulator.keys('furrow')).toEqual(expect.arrayContaining(['deployment-a/users/u1/upload', 'deployment-b/users/u1/upload']));
    await a.deletePrefix('users');
    expect(await a.size('users/u1/upload')).toBeUndefined();
    expect((await collect(await b.read('users/u1/upload')))?.toString()).toBe('from b');
  });

  it('fails a random-access read loudly when the blob was replaced after it was opened', async () => {
    const store = s3BlobStore(options({ prefix: 'replaced/' }));
    await store.write('files/z/original', chunksOf('first version'));
    const blob = await store.open('files/z/original');
    await store.write('files/z/original', chunksOf('second version, longer'));
    await expect(blob!.read(0, 5)).rejects.toMatchObject({ status: 412, code: 'PreconditionFailed' });
  });
});

describe('the S3 emulator', () => {
  it("verifies signatures as AWS computes them (the GET Object example of AWS's SigV4 documentation)", () => {
    const { signature } = sigV4Signature({
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-amz-date': '20130524T000000Z',
      },
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      amzDate: '20130524T000000Z',
      region: 'us-east-1',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    });
    expect(signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('refuses a request whose payload does not match its signed hash, and one without a signature', async () => {
    const url = `${emulator.url}/furrow/tampered`;
    const unsigned = await fetch(url, { method: 'PUT', body: 'x' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>AccessDenied</Code>');
    const { AwsClient } = await import('aws4fetch');
    const client = new AwsClient({ accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey, service: 's3', region: emulator.region });
    const signed = await client.sign(url, { method: 'PUT', body: 'the signed body', headers: { 'x-amz-content-sha256': crypto.createHash('sha256').update('the signed body').digest('hex') } });
    const tampered = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'another body' });
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(emulator.keys('furrow')).not.toContain('tampered');
  });

  it('answers NoSuchKey as S3 does, and 416 for a range past the end', async () => {
    const { AwsClient } = await import('aws4fetch');
    const client = new AwsClient({ accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey, service: 's3', region: emulator.region, retries: 0 });
    const missing = await client.fetch(`${emulator.url}/furrow/missing/key`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/<Error><Code>NoSuchKey<\/Code>.*<Key>missing\/key<\/Key>/);
    await client.fetch(`${emulator.url}/furrow/short`, { method: 'PUT', body: 'abc' });
    const past = await client.fetch(`${emulator.url}/furrow/short`, { headers: { range: 'bytes=10-20' } });
    expect(past.status).toBe(416);
    expect(await past.text()).toContain('<Code>InvalidRange</Code>');
  });
});
