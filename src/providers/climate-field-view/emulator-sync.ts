/**
 * What a sync reads from Climate FieldView, served locally: farms by id (providers.md 3.4),
 * boundaries as GeoJSON features (3.5), the `asPlanted`/`asHarvested`/`asApplied` layers with
 * header paging and polling tokens, and their contents in 1-5 MiB `Range` chunks (3.6).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatedBoundary, EmulatedMachineFile, EmulatedOperationKind, EmulatorContext } from '../provider-emulator.js';
import { authorizeApi, climateError, pageLimitOf, PLATFORM } from './emulator.js';

/** The layers of machine data and the operation each holds (providers.md 3.6); tillage has none. */
export const CLIMATE_LAYERS = { asPlanted: 'seeding', asHarvested: 'harvest', asApplied: 'application' } as const satisfies Record<string, EmulatedOperationKind>;
type Layer = keyof typeof CLIMATE_LAYERS;

const MIB = 1024 * 1024;
/** "must be downloaded in chunks no larger than 5MiB … and no smaller than 1MiB … The last chunk could be less" (providers.md 3.6). */
export const CLIMATE_MAX_CHUNK_BYTES = 5 * MIB;
export const CLIMATE_MIN_CHUNK_BYTES = MIB;
/** `POST /v4/boundaries/query` takes at most 10 ids (providers.md 3.5). */
const MAX_BOUNDARY_QUERY_IDS = 10;

export async function registerSyncRoutes(app: FastifyInstance, ctx: EmulatorContext, identify: (request: FastifyRequest) => EmulatedAccount | undefined): Promise<void> {
  type FarmRoute = { Params: { type: string; id: string } };
  app.get<FarmRoute>(`${PLATFORM}/v4/farmOrganizations/:type/:id`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply, 'farmOrganizations:read');
    if (account === undefined) return reply;
    const farm = request.params.type === 'farm' ? account.operation.farms.find((f) => f.id === request.params.id) : undefined;
    if (farm === undefined) return reply.code(404).send(climateError('NotFound', `No ${request.params.type} ${request.params.id}.`));
    return { id: farm.id, name: farm.name, type: 'farm' };
  });

  type BoundaryRoute = { Params: { id: string } };
  app.get<BoundaryRoute>(`${PLATFORM}/v4/boundaries/:id`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply, 'fields:read');
    if (account === undefined) return reply;
    const boundary = account.operation.boundary(request.params.id);
    if (boundary === undefined) return reply.code(404).send(climateError('NotFound', `No boundary ${request.params.id}.`));
    return boundaryFeature(boundary);
  });

  app.post(`${PLATFORM}/v4/boundaries/query`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply, 'fields:read');
    if (account === undefined) return reply;
    const ids = (request.body as { ids?: unknown } | null)?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BOUNDARY_QUERY_IDS || !ids.every((id) => typeof id === 'string')) {
      return reply.code(400).send(climateError('BadRequest', `Expected { "ids": [...] } with 1 to ${MAX_BOUNDARY_QUERY_IDS} boundary ids.`));
    }
    const features = (ids as string[]).flatMap((id) => {
      const boundary = account.operation.boundary(id);
      return boundary === undefined ? [] : [boundaryFeature(boundary)];
    });
    return { type: 'FeatureCollection', features };
  });

  type LayerRoute = { Params: { layer: string } };
  app.get<LayerRoute>(`${PLATFORM}/v4/layers/:layer`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
    const layer = layerOf(request.params.layer);
    if (layer === undefined) return reply.code(404).send(climateError('NotFound', `No layer ${request.params.layer}; expected one of ${Object.keys(CLIMATE_LAYERS).join(', ')}.`));
    const account = authorizeApi(ctx, request, reply, `${layer}:read`);
    if (account === undefined) return reply;
    const limit = pageLimitOf(request);
    if (limit === undefined) return reply.code(400).send(climateError('BadRequest', 'X-Limit must be an integer from 1 to 100.'));
    const given = request.headers['x-next-token'];
    let position: LayerPosition = { revision: -1, offset: 0 };
    if (typeof given === 'string') {
      const decoded = decodeLayerToken(given);
      if (decoded === undefined) return reply.code(409).send(climateError('Conflict', 'The X-Next-Token has expired; list again without it.'));
      position = decoded;
    }
    // Files are only ever added, each under a higher revision, so offsets into "after revision r" stay put while listing.
    const revisionNow = account.operation.revision();
    const { total, files } = account.operation.listFiles({ operations: [CLIMATE_LAYERS[layer]], afterRevision: position.revision < 0 ? undefined : position.revision, offset: position.offset, limit });
    if (files.length === 0) {
      if (typeof given === 'string') reply.header('x-next-token', given);
      return reply.code(304).send();
    }
    const end = position.offset + files.length;
    const more = end < total;
    // The last page's token polls for files added after this listing.
    const next: LayerPosition = more ? { revision: position.revision, offset: end } : { revision: revisionNow, offset: 0 };
    return reply
      .code(more ? 206 : 200)
      .header('x-next-token', encodeLayerToken(next))
      .send({ results: files.map(activitySummary) });
  });

  type ContentsRoute = { Params: { layer: string; id: string } };
  app.get<ContentsRoute>(`${PLATFORM}/v4/layers/:layer/:id/contents`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
    const layer = layerOf(request.params.layer);
    if (layer === undefined) return reply.code(404).send(climateError('NotFound', `No layer ${request.params.layer}.`));
    const account = authorizeApi(ctx, request, reply, `${layer}:read`);
    if (account === undefined) return reply;
    const accept = request.headers.accept ?? '';
    // "required Accept: */* or application/octet-stream,application/json" (providers.md 3.6).
    if (!/\*\/\*|application\/octet-stream/i.test(accept)) return reply.code(406).send(climateError('NotAcceptable', `Expected Accept: */* or application/octet-stream; found ${accept || 'none'}.`));
    const file = account.operation.file(request.params.id);
    if (file === undefined || file.id !== request.params.id || CLIMATE_LAYERS[layer] !== file.operation) return reply.code(404).send(climateError('NotFound', `No ${layer} activity ${request.params.id}.`));
    const made = account.operation.fileBytes(file);
    const bytes = Buffer.from(made.buffer, made.byteOffset, made.byteLength);
    const range = request.headers.range;
    reply.header('accept-ranges', 'bytes');
    if (range === undefined) {
      if (bytes.length > CLIMATE_MAX_CHUNK_BYTES) return reply.code(400).send(climateError('BadRequest', `The contents are ${bytes.length} bytes; downloads over 5 MiB take a Range header of 1 to 5 MiB chunks.`));
      return reply.code(200).type('application/octet-stream').send(bytes);
    }
    const match = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
    const start = match === null ? Number.NaN : Number(match[1]);
    const end = match === null ? Number.NaN : Math.min(bytes.length - 1, match[2] === '' ? bytes.length - 1 : Number(match[2]));
    const size = end - start + 1;
    const tooSmall = size < CLIMATE_MIN_CHUNK_BYTES && end < bytes.length - 1;
    if (!Number.isInteger(start) || start >= bytes.length || end < start || size > CLIMATE_MAX_CHUNK_BYTES || tooSmall) {
      return reply
        .code(416)
        .header('content-range', `bytes */${bytes.length}`)
        .send(climateError('RangeNotSatisfiable', `Expected Range: bytes=start-end within ${bytes.length} bytes, 1 to 5 MiB long (the last chunk may be shorter); found ${range}.`));
    }
    return reply
      .code(206)
      .type('application/octet-stream')
      .header('content-range', `bytes ${start}-${end}/${bytes.length}`)
      .send(bytes.subarray(start, end + 1));
  });
}

