/**
 * What a sync reads from John Deere, on the wire (with `client.ts`, the only files that know
 * Deere's URLs): clients, farms and fields of an organization, each field's boundaries converted
 * to GeoJSON, and the organization's files, listed over `nextPage` links with `x-deere-signature`
 * as the change cursor (providers.md 1.2), and downloaded in `Range` chunks (1.6); and each
 * field's operations, listed per field and exported as shapefiles asynchronously (1.6).
 */
import crypto from 'node:crypto';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HttpResult, ProviderCredential } from '../provider.js';
import { syncListing, type DownloadResult, type DownloadSink, type GeoJsonMultiPolygon, type ProviderSync, type SyncBoundary, type SyncFarm, type SyncField, type SyncGrower, type SyncMachineFile, type SyncOperationType, type SyncOrganization, type SyncScope } from '../sync-data.js';
import { DEERE_MEDIA_TYPE, JOHN_DEERE_HOSTS, classifyJohnDeereError, listOrganizations, providerOrganizationOf, type DeereLink, type JohnDeereCredentialFields } from './client.js';
import { appendPartialContent, pipeBody } from '../ranged-download.js';

/** [I] Items per page asked with `itemLimit`: fewer round trips than Deere's default page. */
export const DEERE_SYNC_PAGE_SIZE = 100;
/**
 * Bytes per download request. Deere serves up to 50 MB at once (providers.md 1.6); [I] 8 MiB keeps
 * a retried chunk cheap and the memory of one chunk in flight small.
 */
export const DEERE_DOWNLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
/** [I] A stop for `nextPage` chains that never end. */
const MAX_PAGES = 100_000;

type Credential = ProviderCredential<JohnDeereCredentialFields>;
type Classify = (result: HttpResult) => ErrorClassification | undefined;

function accessTokenOf(credential: Credential): string {
  const token = credential.tokens?.accessToken;
  if (token === undefined) throw new ProviderError({ errorClass: 'auth_expired', reason: 'the credential holds no access token yet; refresh it first' });
  return token;
}

/** An organization-scoped 403 is `org_not_connected` when the listing said it is not connected. */
function classifyFor(organization: SyncScope): Classify {
  const connection = organization.connected ? ({ state: 'connected', manageUri: '' } as const) : ({ state: 'not_connected', connectUri: 'the connections page of the organization list' } as const);
  return (result) => classifyJohnDeereError(result, { organization: { id: organization.providerId, name: '', type: undefined, member: undefined, internal: undefined, connection, links: [] } });
}

/**
 * The pages of a Deere collection, following `nextPage`; yields each page's values and returns
 * the first page's `x-deere-signature` (the state the listing started from, so a change made while
 * it runs is in the next listing rather than lost).
 */
async function* deerePages(ctx: AdapterContext, credential: Credential, firstUrl: string, classify: Classify, signature?: string): AsyncGenerator<Record<string, unknown>[], string | undefined, undefined> {
  const origin = new URL(firstUrl).origin;
  let url: string | undefined = firstUrl;
  let first: string | undefined;
  for (let pages = 0; url !== undefined; pages++) {
    if (pages >= MAX_PAGES) throw new ProviderError({ errorClass: 'permanent', reason: `Deere's nextPage links exceed ${MAX_PAGES} pages at ${url}` });
    const headers: Record<string, string> = { Authorization: `Bearer ${accessTokenOf(credential)}`, Accept: DEERE_MEDIA_TYPE };
    // "blank first time" (providers.md 1.2): a full listing sends none.
    if (signature !== undefined) headers['x-deere-signature'] = signature;
    const response = await callProvider(ctx, url, { headers });
    if (!response.ok) throw await providerErrorOf(response, 'api', classify);
    if (pages === 0) first = response.headers.get('x-deere-signature') ?? signature;
    let page: unknown;
    try {
      page = await response.json();
    } catch (error) {
      throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
    }
    const values = (page as { values?: unknown } | null)?.values;
    if (!Array.isArray(values)) throw new ProviderError({ errorClass: 'permanent', reason: `expected a Deere collection ({ links, total, values }) from ${url}`, status: response.status });
    yield values as Record<string, unknown>[];
    const next = linksOf(page).find((l) => l.rel === 'nextPage')?.uri;
    if (next !== undefined && new URL(next, url).origin !== origin) throw new ProviderError({ errorClass: 'permanent', reason: `Deere's nextPage link leaves ${origin}: ${next}` });
    url = next === undefined ? undefined : new URL(next, url).toString();
  }
  return first;
}

