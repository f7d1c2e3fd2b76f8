import crypto from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import { writeThroughWriter, type BlobStore, type BlobWriter, type RandomAccessBlob } from './blob-store.js';
import { checkBlobKey } from './blob-key.js';

/** Where and how to reach an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Cloudflare R2...). */
export interface S3BlobStoreOptions {
  /** The service's base URL, such as `https://s3.eu-west-1.amazonaws.com` or `http://minio:9000`. */
  endpoint: string;
  /** The SigV4 signing region (`auto` for R2, usually `us-east-1` for MinIO). */
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `endpoint/bucket/key` (MinIO, Ceph, loopback) instead of `bucket.endpoint/key`. */
  forcePathStyle: boolean;
  /** Prepended to every key, such as `furrow/`; lets one bucket hold several deployments. */
  prefix?: string;
  /** Bytes buffered per multipart part; 8 MiB by default. S3 needs at least 5 MiB for all but the last part. */
  partSizeBytes?: number;
  /** Keys per ListObjectsV2 page and DeleteObjects call (at most 1000, S3's limit). */
  pageSize?: number;
  /** The HTTP client; global `fetch` by default. */
  fetch?: (request: Request) => Promise<Response>;
}

/** An S3 answer that was not a success, with S3's own error code (`SignatureDoesNotMatch`, `NoSuchBucket`...). */
export class S3RequestError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3RequestError';
  }
}

const DEFAULT_PART_SIZE = 8 * 2 ** 20;
// S3 documents 500 InternalError and 503 SlowDown as retryable; 502/504 come from proxies in front.
const RETRYABLE = new Set([500, 502, 503, 504]);
const ATTEMPTS = 3;
const AUTH_CODES = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'AuthorizationHeaderMalformed', 'RequestTimeTooSkewed']);

const sha256 = (body: Uint8Array | string) => crypto.createHash('sha256').update(body).digest('hex');
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xmlUnescape = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '');
const xmlValue = (xml: string, tag: string) => {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match === null ? undefined : xmlUnescape(match[1] ?? '');
};

/**
 * Blobs as objects in an S3-compatible bucket, signed with SigV4 (aws4fetch). Writes stream as a
 * multipart upload of `partSizeBytes` parts, at most one part uploading while the next fills, so
 * memory stays near two parts whatever the blob's size; a blob smaller than one part is one PUT.
 * Nothing is visible under the key until `commit` completes the upload (S3 makes a completed
 * object visible atomically, replacing the old one); `abort` aborts it.
 */
