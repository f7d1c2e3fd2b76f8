/**
 * The subset of the S3 REST API the S3 blob store uses, served locally over real HTTP: the test
 * double and the sandbox's object store. It checks what a real service checks where a client bug
 * would otherwise hide: SigV4 signatures (AWS "Authenticating Requests: Using the Authorization
 * Header"), payload hashes, Content-MD5 on DeleteObjects, the 5 MiB minimum of every multipart
 * part but the last, and it answers S3's XML error bodies. Objects live on disk in a temp dir.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface S3EmulatorOptions {
  /** Key pairs it accepts; one default pair otherwise. */
  credentials?: { accessKeyId: string; secretAccessKey: string }[];
  /** Buckets that exist; `furrow` otherwise. */
  buckets?: string[];
  region?: string;
  /** S3's minimum for every part but the last is 5 MiB; tests may lower it. */
  minPartSizeBytes?: number;
}

/** Counts of the operations it served, by S3 operation name (`UploadPart`, `ListObjectsV2`...). */
export type S3OperationCounts = Record<string, number>;

export interface S3Emulator {
  /** `http://127.0.0.1:<port>`: the endpoint, path-style. */
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Operations served with a valid signature; rejected requests count under `rejected:<code>`. */
  readonly operations: S3OperationCounts;
  /** The keys of a bucket, sorted. */
  keys(bucket: string): string[];
  /** Multipart uploads created and neither completed nor aborted. */
  openUploads(): number;
  close(): Promise<void>;
}

interface StoredObject {
  file: string;
  size: number;
  etag: string;
  lastModified: Date;
}

interface Upload {
  bucket: string;
  key: string;
  parts: Map<number, { file: string; size: number; md5: Buffer }>;
}

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const DEFAULT_CREDENTIALS = { accessKeyId: 'FURROWEMULATORKEY', secretAccessKey: 'furrow-emulator-secret-access-key' };
const MAX_SKEW_MS = 15 * 60 * 1000;

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const xmlUnescape = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '');
// SigV4's URI encoding: RFC 3986 unreserved characters stay, everything else is %XX upper case.
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac('sha256', key).update(data).digest();