function organizationUrl(ctx: AdapterContext, organization: SyncScope, collection: string): string {
  return `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/organizations/${encodeURIComponent(organization.providerId)}/${collection}`;
}

export async function listDeereSyncOrganizations(credential: Credential, ctx: AdapterContext): Promise<SyncOrganization[]> {
  const organizations = await listOrganizations(ctx, accessTokenOf(credential));
  return organizations.map((o) => {
    const { id, name, connected, connectUrl } = providerOrganizationOf(o);
    return { providerId: id, name, connected, connectUrl, version: hashOf([name, connected]) };
  });
}

export async function* listDeereGrowers(credential: Credential, ctx: AdapterContext, organization: SyncScope): AsyncGenerator<SyncGrower> {
  const pages = deerePages(ctx, credential, `${organizationUrl(ctx, organization, 'clients')}?itemLimit=${DEERE_SYNC_PAGE_SIZE}`, classifyFor(organization));
  for await (const values of pages) {
    for (const value of values) {
      const name = stringOf(value['name']) ?? '';
      yield { providerId: String(value['id']), organizationId: organization.providerId, name, version: hashOf([name, value['archived']]) };
    }
  }
}

export async function* listDeereFarms(credential: Credential, ctx: AdapterContext, organization: SyncScope): AsyncGenerator<SyncFarm> {
  const pages = deerePages(ctx, credential, `${organizationUrl(ctx, organization, 'farms')}?itemLimit=${DEERE_SYNC_PAGE_SIZE}`, classifyFor(organization));
  for await (const values of pages) {
    for (const value of values) {
      const name = stringOf(value['name']) ?? '';
      // Deere's sample `clientUri` ends in a stray comma (providers.md 1.4).
      const growerId = lastSegment(stringOf(value['clientUri'])?.replace(/,+$/, ''));
      yield { providerId: String(value['id']), organizationId: organization.providerId, growerId, name, version: hashOf([name, growerId, value['archived']]) };
    }
  }
}

export function listDeereFields(credential: Credential, ctx: AdapterContext, organization: SyncScope, options: { since?: string | undefined } = {}) {
  const url = `${organizationUrl(ctx, organization, 'fields')}?itemLimit=${DEERE_SYNC_PAGE_SIZE}&embed=farms,clients`;
  return syncListing<SyncField>(async function* () {
    const pages = deerePages(ctx, credential, url, classifyFor(organization), options.since);
    for (;;) {
      const next = await pages.next();
      if (next.done === true) return next.value;
      for (const value of next.value) {
        const name = stringOf(value['name']) ?? '';
        const farmId = embeddedId(value['farms']);
        const growerId = embeddedId(value['clients']);
        const activeBoundaryId = lastSegment(linksOf(value).find((l) => l.rel === 'activeBoundary')?.uri);
        const modifiedTime = stringOf(value['lastModifiedTime']);
        yield { providerId: String(value['id']), organizationId: organization.providerId, growerId, farmId, name, activeBoundaryId, modifiedTime, version: hashOf([name, farmId, growerId, activeBoundaryId, modifiedTime, value['archived']]) };
      }
    }
  }, options.since === undefined);
}

export async function listDeereBoundaries(credential: Credential, ctx: AdapterContext, organization: SyncScope, field: Pick<SyncField, 'providerId'>): Promise<SyncBoundary[]> {
  const boundaries: SyncBoundary[] = [];
  const url = `${organizationUrl(ctx, organization, `fields/${encodeURIComponent(field.providerId)}/boundaries`)}?itemLimit=${DEERE_SYNC_PAGE_SIZE}`;
  for await (const values of deerePages(ctx, credential, url, classifyFor(organization))) {
    for (const value of values) {
      if (value['archived'] === true) continue;
      const geometry = deereBoundaryToGeoJson(value['multipolygons']);
      if (geometry === undefined) continue;
      const modifiedTime = stringOf(value['modifiedTime']);
      boundaries.push({ providerId: String(value['id']), fieldId: field.providerId, active: value['active'] === true, geometry, modifiedTime, version: hashOf([modifiedTime, value['active'], geometry.coordinates]) });
    }
  }
  return boundaries;
}