export function s3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  const pageSize = Math.min(options.pageSize ?? 1000, 1000);
  const prefix = options.prefix ?? '';
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const client = new AwsClient({ accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, service: 's3', region: options.region });
  const endpoint = new URL(options.endpoint);
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  const bucketUrl = options.forcePathStyle
    ? `${endpoint.protocol}//${endpoint.host}${basePath}/${uriEncode(options.bucket)}`
    : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${basePath}`;
  const objectKey = (key: string) => `${prefix}${checkBlobKey(key)}`;
  const objectUrl = (key: string) => `${bucketUrl}/${objectKey(key).split('/').map(uriEncode).join('/')}`;

  async function request(operation: string, target: string, url: string, init: { method: string; headers?: Record<string, string>; body?: Uint8Array | string }, accept: (status: number) => boolean = () => false): Promise<Response> {
    const body = init.body ?? '';
    const headers = { ...init.headers, 'x-amz-content-sha256': sha256(body) };
    for (let attempt = 1; ; attempt += 1) {
      const signed = await client.sign(url, { method: init.method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
      let response: Response;
      try {
        response = await send(signed);
      } catch (error) {
        if (attempt < ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        throw new Error(`S3 ${operation} of ${target} could not reach ${endpoint.origin}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (response.ok || accept(response.status)) return response;
      if (RETRYABLE.has(response.status) && attempt < ATTEMPTS) {
        await response.body?.cancel();
        await backoff(attempt);
        continue;
      }
      throw failure(operation, target, response.status, await response.text().catch(() => ''));
    }
  }

  /**
   * A 404 that means "no such key" (`undefined` for the caller), told apart from NoSuchBucket and
   * the like, which must fail loudly rather than read as an absent blob.
   */
  async function isNoSuchKey(operation: string, target: string, response: Response): Promise<boolean> {
    if (response.status !== 404) return false;
    const xml = await response.text().catch(() => '');
    const code = xmlValue(xml, 'Code');
    // HEAD answers carry no body: S3 gives a missing bucket's HEAD the same bare 404.
    if (code === undefined || code === 'NoSuchKey') return true;
    throw failure(operation, target, response.status, xml);
  }

  function failure(operation: string, target: string, status: number, xml: string): S3RequestError {
    // S3's error bodies are small XML documents; HEAD answers have none.
    const code = xmlValue(xml, 'Code') ?? (status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : `HTTP${status}`);
    const detail = xmlValue(xml, 'Message');
    const hint = AUTH_CODES.has(code) || status === 403 ? ' Check FURROW_S3_ACCESS_KEY_ID, FURROW_S3_SECRET_ACCESS_KEY and FURROW_S3_REGION.' : code === 'NoSuchBucket' ? ' Check FURROW_S3_BUCKET and that the bucket exists.' : '';
    return new S3RequestError(operation, status, code, `S3 ${operation} of ${target} failed with ${status} ${code}${detail === undefined ? '' : `: ${detail}`}.${hint}`);
  }
  const where = (key: string) => `s3://${options.bucket}/${prefix}${key}`;

  async function head(key: string): Promise<{ size: number; etag: string | undefined } | undefined> {
    const response = await request('HeadObject', where(key), objectUrl(key), { method: 'HEAD' }, (status) => status === 404);
    if (await isNoSuchKey('HeadObject', where(key), response)) return undefined;
    return { size: Number(response.headers.get('content-length')), etag: response.headers.get('etag') ?? undefined };
  }

  async function createWriter(key: string): Promise<BlobWriter> {
    const url = objectUrl(key);
    const target = where(key);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    let uploadId: string | undefined;
    const parts: { number: number; etag: string }[] = [];
    let shipped = 0;
    let inFlight: Promise<void> | undefined;
    let done = false;

    async function uploadPart(number: number, body: Buffer): Promise<void> {
      const id = uploadId as string;
      const response = await request('UploadPart', target, `${url}?partNumber=${number}&uploadId=${uriEncode(id)}`, { method: 'PUT', body });
      const etag = response.headers.get('etag');
      if (etag === null) throw new S3RequestError('UploadPart', response.status, 'MissingETag', `S3 UploadPart of ${target} answered without an ETag; the service is not S3-compatible enough for multipart uploads.`);
      parts.push({ number, etag });
    }

    /** Starts the upload of what is pending as the next part, after the part before it finished. */
    async function shipPart(): Promise<void> {
      await inFlight;
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (uploadId === undefined) {
        const created = await request('CreateMultipartUpload', target, `${url}?uploads=`, { method: 'POST' });
        uploadId = xmlValue(await created.text(), 'UploadId');
        if (uploadId === undefined) throw new S3RequestError('CreateMultipartUpload', created.status, 'MissingUploadId', `S3 CreateMultipartUpload of ${target} answered without an UploadId.`);
      }
      shipped += 1;
      const shipping = uploadPart(shipped, body);
      // Keeps the failure for the next write or commit, and no unhandled rejection meanwhile.
      shipping.catch(() => {});
      inFlight = shipping;
    }

    async function abortUpload(): Promise<void> {
      await inFlight?.catch(() => {});
      if (uploadId === undefined) return;
      await request('AbortMultipartUpload', target, `${url}?uploadId=${uriEncode(uploadId)}`, { method: 'DELETE' }, (status) => status === 404);
    }

    return {
      async write(chunk) {
        if (done) throw new Error('blob writer already finished');
        // Copied: producers may reuse their buffer once write resolves.
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        size += chunk.length;
        if (pendingBytes >= partSize) await shipPart();
      },
      async commit() {
        if (done) throw new Error('blob writer already finished');
        done = true;
        try {
          if (uploadId === undefined && inFlight === undefined) {
            await request('PutObject', target, url, { method: 'PUT', body: Buffer.concat(pending, pendingBytes), headers: { 'content-type': 'application/octet-stream' } });
            return { size };
          }
          if (pendingBytes > 0) await shipPart();
          await inFlight;
          const list = parts
            .map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag></Part>`)
            .join('');
          const response = await request('CompleteMultipartUpload', target, `${url}?uploadId=${uriEncode(uploadId as string)}`, {
            method: 'POST',
            body: `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${list}</CompleteMultipartUpload>`,
            headers: { 'content-type': 'application/xml' },
          });
          // S3 may answer 200 and still fail the completion, with an <Error> body (its documented quirk).
          const answer = await response.text();
          if (/<Error>/.test(answer)) {
            const code = xmlValue(answer, 'Code') ?? 'InternalError';
            throw new S3RequestError('CompleteMultipartUpload', response.status, code, `S3 CompleteMultipartUpload of ${target} failed with ${code}: ${xmlValue(answer, 'Message') ?? 'no message'}.`);
          }
          return { size };
        } catch (error) {
          await abortUpload().catch(() => {});
          throw error;
        } finally {
          pending = [];
        }
      },
      async abort() {
        if (done) return;
        done = true;
        pending = [];
        await abortUpload();
      },
    };
  }

  return {
    createWriter,
    write: (key, source) => writeThroughWriter(createWriter, key, source),
    async read(key) {
      const response = await request('GetObject', where(key), objectUrl(key), { method: 'GET' }, (status) => status === 404);
      if (await isNoSuchKey('GetObject', where(key), response)) return undefined;
      const body = response.body;
      return (async function* () {
        if (body === null) return;
        const reader = body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            yield value;
          }
        } finally {
          // A consumer that stops early releases the connection.
          await reader.cancel().catch(() => {});
        }
      })();
    },
    async open(key): Promise<RandomAccessBlob | undefined> {
      const found = await head(key);
      if (found === undefined) return undefined;
      const { size, etag } = found;
      return {
        size,
        async read(offset, length) {
          const end = Math.min(offset + length, size);
          if (end <= offset) return new Uint8Array(0);
          // If-Match: a blob replaced meanwhile fails loudly (412) instead of mixing two versions' bytes.
          const headers: Record<string, string> = { range: `bytes=${offset}-${end - 1}`, ...(etag === undefined ? {} : { 'if-match': etag }) };
          const response = await request('GetObject', where(key), objectUrl(key), { method: 'GET', headers });
          const bytes = new Uint8Array(await response.arrayBuffer());
          // A service that ignores Range answers 200 with the whole object.
          return response.status === 206 ? bytes : bytes.subarray(offset, end);
        },
        close: async () => {},
      };
    },
    async size(key) {
      return (await head(key))?.size;
    },
    async delete(key) {
      // S3 answers 204 for an absent key; a 404 (NoSuchBucket) fails.
      await request('DeleteObject', where(key), objectUrl(key), { method: 'DELETE' });
    },
    async deletePrefix(keyPrefix) {
      const listPrefix = `${objectKey(keyPrefix)}/`;
      let token: string | undefined;
      do {
        const query = `list-type=2&max-keys=${pageSize}&prefix=${uriEncode(listPrefix)}${token === undefined ? '' : `&continuation-token=${uriEncode(token)}`}`;
        const listing = await (await request('ListObjectsV2', where(`${keyPrefix}/`), `${bucketUrl}/?${query}`, { method: 'GET' })).text();
        const keys = [...listing.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<\/Contents>/g)].map((m) => xmlUnescape(m[1] ?? ''));
        if (keys.length > 0) {
          const body = `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${keys.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('')}</Delete>`;
          const md5 = crypto.createHash('md5').update(body).digest('base64');
          const answer = await (await request('DeleteObjects', where(`${keyPrefix}/`), `${bucketUrl}/?delete=`, { method: 'POST', body, headers: { 'content-md5': md5, 'content-type': 'application/xml' } })).text();
          const failed = /<Error>([\s\S]*?)<\/Error>/.exec(answer);
          if (failed !== null) {
            const code = xmlValue(failed[1] ?? '', 'Code') ?? 'InternalError';
            throw new S3RequestError('DeleteObjects', 200, code, `S3 DeleteObjects under ${where(`${keyPrefix}/`)} could not delete ${xmlValue(failed[1] ?? '', 'Key') ?? 'a key'}: ${code}.`);
          }
        }
        token = xmlValue(listing, 'IsTruncated') === 'true' ? xmlValue(listing, 'NextContinuationToken') : undefined;
      } while (token !== undefined);
    },
  };
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1) * (0.5 + Math.random())));
