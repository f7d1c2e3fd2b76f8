/**
 * What a sync reads from Climate FieldView, on the wire (with `client.ts`, the only files that
 * know Climate's URLs): the resource owner as the one organization, farms from the fields' parents,
 * fields and the `asPlanted`/`asHarvested`/`asApplied` layers over header paging with
 * `X-Next-Token` as the change cursor (providers.md 3.2), boundaries as GeoJSON (3.5), and layer
 * contents downloaded in 1-5 MiB `Range` chunks (3.6).
 */
import crypto from 'node:crypto';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ProviderCredential } from '../provider.js';
import { syncListing, type DownloadResult, type DownloadSink, type GeoJsonMultiPolygon, type ProviderSync, type SyncBoundary, type SyncFarm, type SyncField, type SyncGrower, type SyncMachineFile, type SyncOperationType, type SyncOrganization } from '../sync-data.js';
import { CLIMATE_HOSTS, MAX_PAGE_SIZE, classifyClimateError, fetchResultsPage, type ClimateApiAuth, type ClimateFieldViewCredentialFields } from './client.js';
import { appendPartialContent, pipeBody } from '../ranged-download.js';

/** The machine-data layers and the operation of each (providers.md 3.6). */
export const CLIMATE_LAYER_OPERATIONS = { asPlanted: 'planted', asHarvested: 'harvested', asApplied: 'applied' } as const satisfies Record<string, SyncOperationType>;
type Layer = keyof typeof CLIMATE_LAYER_OPERATIONS;
const LAYERS = Object.keys(CLIMATE_LAYER_OPERATIONS) as Layer[];

/** The largest chunk Climate serves: "no larger than 5MiB" (providers.md 3.6); fewer requests per file. */
export const CLIMATE_DOWNLOAD_CHUNK_BYTES = 5 * 1024 * 1024;
/** "… and no smaller than 1MiB" except the last. */
const CLIMATE_MIN_CHUNK_BYTES = 1024 * 1024;
/** [I] A stop for 206 answers that never end. */
const MAX_PAGES = 100_000;
/**
 * [I] The organization of a credential whose token answer carried no `user`: Climate has one
 * resource owner per grant, so a fixed key per credential is still a natural key.
 */
export const CLIMATE_RESOURCE_OWNER_FALLBACK_ID = 'resource-owner';

type Credential = ProviderCredential<ClimateFieldViewCredentialFields>;

function authOf(credential: Credential): ClimateApiAuth {
  const accessToken = credential.tokens?.accessToken;
  if (accessToken === undefined) throw new ProviderError({ errorClass: 'auth_expired', reason: 'the credential holds no access token yet; refresh it first' });
  return { accessToken, apiKey: credential.fields.apiKey };
}

/** Every page of a results list from `since`, returning the token after the last one. */
async function* resultPages(ctx: AdapterContext, credential: Credential, path: string, since: string | undefined): AsyncGenerator<Record<string, unknown>[], string | undefined, undefined> {
  let nextToken = since;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await fetchResultsPage(ctx, authOf(credential), path, { limit: MAX_PAGE_SIZE, nextToken });
    nextToken = page.nextToken;
    if (page.results.length > 0) yield page.results;
    if (!page.more) return nextToken;
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `Climate kept answering 206 for ${path} past ${MAX_PAGES} pages` });
}

/** The resource owner of the grant as the one organization (providers.md 3.3: Climate has no organization list). */
export async function listClimateOrganizations(credential: Credential): Promise<SyncOrganization[]> {
  const user = (credential.tokens?.raw as { user?: { id?: unknown; firstName?: unknown; lastName?: unknown; email?: unknown } } | undefined)?.user;
  const providerId = typeof user?.id === 'string' ? user.id : CLIMATE_RESOURCE_OWNER_FALLBACK_ID;
  const name = [user?.firstName, user?.lastName].filter((part): part is string => typeof part === 'string' && part !== '').join(' ') || (typeof user?.email === 'string' ? user.email : 'Climate FieldView');
  return [{ providerId, name, connected: true, version: hashOf([providerId, name]) }];
}

/** Climate has no grower level (providers.md 3.4). */
// eslint-disable-next-line require-yield
export async function* listClimateGrowers(): AsyncGenerator<SyncGrower> {
  return;
}