/**
 * Deere's `multipolygons[].rings[].points[{lat, lon}]` (providers.md 1.5) as GeoJSON: longitude
 * first, the exterior ring first in each polygon, every ring closed. `undefined` when no polygon
 * has an exterior ring of at least three points.
 */
export function deereBoundaryToGeoJson(multipolygons: unknown): GeoJsonMultiPolygon | undefined {
  if (!Array.isArray(multipolygons)) return undefined;
  const coordinates: number[][][][] = [];
  for (const polygon of multipolygons) {
    const rings = (polygon as { rings?: unknown } | null)?.rings;
    if (!Array.isArray(rings)) continue;
    const converted = rings.flatMap((ring: { points?: unknown; type?: unknown } | null) => {
      const points = Array.isArray(ring?.points) ? (ring.points as { lat?: unknown; lon?: unknown }[]) : [];
      const positions = points.filter((p) => typeof p?.lat === 'number' && typeof p.lon === 'number').map((p) => [p.lon as number, p.lat as number]);
      if (positions.length < 3) return [];
      const [first, last] = [positions[0]!, positions.at(-1)!];
      if (first[0] !== last[0] || first[1] !== last[1]) positions.push([...first]);
      return [{ exterior: ring?.type !== 'interior', positions }];
    });
    const exterior = converted.find((r) => r.exterior);
    if (exterior === undefined) continue;
    coordinates.push([exterior.positions, ...converted.filter((r) => r !== exterior).map((r) => r.positions)]);
  }
  return coordinates.length === 0 ? undefined : { type: 'MultiPolygon', coordinates };
}

/** [I] The sandbox's `operationType` on a file; Deere's own files say nothing about the operation. */
const OPERATION_TYPES: Record<string, SyncOperationType> = { harvest: 'harvested', seeding: 'planted', application: 'applied', tillage: 'tillage' };

export function listDeereFiles(credential: Credential, ctx: AdapterContext, organization: SyncScope, options: { since?: string | undefined } = {}) {
  const url = `${organizationUrl(ctx, organization, 'files')}?itemLimit=${DEERE_SYNC_PAGE_SIZE}`;
  return syncListing<SyncMachineFile>(async function* () {
    const pages = deerePages(ctx, credential, url, classifyFor(organization), options.since);
    for (;;) {
      const next = await pages.next();
      if (next.done === true) return next.value;
      for (const value of next.value) {
        // Deere's sample gives sizes and booleans as strings (providers.md 1.6).
        const size = Number(value['nativeSize']);
        const modifiedTime = stringOf(value['modifiedTime']);
        const operation = stringOf(value['operationType']);
        yield {
          providerId: String(value['id']),
          organizationId: organization.providerId,
          name: stringOf(value['name']) ?? String(value['id']),
          format: stringOf(value['format']) ?? stringOf(value['type']) ?? 'unknown',
          size: Number.isFinite(size) ? size : 0,
          operationType: operation === undefined ? undefined : (OPERATION_TYPES[operation] ?? 'other'),
          fieldIds: [],
          createdTime: stringOf(value['createdTime']),
          modifiedTime,
          version: modifiedTime ?? hashOf([value['name'], value['nativeSize']]),
        };
      }
    }
  }, options.since === undefined);
}

/**
 * Downloads a file into `sink` in `Range` chunks (providers.md 1.6). A 307 to a pre-signed URL is
 * followed without the bearer token ("Do not apply OAuth signing"), and that URL serves the later
 * chunks too while it lives; a chunk answered with fewer bytes than asked is continued from there.
 */