interface LayerPosition {
  /** -1: every file; otherwise files added after this revision. */
  revision: number;
  offset: number;
}

function encodeLayerToken(position: LayerPosition): string {
  return Buffer.from(JSON.stringify({ r: position.revision, o: position.offset })).toString('base64url');
}

function decodeLayerToken(token: string): LayerPosition | undefined {
  try {
    const { r, o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { r?: unknown; o?: unknown };
    return Number.isInteger(r) && Number.isInteger(o) && (r as number) >= -1 && (o as number) >= 0 ? { revision: r as number, offset: o as number } : undefined;
  } catch {
    return undefined;
  }
}

function layerOf(name: string): Layer | undefined {
  return Object.hasOwn(CLIMATE_LAYERS, name) ? (name as Layer) : undefined;
}

/** An ActivitySummary (providers.md 3.6): `length` is the raw file's size in bytes. */
function activitySummary(file: EmulatedMachineFile) {
  const created = Date.parse(file.createdTime);
  return {
    id: file.id,
    startTime: new Date(created - 3_600_000).toISOString(),
    endTime: new Date(created - 600_000).toISOString(),
    createdAt: file.createdTime,
    updatedAt: file.modifiedTime,
    length: file.size,
    fieldIds: [file.fieldId],
  };
}

/** A boundary as Climate's GeoJSON Feature (providers.md 3.5), area in hectares. */
function boundaryFeature(boundary: EmulatedBoundary) {
  const ring = boundary.coordinates[0]?.[0] ?? [];
  const n = Math.max(1, ring.length - 1);
  const centroid = [ring.slice(0, n).reduce((s, p) => s + p[0]!, 0) / n, ring.slice(0, n).reduce((s, p) => s + p[1]!, 0) / n];
  // A one-polygon boundary is a Polygon, as most of Climate's are; several make a MultiPolygon.
  const geometry = boundary.coordinates.length === 1 ? { type: 'Polygon', coordinates: boundary.coordinates[0] } : { type: 'MultiPolygon', coordinates: boundary.coordinates };
  return { id: boundary.id, type: 'Feature', geometry, properties: { area: { q: boundary.areaHectares, u: 'hectare' }, centroid: { type: 'Point', coordinates: centroid } } };
}