/** Farms: Climate lists none, so the fields' `parent` farms are read one by one (`/v4/farmOrganizations/farm/{id}`). */
export async function* listClimateFarms(credential: Credential, ctx: AdapterContext, organization: { providerId: string }): AsyncGenerator<SyncFarm> {
  const seen = new Set<string>();
  for await (const results of resultPages(ctx, credential, '/v4/fields', undefined)) {
    for (const field of results) {
      const parent = field['parent'] as { id?: unknown; type?: unknown } | undefined;
      if (typeof parent?.id !== 'string' || parent.type !== 'farm' || seen.has(parent.id)) continue;
      seen.add(parent.id);
      const farm = await getJson(ctx, credential, `/v4/farmOrganizations/farm/${encodeURIComponent(parent.id)}`);
      const name = typeof farm['name'] === 'string' ? farm['name'] : '';
      yield { providerId: parent.id, organizationId: organization.providerId, name, version: hashOf([name]) };
    }
  }
}

export function listClimateFields(credential: Credential, ctx: AdapterContext, organization: { providerId: string }, options: { since?: string | undefined } = {}) {
  return syncListing<SyncField>(async function* () {
    const pages = resultPages(ctx, credential, '/v4/fields', options.since);
    for (;;) {
      const next = await pages.next();
      if (next.done === true) return next.value;
      for (const value of next.value) {
        const name = typeof value['name'] === 'string' ? value['name'] : '';
        const parent = value['parent'] as { id?: unknown } | undefined;
        const farmId = typeof parent?.id === 'string' ? parent.id : undefined;
        const activeBoundaryId = typeof value['boundaryId'] === 'string' ? value['boundaryId'] : undefined;
        // Boundaries are immutable, so a new boundaryId is how a redrawn field shows (providers.md 3.5).
        yield { providerId: String(value['id']), organizationId: organization.providerId, farmId, name, activeBoundaryId, version: hashOf([name, farmId, activeBoundaryId]) };
      }
    }
  }, options.since === undefined);
}

/** The field's boundary (`/v4/boundaries/{boundaryId}`); Climate keeps no list of earlier ones per field. */
export async function listClimateBoundaries(credential: Credential, ctx: AdapterContext, _organization: unknown, field: Pick<SyncField, 'providerId' | 'activeBoundaryId'>): Promise<SyncBoundary[]> {
  if (field.activeBoundaryId === undefined) return [];
  const feature = await getJson(ctx, credential, `/v4/boundaries/${encodeURIComponent(field.activeBoundaryId)}`);
  const geometry = climateGeometryToMultiPolygon(feature['geometry']);
  if (geometry === undefined) return [];
  // Immutable: the id is the version.
  return [{ providerId: field.activeBoundaryId, fieldId: field.providerId, active: true, geometry, version: field.activeBoundaryId }];
}

/**
 * Climate's boundary geometry as a MultiPolygon: Polygon wrapped, MultiPolygon kept, a Point
 * (allowed by the schema) dropped. Coordinates are read as numbers: the spec types them as strings
 * (providers.md 3.5, "schema oddity").
 */
export function climateGeometryToMultiPolygon(geometry: unknown): GeoJsonMultiPolygon | undefined {
  const g = geometry as { type?: unknown; coordinates?: unknown } | null;
  const polygons = g?.type === 'Polygon' ? [g.coordinates] : g?.type === 'MultiPolygon' && Array.isArray(g.coordinates) ? g.coordinates : undefined;
  if (polygons === undefined) return undefined;
  const coordinates = (polygons as unknown[]).flatMap((polygon) => {
    if (!Array.isArray(polygon)) return [];
    const rings = polygon.map((ring: unknown) => (Array.isArray(ring) ? ring.map((p: unknown) => (Array.isArray(p) ? [Number(p[0]), Number(p[1])] : [Number.NaN, Number.NaN])) : []));
    return rings.length > 0 && rings[0]!.length >= 4 && rings.flat().every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) ? [rings] : [];
  });
  return coordinates.length === 0 ? undefined : { type: 'MultiPolygon', coordinates };
}

/**
 * The three layers' activities, one after the other. The cursor holds each layer's own
 * `X-Next-Token`, so one layer's expired token (409) restarts only that layer.
 */