export async function downloadDeereFile(credential: Credential, ctx: AdapterContext, file: Pick<SyncMachineFile, 'providerId' | 'size'>, sink: DownloadSink, options: { chunkBytes?: number } = {}): Promise<DownloadResult> {
  const chunk = options.chunkBytes ?? DEERE_DOWNLOAD_CHUNK_BYTES;
  const fileUrl = `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/files/${encodeURIComponent(file.providerId)}`;
  const classify: Classify = (result) => classifyJohnDeereError(result);
  let presigned: string | undefined;
  let fresh = false;
  let requests = 0;
  let written = 0;
  while (written < file.size || (file.size === 0 && requests === 0)) {
    const end = Math.max(written, Math.min(file.size, written + chunk) - 1);
    const range = `bytes=${written}-${end}`;
    let response: Response;
    if (presigned !== undefined) {
      requests += 1;
      response = await callProvider(ctx, presigned, { headers: { Range: range } });
      // An expired pre-signed URL: ask Deere for a fresh one, once.
      if (response.status === 403 && !fresh) {
        await response.body?.cancel();
        presigned = undefined;
        continue;
      }
      fresh = false;
    } else {
      requests += 1;
      response = await callProvider(ctx, fileUrl, { headers: { Authorization: `Bearer ${accessTokenOf(credential)}`, Accept: 'application/zip', Range: range }, redirect: 'manual' });
      if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location');
        await response.body?.cancel();
        if (location === null) throw new ProviderError({ errorClass: 'permanent', reason: `Deere answered ${response.status} for ${fileUrl} without a Location`, status: response.status });
        presigned = new URL(location, fileUrl).toString();
        fresh = true;
        continue;
      }
    }
    if (response.status === 200) {
      // The whole file despite the Range: only usable from the start.
      if (written !== 0) throw new ProviderError({ errorClass: 'retry_later', reason: `Deere ignored Range ${range} for file ${file.providerId}`, status: 200 });
      written += await pipeBody(response, sink);
      break;
    }
    if (response.status !== 206) throw await providerErrorOf(response, 'api', classify);
    written += await appendPartialContent(response, written, sink, `file ${file.providerId}`);
  }
  return { bytes: written, requests };
}

/** The John Deere sync listings. */
export const johnDeereSync: ProviderSync<JohnDeereCredentialFields> = {
  listOrganizations: listDeereSyncOrganizations,
  listGrowers: listDeereGrowers,
  listFarms: listDeereFarms,
  listFields: listDeereFields,
  listBoundaries: listDeereBoundaries,
  listFiles: listDeereFiles,
  listFieldFiles: listDeereFieldOperationFiles,
  downloadFile: (credential, ctx, file, sink) =>
    file.providerId.startsWith(DEERE_FIELD_OPERATION_PREFIX) ? downloadDeereFieldOperation(credential, ctx, file.providerId.slice(DEERE_FIELD_OPERATION_PREFIX.length), file.polls ?? 0, sink) : downloadDeereFile(credential, ctx, file, sink),
};