export async function startS3Emulator(options: S3EmulatorOptions = {}): Promise<S3Emulator> {
  const credentials = options.credentials ?? [DEFAULT_CREDENTIALS];
  const secrets = new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  const region = options.region ?? 'us-east-1';
  const minPartSize = options.minPartSizeBytes ?? 5 * 2 ** 20;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'furrow-s3-'));
  const buckets = new Map<string, Map<string, StoredObject>>((options.buckets ?? ['furrow']).map((b) => [b, new Map()]));
  const uploads = new Map<string, Upload>();
  const operations: S3OperationCounts = {};
  const count = (name: string) => void (operations[name] = (operations[name] ?? 0) + 1);
  const newFile = () => path.join(dir, crypto.randomUUID());

  function replaceObject(bucket: Map<string, StoredObject>, key: string, object: StoredObject) {
    const old = bucket.get(key);
    bucket.set(key, object);
    // A reader still streaming the old object keeps its open descriptor; unlinking is safe on POSIX.
    if (old !== undefined) void fsp.rm(old.file, { force: true });
  }

  function verifySignature(req: http.IncomingMessage, rawPath: string, rawQuery: string): void {
    const authorization = req.headers.authorization;
    if (authorization === undefined) throw new S3Failure(403, 'AccessDenied', 'Access Denied');
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
    if (match === null) throw new S3Failure(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    const [, accessKeyId, date, scopeRegion, service, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string, string];
    const secret = secrets.get(accessKeyId);
    if (secret === undefined) throw new S3Failure(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
    if (scopeRegion !== region || service !== 's3') {
      throw new S3Failure(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`, { Region: region });
    }
    const amzDate = header(req, 'x-amz-date');
    if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
      throw new S3Failure(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    }
    const time = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    if (Math.abs(Date.now() - time) > MAX_SKEW_MS) throw new S3Failure(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    const payloadHash = header(req, 'x-amz-content-sha256');
    if (payloadHash === undefined) throw new S3Failure(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    const signedHeaders = signedHeaderList.split(';');
    if (!signedHeaders.includes('host')) throw new S3Failure(400, 'AuthorizationHeaderMalformed', 'The host header must be signed.');

    const { canonicalRequest, stringToSign, signature: expected } = sigV4Signature({
      method: req.method ?? 'GET',
      rawPath,
      rawQuery,
      headers: Object.fromEntries(signedHeaders.map((name) => [name, header(req, name) ?? ''])),
      payloadHash,
      amzDate,
      region: scopeRegion,
      secretAccessKey: secret,
    });
    if (!crypto.timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex'))) {
      throw new S3Failure(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
        AWSAccessKeyId: accessKeyId,
        StringToSign: stringToSign,
        CanonicalRequest: canonicalRequest,
      });
    }
  }

  /** Streams the request body to a new file, checking the signed payload hash and any Content-MD5. */
  async function receiveBody(req: http.IncomingMessage): Promise<{ file: string; size: number; md5: Buffer }> {
    const file = newFile();
    const sha256 = crypto.createHash('sha256');
    const md5 = crypto.createHash('md5');
    let size = 0;
    await pipeline(
      req,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          sha256.update(chunk);
          md5.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      fs.createWriteStream(file),
    );
    const digest = md5.digest();
    try {
      checkPayload(req, sha256.digest('hex'), digest);
    } catch (error) {
      await fsp.rm(file, { force: true });
      throw error;
    }
    return { file, size, md5: digest };
  }

  async function receiveXml(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 4 * 2 ** 20) throw new S3Failure(400, 'MaxMessageLengthExceeded', 'Your request was too big.');
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    checkPayload(req, crypto.createHash('sha256').update(body).digest('hex'), crypto.createHash('md5').update(body).digest());
    return body.toString('utf8');
  }

  function checkPayload(req: http.IncomingMessage, sha256: string, md5: Buffer): void {
    const claimed = header(req, 'x-amz-content-sha256');
    if (claimed !== 'UNSIGNED-PAYLOAD' && claimed !== sha256) {
      throw new S3Failure(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const contentMd5 = header(req, 'content-md5');
    if (contentMd5 !== undefined && contentMd5 !== md5.toString('base64')) throw new S3Failure(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }

  function bucketOf(name: string): Map<string, StoredObject> {
    const bucket = buckets.get(name);
    if (bucket === undefined) throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
    return bucket;
  }

  function objectOf(bucket: Map<string, StoredObject>, key: string): StoredObject {
    const object = bucket.get(key);
    if (object === undefined) throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    return object;
  }

  function uploadOf(id: string | null, bucket: string, key: string): Upload {
    const upload = id === null ? undefined : uploads.get(id);
    if (upload === undefined || upload.bucket !== bucket || upload.key !== key) {
      throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id ?? '' });
    }
    return upload;
  }

  /** Virtual-hosted (`bucket.host/key`) when the Host names a bucket, else path-style (`host/bucket/key`). */
  function addressOf(req: http.IncomingMessage, rawPath: string): { bucket: string; key: string } {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const decoded = decodeURIComponent(rawPath);
    for (const name of buckets.keys()) {
      if (host.startsWith(`${name}.`)) return { bucket: name, key: decoded.slice(1) };
    }
    const [, bucket = '', ...rest] = decoded.split('/');
    return { bucket, key: rest.join('/') };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const query = new URLSearchParams(rawQuery);
    verifySignature(req, rawPath, rawQuery);
    const { bucket: bucketName, key } = addressOf(req, rawPath);
    const bucket = bucketOf(bucketName);
    const method = req.method ?? 'GET';

    if (key === '') {
      if (method === 'GET' && query.get('list-type') === '2') return listObjects(res, bucketName, bucket, query);
      if (method === 'POST' && query.has('delete')) return deleteObjects(req, res, bucket);
      throw new S3Failure(501, 'NotImplemented', `The emulator does not implement ${method} on a bucket with this query.`);
    }
    if (method === 'POST' && query.has('uploads')) {
      count('CreateMultipartUpload');
      const id = crypto.randomBytes(24).toString('base64url');
      uploads.set(id, { bucket: bucketName, key, parts: new Map() });
      return sendXml(res, 200, `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (method === 'PUT' && query.has('uploadId')) {
      const upload = uploadOf(query.get('uploadId'), bucketName, key);
      const partNumber = Number(query.get('partNumber'));
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) throw new S3Failure(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
      const part = await receiveBody(req);
      count('UploadPart');
      const old = upload.parts.get(partNumber);
      upload.parts.set(partNumber, part);
      if (old !== undefined) await fsp.rm(old.file, { force: true });
      res.writeHead(200, { etag: `"${part.md5.toString('hex')}"` }).end();
      return;
    }
    if (method === 'POST' && query.has('uploadId')) return completeUpload(req, res, bucket, uploadOf(query.get('uploadId'), bucketName, key), query.get('uploadId') ?? '');
    if (method === 'DELETE' && query.has('uploadId')) {
      const id = query.get('uploadId') ?? '';
      const upload = uploadOf(id, bucketName, key);
      count('AbortMultipartUpload');
      uploads.delete(id);
      await Promise.all([...upload.parts.values()].map((p) => fsp.rm(p.file, { force: true })));
      res.writeHead(204).end();
      return;
    }
    if (method === 'PUT') {
      const body = await receiveBody(req);
      count('PutObject');
      const etag = `"${body.md5.toString('hex')}"`;
      replaceObject(bucket, key, { file: body.file, size: body.size, etag, lastModified: new Date() });
      res.writeHead(200, { etag }).end();
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      count(method === 'GET' ? 'GetObject' : 'HeadObject');
      const object = objectOf(bucket, key);
      const ifMatch = header(req, 'if-match');
      if (ifMatch !== undefined && ifMatch !== object.etag && ifMatch !== '*') throw new S3Failure(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
      const headers: http.OutgoingHttpHeaders = { etag: object.etag, 'last-modified': object.lastModified.toUTCString(), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
      const range = method === 'GET' ? parseRange(header(req, 'range'), object.size) : undefined;
      if (range === undefined) {
        res.writeHead(200, { ...headers, 'content-length': object.size });
        if (method === 'HEAD') return void res.end();
        await pipeline(fs.createReadStream(object.file), res);
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${object.size}` });
      await pipeline(fs.createReadStream(object.file, { start: range.start, end: range.end }), res);
      return;
    }
    if (method === 'DELETE') {
      count('DeleteObject');
      const object = bucket.get(key);
      bucket.delete(key);
      if (object !== undefined) await fsp.rm(object.file, { force: true });
      res.writeHead(204).end();
      return;
    }
    throw new S3Failure(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  function listObjects(res: http.ServerResponse, name: string, bucket: Map<string, StoredObject>, query: URLSearchParams): void {
    count('ListObjectsV2');
    const prefix = query.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Number(query.get('max-keys') ?? 1000));
    const token = query.get('continuation-token');
    const after = token === null ? (query.get('start-after') ?? '') : Buffer.from(token, 'base64url').toString('utf8');
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = bucket.get(k) as StoredObject;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1) ?? '').toString('base64url')}</NextContinuationToken>` : '';
    const echoed = token === null ? '' : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`;
    sendXml(
      res,
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${echoed}${next}${contents}</ListBucketResult>`,
    );
  }

  async function deleteObjects(req: http.IncomingMessage, res: http.ServerResponse, bucket: Map<string, StoredObject>): Promise<void> {
    // S3 refuses a multi-object delete without an integrity header.
    if (header(req, 'content-md5') === undefined) throw new S3Failure(400, 'InvalidRequest', 'Missing required header for this request: Content-Md5');
    const xml = await receiveXml(req);
    count('DeleteObjects');
    const keys = [...xml.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1] ?? ''));
    if (keys.length === 0 || keys.length > 1000) throw new S3Failure(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    const quiet = /<Quiet>true<\/Quiet>/.test(xml);
    for (const key of keys) {
      const object = bucket.get(key);
      bucket.delete(key);
      if (object !== undefined) await fsp.rm(object.file, { force: true });
    }
    sendXml(res, 200, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet ? '' : keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`);
  }

  async function completeUpload(req: http.IncomingMessage, res: http.ServerResponse, bucket: Map<string, StoredObject>, upload: Upload, id: string): Promise<void> {
    const xml = await receiveXml(req);
    const listed = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1] ?? '')?.[1]),
      etag: xmlUnescape(/<ETag>([^<]*)<\/ETag>/.exec(m[1] ?? '')?.[1] ?? ''),
    }));
    if (listed.length === 0) throw new S3Failure(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    const parts = listed.map((entry, i) => {
      if (i > 0 && entry.number <= (listed[i - 1]?.number ?? 0)) throw new S3Failure(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
      const part = upload.parts.get(entry.number);
      if (part === undefined || `"${part.md5.toString('hex')}"` !== entry.etag.replace(/^"?(.*?)"?$/, '"$1"')) {
        throw new S3Failure(400, 'InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part\'s entity tag.');
      }
      if (i < listed.length - 1 && part.size < minPartSize) throw new S3Failure(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
      return part;
    });
    const file = newFile();
    await pipeline(
      Readable.from(
        (async function* () {
          for (const part of parts) yield* fs.createReadStream(part.file);
        })(),
      ),
      fs.createWriteStream(file),
    );
    count('CompleteMultipartUpload');
    uploads.delete(id);
    await Promise.all([...upload.parts.values()].map((p) => fsp.rm(p.file, { force: true })));
    const etag = `"${crypto.createHash('md5').update(Buffer.concat(parts.map((p) => p.md5))).digest('hex')}-${parts.length}"`;
    replaceObject(bucket, upload.key, { file, size: parts.reduce((n, p) => n + p.size, 0), etag, lastModified: new Date() });
    sendXml(res, 200, `<CompleteMultipartUploadResult><Bucket>${xmlEscape(upload.bucket)}</Bucket><Key>${xmlEscape(upload.key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const failure = error instanceof S3Failure ? error : new S3Failure(500, 'InternalError', error instanceof Error ? error.message : String(error));
      count(`rejected:${failure.code}`);
      req.resume();
      if (res.headersSent) return void res.destroy();
      // HEAD answers carry no body, so a client sees only the status.
      if (req.method === 'HEAD') return void res.writeHead(failure.status).end();
      const extra = Object.entries(failure.extra)
        .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
        .join('');
      sendXml(res, failure.status, `<Error><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message>${extra}<RequestId>${crypto.randomUUID()}</RequestId></Error>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const first = credentials[0] ?? DEFAULT_CREDENTIALS;
  return {
    url: `http://127.0.0.1:${port}`,
    region,
    accessKeyId: first.accessKeyId,
    secretAccessKey: first.secretAccessKey,
    operations,
    keys: (name) => [...(buckets.get(name)?.keys() ?? [])].sort(),
    openUploads: () => uploads.size,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The SigV4 signature of an S3 request, computed from the request as received (AWS "Signature
 * Version 4 signing process": canonical request, string to sign, derived signing key).
 */
export function sigV4Signature(request: {
  method: string;
  rawPath: string;
  rawQuery: string;
  /** The signed headers, lower-case names, as received. */
  headers: Record<string, string>;
  payloadHash: string;
  amzDate: string;
  region: string;
  secretAccessKey: string;
}): { canonicalRequest: string; stringToSign: string; signature: string } {
  const names = Object.keys(request.headers).sort();
  // S3 encodes each path segment once (other services encode twice).
  const canonicalUri = request.rawPath
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = [...new URLSearchParams(request.rawQuery)]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = names.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, names.join(';'), request.payloadHash].join('\n');
  const date = request.amzDate.slice(0, 8);
  const scope = `${date}/${request.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', request.amzDate, scope, crypto.createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${request.secretAccessKey}`, date), request.region), 's3'), 'aws4_request');
  return { canonicalRequest, stringToSign, signature: hmac(signingKey, stringToSign).toString('hex') };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sendXml(res: http.ServerResponse, status: number, body: string): void {
  const bytes = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': bytes.length }).end(bytes);
}

/** RFC 9110 byte ranges as S3 takes them: one range; unsatisfiable ones answer 416 InvalidRange. */
function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  // S3 ignores a Range header it cannot parse and answers the whole object.
  if (match === null || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) throw new S3Failure(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: value, ActualObjectSize: String(size) });
  return { start, end };
}