export function listClimateFiles(credential: Credential, ctx: AdapterContext, organization: { providerId: string }, options: { since?: string | undefined } = {}) {
  const since = decodeCursor(options.since);
  return syncListing<SyncMachineFile>(async function* () {
    const after: Partial<Record<Layer, string>> = {};
    for (const layer of LAYERS) {
      const pages = resultPages(ctx, credential, `/v4/layers/${layer}`, since[layer]);
      for (;;) {
        const next = await pages.next();
        if (next.done === true) {
          if (next.value !== undefined) after[layer] = next.value;
          break;
        }
        for (const value of next.value) {
          const updatedAt = typeof value['updatedAt'] === 'string' ? value['updatedAt'] : undefined;
          yield {
            providerId: String(value['id']),
            organizationId: organization.providerId,
            name: `${layer}-${String(value['id'])}.zip`,
            format: layer,
            size: Number(value['length']) || 0,
            operationType: CLIMATE_LAYER_OPERATIONS[layer],
            fieldIds: Array.isArray(value['fieldIds']) ? value['fieldIds'].map(String) : [],
            createdTime: typeof value['createdAt'] === 'string' ? value['createdAt'] : undefined,
            modifiedTime: updatedAt,
            version: updatedAt ?? hashOf([value['length'], value['endTime']]),
          };
        }
      }
    }
    return Object.keys(after).length === 0 ? undefined : Buffer.from(JSON.stringify(after)).toString('base64url');
  }, options.since === undefined);
}

function decodeCursor(cursor: string | undefined): Partial<Record<Layer, string>> {
  if (cursor === undefined) return {};
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    return Object.fromEntries(LAYERS.filter((l) => typeof parsed[l] === 'string').map((l) => [l, parsed[l] as string]));
  } catch {
    throw new ProviderError({ errorClass: 'permanent', reason: 'the Climate files cursor is not one this adapter made; list again without it' });
  }
}

/**
 * Downloads a layer's contents into `sink` in `Range` chunks of 1-5 MiB (providers.md 3.6: the
 * sample app reads 1 MiB chunks up to `length`), each streamed through as it arrives.
 */
export async function downloadClimateFile(credential: Credential, ctx: AdapterContext, file: Pick<SyncMachineFile, 'providerId' | 'size' | 'operationType'>, sink: DownloadSink, options: { chunkBytes?: number } = {}): Promise<DownloadResult> {
  const layer = LAYERS.find((l) => CLIMATE_LAYER_OPERATIONS[l] === file.operationType);
  if (layer === undefined) throw new ProviderError({ errorClass: 'permanent', reason: `Climate has no layer for operation type ${file.operationType ?? 'none'}; expected planted, harvested or applied` });
  const chunk = Math.min(CLIMATE_DOWNLOAD_CHUNK_BYTES, Math.max(CLIMATE_MIN_CHUNK_BYTES, options.chunkBytes ?? CLIMATE_DOWNLOAD_CHUNK_BYTES));
  const url = `${ctx.baseUrl(CLIMATE_HOSTS.platform)}/v4/layers/${layer}/${encodeURIComponent(file.providerId)}/contents`;
  let written = 0;
  let requests = 0;
  while (written < file.size) {
    const end = Math.min(file.size, written + chunk) - 1;
    const { accessToken, apiKey } = authOf(credential);
    requests += 1;
    const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessToken}`, 'X-Api-Key': apiKey, Accept: 'application/octet-stream,application/json', Range: `bytes=${written}-${end}` } });
    if (response.status === 200 && written === 0) {
      written += await pipeBody(response, sink);
      break;
    }
    if (response.status !== 206) throw await providerErrorOf(response, 'api', classifyClimateError);
    written += await appendPartialContent(response, written, sink, `activity ${file.providerId}`);
  }
  return { bytes: written, requests };
}

async function getJson(ctx: AdapterContext, credential: Credential, path: string): Promise<Record<string, unknown>> {
  const { accessToken, apiKey } = authOf(credential);
  const url = `${ctx.baseUrl(CLIMATE_HOSTS.platform)}${path}`;
  const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessToken}`, 'X-Api-Key': apiKey, Accept: 'application/json' } });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyClimateError);
  try {
    return (await response.json()) as Record<string, unknown>;
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
}

function hashOf(value: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('base64url').slice(0, 22);
}

/** The Climate FieldView sync listings. */
export const climateFieldViewSync: ProviderSync<ClimateFieldViewCredentialFields> = {
  listOrganizations: (credential) => listClimateOrganizations(credential),
  listGrowers: () => listClimateGrowers(),
  listFarms: listClimateFarms,
  listFields: listClimateFields,
  listBoundaries: listClimateBoundaries,
  listFiles: listClimateFiles,
  downloadFile: (credential, ctx, file, sink) => downloadClimateFile(credential, ctx, file, sink),
};