function linksOf(value: unknown): DeereLink[] {
  const links = (value as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return [];
  return links.filter((l): l is DeereLink => typeof l?.rel === 'string' && typeof l?.uri === 'string');
}

function embeddedId(value: unknown): string | undefined {
  const first = (value as { values?: unknown[] } | null)?.values?.[0] as { id?: unknown } | undefined;
  return first?.id === undefined ? undefined : String(first.id);
}

function lastSegment(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const segment = new URL(uri.trim(), 'http://x').pathname.split('/').filter(Boolean).at(-1);
  return segment === undefined ? undefined : decodeURIComponent(segment);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A short content hash: what decides "unchanged" where Deere gives no modified time. */
export function hashOf(value: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('base64url').slice(0, 22);
}

/** A field operation as Deere lists it per field (providers.md 1.6); its data comes by `exportDeereFieldOperation`. */
export interface DeereFieldOperation {
  providerId: string;
  fieldId: string;
  operationType: SyncOperationType;
  /** Deere's `fieldOperationType` as given (`harvest`, `seeding`, ...). */
  fieldOperationType: string | undefined;
  cropSeason: string | undefined;
  startDate: string | undefined;
  modifiedTime: string | undefined;
  version: string;
}

/** A field's operations ("per field, no org-wide list", providers.md 1.6), with `x-deere-signature`. */
export function listDeereFieldOperations(credential: Credential, ctx: AdapterContext, organization: SyncScope, field: Pick<SyncField, 'providerId'>, options: { since?: string | undefined } = {}) {
  const url = `${organizationUrl(ctx, organization, `fields/${encodeURIComponent(field.providerId)}/fieldOperations`)}?itemLimit=${DEERE_SYNC_PAGE_SIZE}`;
  return syncListing<DeereFieldOperation>(async function* () {
    const pages = deerePages(ctx, credential, url, classifyFor(organization), options.since);
    for (;;) {
      const next = await pages.next();
      if (next.done === true) return next.value;
      for (const value of next.value) {
        const modifiedTime = stringOf(value['modifiedTime']);
        const fieldOperationType = stringOf(value['fieldOperationType']);
        const type = fieldOperationType?.toLowerCase();
        yield {
          providerId: String(value['id']),
          fieldId: field.providerId,
          operationType: type === undefined ? 'other' : (OPERATION_TYPES[type] ?? 'other'),
          fieldOperationType,
          cropSeason: stringOf(value['cropSeason']),
          startDate: stringOf(value['startDate']),
          modifiedTime,
          version: modifiedTime ?? hashOf(value),
        };
      }
    }
  }, options.since === undefined);
}

/**
 * What a field operation is as a sync's machine file: its provider id carries this prefix, so it
 * never collides with a Files-API file's (those are Deere's decimal file ids), and `downloadFile`
 * knows to export it.
 */
export const DEERE_FIELD_OPERATION_PREFIX = 'fieldOperation:';

/** A field's operations as machine files: shapefile exports of unknown size until downloaded. */
export function listDeereFieldOperationFiles(credential: Credential, ctx: AdapterContext, organization: SyncScope, field: Pick<SyncField, 'providerId'>, options: { since?: string | undefined } = {}) {
  const operations = listDeereFieldOperations(credential, ctx, organization, field, options);
  return syncListing<SyncMachineFile>(async function* () {
    for await (const operation of operations.items) {
      const label = [operation.fieldOperationType ?? 'field operation', operation.cropSeason].filter((part) => part !== undefined).join(' ');
      yield {
        providerId: `${DEERE_FIELD_OPERATION_PREFIX}${operation.providerId}`,
        organizationId: organization.providerId,
        name: `${label} ${operation.providerId}.zip`,
        format: 'Shapefile',
        size: 0,
        operationType: operation.operationType,
        fieldIds: [operation.fieldId],
        // When the work was done: what operationsProcessingRange measures.
        createdTime: operation.startDate ?? operation.modifiedTime,
        modifiedTime: operation.modifiedTime,
        version: operation.version,
      };
    }
    return operations.cursor();
  }, operations.complete);
}

/** Deere's documented wait before export poll `n` (1-based): "secondsToWait = 5 * 2 ^ (numberOfAttempts - 1)" (providers.md 1.6). */
export const DEERE_EXPORT_BASE_DELAY_MS = 5_000;
/**
 * [I] Polls before giving up: 5 s doubling nine times waits about 42 minutes, past Deere's "up to
 * 30 minutes". The export is asked once and polled this many times more.
 */
export const DEERE_EXPORT_MAX_POLLS = 9;

/** The wait after the `answered`-th 202 of an export (1-based), before asking again. */
export function deereExportWaitMs(answered: number, baseDelayMs = DEERE_EXPORT_BASE_DELAY_MS): number {
  return baseDelayMs * 2 ** (answered - 1);
}

/** One ask of a shapefile export: still being prepared, or ready at a pre-signed URL. */
export type DeereExportAnswer = { ready: false } | { ready: true; location: string };

/**
 * Asks once for a field operation's shapefile export (`GET /fieldOps/{id}`, providers.md 1.6):
 * 202 while Deere builds it, 307 to a pre-signed URL when ready, 406 when no shapefile can be
 * made (`permanent`).
 */
export async function askDeereFieldOperationExport(credential: Credential, ctx: AdapterContext, operationId: string): Promise<DeereExportAnswer> {
  const url = `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/fieldOps/${encodeURIComponent(operationId)}`;
  const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessTokenOf(credential)}`, Accept: 'application/zip' }, redirect: 'manual' });
  if (response.status === 202) {
    await response.body?.cancel();
    return { ready: false };
  }
  if (response.status === 406) {
    await response.body?.cancel();
    throw new ProviderError({ errorClass: 'permanent', reason: `Deere cannot generate a shapefile for field operation ${operationId} (406)`, status: 406 });
  }
  if (response.status < 300 || response.status >= 400) throw await providerErrorOf(response, 'api', (result) => classifyJohnDeereError(result));
  const location = response.headers.get('location');
  await response.body?.cancel();
  if (location === null) throw new ProviderError({ errorClass: 'permanent', reason: `Deere answered ${response.status} for ${url} without a Location`, status: response.status });
  return { ready: true, location: new URL(location, url).toString() };
}

/** Streams a ready export from its pre-signed URL into `sink`: "Do not apply OAuth signing or other authorization to this request." */
export async function fetchDeereExport(ctx: AdapterContext, location: string, sink: DownloadSink): Promise<number> {
  const download = await callProvider(ctx, location);
  if (download.status !== 200) throw await providerErrorOf(download, 'api', (result) => classifyJohnDeereError(result));
  return pipeBody(download, sink);
}

/**
 * A field operation's shapefile export, waiting in process: polled after 5 s doubling each time,
 * then streamed into `sink`. For callers that may sleep; the sync's download job asks once per run
 * instead (`downloadDeereFieldOperation`).
 */
export async function exportDeereFieldOperation(
  credential: Credential,
  ctx: AdapterContext,
  operationId: string,
  sink: DownloadSink,
  options: { baseDelayMs?: number; maxPolls?: number; wait?: (ms: number) => Promise<void> } = {},
): Promise<DownloadResult> {
  const maxPolls = options.maxPolls ?? DEERE_EXPORT_MAX_POLLS;
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let requests = 0;
  for (let attempt = 1; attempt <= maxPolls + 1; attempt++) {
    requests += 1;
    const answer = await askDeereFieldOperationExport(credential, ctx, operationId);
    if (!answer.ready) {
      if (attempt > maxPolls) break;
      await wait(deereExportWaitMs(attempt, options.baseDelayMs));
      continue;
    }
    requests += 1;
    return { bytes: await fetchDeereExport(ctx, answer.location, sink), requests };
  }
  throw new ProviderError({ errorClass: 'retry_later', reason: `Deere was still preparing field operation ${operationId} after ${maxPolls} polls; ask again later` });
}

/**
 * One step of a field operation's export for a caller that does not sleep: asks once; while Deere
 * prepares it, answers `pending` with the documented wait before the next poll (`polls` 202s were
 * answered before this one); once ready, streams it. A 202 past `DEERE_EXPORT_MAX_POLLS` polls is
 * a `permanent` failure that says so.
 */
export async function downloadDeereFieldOperation(credential: Credential, ctx: AdapterContext, operationId: string, polls: number, sink: DownloadSink, options: { baseDelayMs?: number; maxPolls?: number } = {}): Promise<DownloadResult> {
  const maxPolls = options.maxPolls ?? DEERE_EXPORT_MAX_POLLS;
  const answer = await askDeereFieldOperationExport(credential, ctx, operationId);
  if (answer.ready) return { bytes: await fetchDeereExport(ctx, answer.location, sink), requests: 2 };
  const answered = polls + 1;
  if (answered > maxPolls) {
    const waited = Array.from({ length: maxPolls }, (_, i) => deereExportWaitMs(i + 1, options.baseDelayMs)).reduce((a, b) => a + b, 0);
    throw new ProviderError({
      errorClass: 'permanent',
      reason: `Deere was still preparing the shapefile export of field operation ${operationId} after ${answered} requests over about ${Math.round(waited / 60_000)} minutes (Deere documents up to 30); giving up`,
      status: 202,
    });
  }
  return { bytes: 0, requests: 1, pending: { retryAfterMs: deereExportWaitMs(answered, options.baseDelayMs) } };
}
