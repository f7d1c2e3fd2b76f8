/**
 * Leaf's field operations (SPEC section 8; leaf-api.md 7.2 and 7.8): processed machine files are
 * allocated to the user's active field boundaries, grouped into operations (the rule is stated in
 * `field-operations-grouping.ts`), and each operation's outputs are built from its files' logs
 * (`field-operations-build.ts`).
 *
 * Keeping current is one idempotent job per user, `refresh-field-operations`: it allocates the
 * user's processed files that have no allocation (new files, and files a changed field touched,
 * whose allocation the fields hook cleared), regroups every file from the stored allocations (file
 * metadata only, no points), and gives each operation whose files, field boundaries or output
 * configuration changed a new revision and a `build-field-operation` job. Operations that did not
 * change are not rebuilt. A build writes only the revision it started from, so a build overtaken by
 * a newer change leaves the newer one to its own job. Membership changes and their alerts
 * (`operationCreated`, `operationUpdated`) commit together; `operationProcessingFinished` commits
 * with the build.
 *
 * Only files uploaded or fetched from providers make operations: a merged file repeats its
 * sources' points, which are already in their operations.
 */
import crypto from 'node:crypto';
import { alertEvent } from '../alerts/index.js';
import {
  FurrowError,
  nowIso,
  type ActiveBoundary,
  type ConfigurationValues,
  type FieldOperationOutput,
  type FieldOperationRecord,
  type MachineFileRecord,
  type OperationFilter,
  type OperationSortField,
  type OwnerContext,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { FieldIndex, type FieldShape } from '../spatial/field-index.js';
import { allocatePoints, type Allocation } from '../spatial/allocation.js';
import type { BlobStore, BlobWriter } from '../storage/blobs/index.js';
import type { FieldOperationsRepository } from '../storage/repositories/field-operations.js';
import type { MachineFileBatchesRepository } from '../storage/repositories/machine-file-batches.js';
import type { MachineFilesRepository } from '../storage/repositories/machine-files.js';
import type { UsersRepository } from '../storage/repositories/users.js';
import type { AlertOutbox } from './alerts.js';
import type { ConfigurationsService } from './configurations.js';
import { buildOperationOutputs } from './field-operations-build.js';
import { groupFiles, matchOperations, type GroupableFile } from './field-operations-grouping.js';
import { openFileLogs } from './machine-files-logs.js';
import type { MachineFilePipeline } from './machine-files-pipeline.js';
import { fileView, type FileView } from './machine-files-views.js';

/** What the service asks of the job queue; `jobs/field-operation-jobs.ts` implements it. */
export interface FieldOperationJobs {
  /** `delayMs`: not before then (a refresh that found another one running asks again later). */
  refresh(ownerId: string, leafUserId: string, delayMs?: number): Promise<void>;
  build(operationId: string): Promise<void>;
}

/** The Fields service as operations use it. */
export interface FieldBoundaries {
  activeBoundaries(owner: OwnerContext, userId: string): Promise<ActiveBoundary[]>;
}

export interface OperationView {
  id: string;
  apiOwnerUsername: string;
  leafUserId: string;
  startTime: string | null;
  endTime: string | null;
  updatedTime: string;
  type: string;
  files: string[];
  fields: { id: string; coverage: number | null }[];
  providers: string[];
  /** Furrow's: `processing` until its outputs are built, then `processed` (or `failed`). */
  status: string;
  statusReason?: string;
}

export interface OperationDownload {
  content: AsyncIterable<Uint8Array>;
  size: number | undefined;
  contentType: string;
  fileName: string;
}

export const OPERATION_OUTPUTS = ['standardGeojson', 'filteredGeojson', 'standardGeoparquet', 'filteredGeoparquet'] as const satisfies readonly FieldOperationOutput[];

const CONTENT_TYPES: Record<FieldOperationOutput, string> = {
  standardGeojson: 'application/geo+json',
  filteredGeojson: 'application/geo+json',
  standardGeoparquet: 'application/vnd.apache.parquet',
  filteredGeoparquet: 'application/vnd.apache.parquet',
};

export interface FieldOperationsService {
  list(owner: OwnerContext, filter: OperationFilter, page: PageRequest<OperationSortField>): Promise<Page<OperationView>>;
  get(owner: OwnerContext, id: string): Promise<OperationView>;
  summary(owner: OwnerContext, id: string): Promise<unknown>;
  units(owner: OwnerContext, id: string): Promise<Record<string, string>>;
  /** Leaf's link objects: `{ standardGeojson, downloadStandardGeojson }` and the like. */
  links(owner: OwnerContext, id: string, output: FieldOperationOutput): Promise<Record<string, string>>;
  download(owner: OwnerContext, id: string, output: FieldOperationOutput): Promise<OperationDownload>;
  files(owner: OwnerContext, id: string): Promise<FileView[]>;
  machines(owner: OwnerContext, id: string): Promise<{ machines: string[] }>;
  reprocess(owner: OwnerContext, id: string): Promise<OperationView>;
  /** Ids of the user's processed files in no operation. */
  uncoveredFiles(owner: OwnerContext, leafUserId: string): Promise<{ files: string[] }>;
  /** The files of a field's operations (`GET /users/{id}/fields/{fieldId}/operations/files`). */
  fieldFiles(owner: OwnerContext, leafUserId: string, fieldId: string): Promise<FileView[]>;
  /** Hooks: a file finished processing; fields changed; the configuration changed. */
  onFileProcessed(file: Pick<MachineFileRecord, 'ownerId' | 'leafUserId'>): Promise<void>;
  onFieldsChanged(owner: OwnerContext, leafUserId: string, fieldIds: readonly string[]): Promise<void>;
  onConfigurationChanged(owner: OwnerContext, leafUserId: string): Promise<void>;
  /** The owner's configuration changed: every user with allocated files is refreshed. */
  onOwnerConfigurationChanged(owner: OwnerContext): Promise<void>;
  /** The jobs' entry points. */
  refreshUser(ownerId: string, leafUserId: string, signal?: AbortSignal): Promise<void>;
  buildOperation(operationId: string, signal?: AbortSignal): Promise<void>;
  failBuild(operationId: string, reason: string): Promise<void>;
}

export interface FieldOperationsServiceOptions {
  operations: FieldOperationsRepository;
  files: MachineFilesRepository;
  batches: MachineFileBatchesRepository;
  users: UsersRepository;
  fields: FieldBoundaries;
  configurations: Pick<ConfigurationsService, 'getUser'>;
  alerts: AlertOutbox;
  blobs: BlobStore;
  pipeline: MachineFilePipeline;
  jobs: FieldOperationJobs;
  publicUrl: () => string | undefined;
  clock?: () => number;
}

/** Blobs per build revision, so a build overtaken by a newer one never overwrites the newer outputs. */
export const operationBlobPrefix = (userId: string, operationId: string) => `users/${userId}/operations/${operationId}`;
export const operationBlobKey = (userId: string, operationId: string, revision: number, output: FieldOperationOutput) => `${operationBlobPrefix(userId, operationId)}/r${revision}/${output}`;

/** How long a refresh holds the user's lease without renewing it (it renews after every file). */
const REFRESH_LEASE_MS = 10 * 60_000;
/** When another refresh of the user is running, ask again this much later. */
const REFRESH_RETRY_MS = 2_000;

/** The configuration keys an operation's outputs depend on; a change rebuilds it. */
function configHash(c: ConfigurationValues): string {
  const relevant = [
    c.unitMeasurement,
    c.cleanupStandardGeojson,
    c.cleanupRules,
    c.enableGeoparquetOutput,
    c.operationsFilteredGeojson,
    c.operationsRemoveOutliers,
    c.operationsOutliersLimit,
    c.enableOutsideFieldGeojson,
  ];
  return crypto.createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

const textList = (value: unknown): string =>
  Array.isArray(value) ? [...new Set(value.map((v) => String(v).toLowerCase()))].sort().join('|') : typeof value === 'string' ? value.toLowerCase() : '';

/** Makes operations from these origins only (see the module comment). */
const OPERATION_ORIGINS = new Set(['uploaded', 'provider']);

function boxesIntersect(a: readonly number[], b: readonly number[]): boolean {
  return a[0]! <= b[2]! && b[0]! <= a[2]! && a[1]! <= b[3]! && b[1]! <= a[3]!;
}

function boundingBox(geometry: ActiveBoundary['geometry']): [number, number, number, number] {
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const polygon of geometry.coordinates) {
    for (const [lon, lat] of polygon[0] ?? []) {
      if (lon! < box[0]) box[0] = lon!;
      if (lat! < box[1]) box[1] = lat!;
      if (lon! > box[2]) box[2] = lon!;
      if (lat! > box[3]) box[3] = lat!;
    }
  }
  return box;
}

/** A name-based UUID (RFC 9562 version 5 layout) so a machine keeps its id across rebuilds. */
function machineId(key: string): string {
  const hash = crypto.createHash('sha1').update(`furrow-machine:${key}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function fieldOperationsService(options: FieldOperationsServiceOptions): FieldOperationsService {
  const { operations, files, blobs, alerts, jobs } = options;
  const clock = options.clock ?? Date.now;
  const now = () => nowIso(clock);
  const systemOwner = (ownerId: string): OwnerContext => ({ ownerId, username: '' });

  const view = (owner: OwnerContext, op: FieldOperationRecord): OperationView => ({
    id: op.id,
    apiOwnerUsername: owner.username,
    leafUserId: op.leafUserId,
    startTime: op.startTime,
    endTime: op.endTime,
    updatedTime: op.updatedTime,
    type: op.operationType,
    files: op.files,
    fields: op.fields.map((f) => ({ id: f.fieldId, coverage: f.coverage })),
    providers: op.providers,
    status: op.status,
    ...(op.statusReason === null ? {} : { statusReason: op.statusReason }),
  });

  async function requireOperation(owner: OwnerContext, id: string): Promise<FieldOperationRecord> {
    const op = await operations.get(owner.ownerId, id);
    if (op === undefined) throw new FurrowError('not_found', `No operation with id ${id}.`);
    return op;
  }
  async function requireUser(owner: OwnerContext, leafUserId: string): Promise<void> {
    if ((await options.users.get(owner.ownerId, leafUserId)) === undefined) throw new FurrowError('not_found', `No Leaf user with id ${leafUserId}.`);
  }
  const notAvailable = (op: FieldOperationRecord, what: string) =>
    new FurrowError(
      'output_not_available',
      `Operation ${op.id} has no ${what}: ${
        op.status === 'processing'
          ? 'it is still processing'
          : op.status === 'failed'
            ? `its processing failed (${op.statusReason ?? 'no reason recorded'})`
            : what.endsWith('Geoparquet')
              ? 'enableGeoparquetOutput was off when it was built; turn it on and POST /operations/{id}/reprocess'
              : 'operationsFilteredGeojson was off when it was built'
      }.`,
    );

  /** Streams one file's points through the index: points per field, and outside. */
  async function allocate(file: MachineFileRecord, boundaries: readonly ActiveBoundary[], index: FieldIndex | undefined): Promise<void> {
    let allocation: Allocation | undefined;
    if (index !== undefined) {
      const opened = await openFileLogs(options, [file]);
      try {
        const log = opened.logs.get(file.id);
        if (log !== undefined) allocation = await allocatePoints(index, log.points());
      } finally {
        await opened.close();
      }
    }
    const boundaryOf = new Map(boundaries.map((b) => [b.fieldId, b.boundaryId]));
    const fields = (allocation?.fields ?? [])
      .filter((f) => f.points > 0)
      .map((f) => ({ fieldId: f.fieldId, boundaryId: boundaryOf.get(f.fieldId)!, points: f.points, share: f.share }));
    await operations.saveAllocation(file, { totalPoints: allocation?.total ?? 0, outsidePoints: allocation?.outside ?? 0, fields }, now());
  }

  async function openWriters(op: FieldOperationRecord, configuration: ConfigurationValues): Promise<Partial<Record<FieldOperationOutput, BlobWriter>>> {
    const wanted: FieldOperationOutput[] = ['standardGeojson'];
    if (configuration.operationsFilteredGeojson) wanted.push('filteredGeojson');
    if (configuration.enableGeoparquetOutput) wanted.push('standardGeoparquet', ...(configuration.operationsFilteredGeojson ? (['filteredGeoparquet'] as const) : []));
    const writers: Partial<Record<FieldOperationOutput, BlobWriter>> = {};
    for (const output of wanted) writers[output] = await blobs.createWriter(operationBlobKey(op.leafUserId, op.id, op.revision, output));
    return writers;
  }

  /** The refresh, run while holding the user's lease (`renew` extends it). */
  async function refreshLeased(ownerId: string, leafUserId: string, renew: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
    const owner = systemOwner(ownerId);
    const configuration = await options.configurations.getUser(owner, leafUserId);
    const boundaries = await options.fields.activeBoundaries(owner, leafUserId);
    const index = boundaries.length === 0 ? undefined : new FieldIndex(boundaries.map((b): FieldShape => ({ fieldId: b.fieldId, geometry: b.geometry })));
    for (const fileId of await operations.unallocatedFileIds(leafUserId)) {
      signal?.throwIfAborted();
      const file = await files.getById(fileId);
      if (file === undefined || file.status !== 'processed') continue;
      await allocate(file, boundaries, index);
      if (!(await renew())) throw new Error(`The field-operations refresh of user ${leafUserId} lost its lease; another refresh took over.`);
    }
    const boundaryOf = new Map(boundaries.map((b) => [b.fieldId, b.boundaryId]));
    const allocations = new Map((await operations.allocations(leafUserId)).map((a) => [a.fileId, a]));
    const processed = await files.getMany(ownerId, await files.processedIds(ownerId, leafUserId));
    const groupable: GroupableFile[] = [];
    if (configuration.fieldOperationCreation) {
      for (const file of processed) {
        const allocation = allocations.get(file.id);
        if (allocation === undefined || file.operationType === null || !OPERATION_ORIGINS.has(file.origin)) continue;
        const properties = (file.summary as { properties?: Record<string, unknown> } | null)?.properties ?? {};
        groupable.push({
          id: file.id,
          operationType: file.operationType,
          provider: file.provider,
          crop: textList(properties.crop),
          tillType: textList(properties.tillType),
          start: file.startTime === null ? Number.NaN : Date.parse(file.startTime),
          end: file.endTime === null ? Number.NaN : Date.parse(file.endTime),
          // A field deleted since the allocation no longer counts.
          fields: allocation.fields.filter((f) => boundaryOf.has(f.fieldId)),
        });
      }
    }
    const providerOf = new Map(processed.map((f) => [f.id, f.provider]));
    const groups = groupFiles(groupable, configuration);
    const existing = await operations.listForUser(leafUserId);
    const { matches, removed } = matchOperations(existing.map((op) => ({ id: op.id, groupKey: op.groupKey, files: op.files })), groups);
    const hash = configHash(configuration);
    const toBuild: string[] = [];
    for (const { operationId, group } of matches) {
      signal?.throwIfAborted();
      const members = {
        files: group.fileIds,
        fields: group.fieldIds.map((fieldId) => ({ fieldId, boundaryId: boundaryOf.get(fieldId)! })),
        providers: [...new Set(group.fileIds.map((id) => providerOf.get(id)!))].sort(),
        configHash: hash,
        at: now(),
      };
      const current = existing.find((op) => op.id === operationId);
      if (current === undefined) {
        const id = crypto.randomUUID();
        await alerts.transact(async (uow) => {
          await operations.insert({ id, ownerId, leafUserId, operationType: group.operationType, groupKey: group.groupKey, configHash: hash, providers: members.providers, at: members.at }, uow);
          await operations.saveMembership(id, members, uow);
          await alerts.emit(uow, alertEvent('operationCreated', ownerId, { leafUserId, operationId: id }));
        });
        toBuild.push(id);
        continue;
      }
      const sameFiles = current.files.length === members.files.length && [...current.files].sort().join() === [...members.files].sort().join();
      const sameFields =
        current.fields.length === members.fields.length &&
        members.fields.every((f) => current.fields.some((c) => c.fieldId === f.fieldId && c.boundaryId === f.boundaryId));
      if (sameFiles && sameFields && current.configHash === hash) {
        // Unchanged; a build that never finished (its job lost) is asked for again.
        if (current.builtRevision !== current.revision) toBuild.push(current.id);
        continue;
      }
      await alerts.transact(async (uow) => {
        await operations.saveMembership(current.id, members, uow);
        await alerts.emit(uow, alertEvent('operationUpdated', ownerId, { leafUserId, operationId: current.id }));
      });
      toBuild.push(current.id);
    }
    for (const id of removed) {
      await operations.remove(id);
      await blobs.deletePrefix(operationBlobPrefix(leafUserId, id));
    }
    for (const id of toBuild) await jobs.build(id);
  }

  const service: FieldOperationsService = {
    async list(owner, filter, page) {
      const found = await operations.list(owner.ownerId, filter, page);
      return { items: found.items.map((op) => view(owner, op)), total: found.total };
    },
    async get(owner, id) {
      return view(owner, await requireOperation(owner, id));
    },
    async summary(owner, id) {
      const op = await requireOperation(owner, id);
      if (op.summary === null) throw notAvailable(op, 'summary');
      return op.summary;
    },
    async units(owner, id) {
      const op = await requireOperation(owner, id);
      if (op.units === null) throw notAvailable(op, 'units');
      return op.units;
    },
    async links(owner, id, output) {
      const op = await requireOperation(owner, id);
      if (!op.outputs.includes(output)) throw notAvailable(op, output);
      const url = `${options.publicUrl() ?? ''}/services/operations/api/operations/${op.id}/download/${output}`;
      const Name = output[0]!.toUpperCase() + output.slice(1);
      // Leaf answers the GeoJSON outputs with both keys, the GeoParquet ones with the download key only.
      return output.endsWith('Geojson') ? { [output]: url, [`download${Name}`]: url } : { [`download${Name}`]: url };
    },
    async download(owner, id, output) {
      const op = await requireOperation(owner, id);
      if (!op.outputs.includes(output)) throw notAvailable(op, output);
      const key = operationBlobKey(op.leafUserId, op.id, op.builtRevision ?? op.revision, output);
      const [content, size] = await Promise.all([blobs.read(key), blobs.size(key)]);
      if (content === undefined) throw new FurrowError('output_not_available', `Operation ${op.id} has no ${output}: its bytes are missing from the file store (FURROW_FILES_DIR).`);
      return { content, size, contentType: CONTENT_TYPES[output], fileName: `${op.id}-${output}.${output.endsWith('Geojson') ? 'geojson' : 'parquet'}` };
    },
    async files(owner, id) {
      const op = await requireOperation(owner, id);
      const found = new Map((await files.getMany(owner.ownerId, op.files)).map((f) => [f.id, f]));
      return op.files.flatMap((fileId) => (found.has(fileId) ? [fileView(owner, found.get(fileId)!, options.publicUrl())] : []));
    },
    async machines(owner, id) {
      const op = await requireOperation(owner, id);
      const machinery = ((op.summary as { properties?: { machinery?: unknown } } | null)?.properties?.machinery ?? []) as { name?: string; type?: string; serialNumber?: string }[];
      return { machines: machinery.filter((m) => m.type !== 'implement').map((m) => machineId(`${m.name ?? ''}|${m.serialNumber ?? ''}`)) };
    },
    async reprocess(owner, id) {
      const op = await requireOperation(owner, id);
      // "Starting from the merge step": regroup the user's files, then rebuild this one as it is.
      await operations.bumpRevision(op.id, now());
      await jobs.refresh(op.ownerId, op.leafUserId);
      await jobs.build(op.id);
      return view(owner, (await operations.getById(op.id)) ?? op);
    },
    async uncoveredFiles(owner, leafUserId) {
      await requireUser(owner, leafUserId);
      return { files: await operations.uncoveredFileIds(owner.ownerId, leafUserId) };
    },
    async fieldFiles(owner, leafUserId, fieldId) {
      await requireUser(owner, leafUserId);
      const ids = await operations.fileIdsOfField(owner.ownerId, leafUserId, fieldId);
      const found = new Map((await files.getMany(owner.ownerId, ids)).map((f) => [f.id, f]));
      return ids.flatMap((fileId) => (found.has(fileId) ? [fileView(owner, found.get(fileId)!, options.publicUrl())] : []));
    },

    async onFileProcessed(file) {
      await jobs.refresh(file.ownerId, file.leafUserId);
    },
    async onFieldsChanged(owner, leafUserId, fieldIds) {
      // Files that had points in a changed field, and files whose extent meets a changed field's
      // new extent, are allocated again; every other allocation stands.
      const boundaries = (await options.fields.activeBoundaries(owner, leafUserId)).filter((b) => fieldIds.includes(b.fieldId));
      const boxes = boundaries.map((b) => boundingBox(b.geometry));
      const touched = new Set(await operations.filesInFields(leafUserId, fieldIds));
      if (boxes.length > 0) {
        const candidates = await files.getMany(owner.ownerId, await files.processedIds(owner.ownerId, leafUserId));
        for (const file of candidates) if (file.bbox !== null && boxes.some((box) => boxesIntersect(box, file.bbox!))) touched.add(file.id);
      }
      await operations.clearAllocations([...touched]);
      await jobs.refresh(owner.ownerId, leafUserId);
    },
    async onConfigurationChanged(owner, leafUserId) {
      await jobs.refresh(owner.ownerId, leafUserId);
    },
    async onOwnerConfigurationChanged(owner) {
      for (const leafUserId of await operations.usersWithAllocations(owner.ownerId)) await jobs.refresh(owner.ownerId, leafUserId);
    },

    async refreshUser(ownerId, leafUserId, signal) {
      const holder = crypto.randomUUID();
      const lease = () => operations.takeRefreshLease(leafUserId, holder, nowIso(() => clock() + REFRESH_LEASE_MS), now());
      if (!(await lease())) {
        await jobs.refresh(ownerId, leafUserId, REFRESH_RETRY_MS);
        return;
      }
      try {
        await refreshLeased(ownerId, leafUserId, lease, signal);
      } finally {
        await operations.releaseRefreshLease(leafUserId, holder);
      }
    },

    async buildOperation(operationId, signal) {
      const op = await operations.getById(operationId);
      if (op === undefined || (op.builtRevision === op.revision && op.status !== 'processing')) return;
      const owner = systemOwner(op.ownerId);
      const configuration = await options.configurations.getUser(owner, op.leafUserId);
      const boundaries = await options.fields.activeBoundaries(owner, op.leafUserId);
      const fieldShapes = op.fields.flatMap((f) => {
        const b = boundaries.find((x) => x.fieldId === f.fieldId);
        return b === undefined ? [] : [{ fieldId: b.fieldId, geometry: b.geometry, areaSquareMetres: b.areaHectares * 10_000 }];
      });
      const fileRecords = await files.getMany(op.ownerId, op.files);
      fileRecords.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.id.localeCompare(b.id));
      const finish = async (build: Parameters<FieldOperationsRepository['completeBuild']>[2]) => {
        const written = await alerts.transact(async (uow) => {
          if (!(await operations.completeBuild(op.id, op.revision, build, uow))) return false;
          await alerts.emit(uow, alertEvent('operationProcessingFinished', op.ownerId, { leafUserId: op.leafUserId, operationId: op.id }));
          return true;
        });
        if (written && op.builtRevision !== null && op.builtRevision !== op.revision) {
          for (const output of OPERATION_OUTPUTS) await blobs.delete(operationBlobKey(op.leafUserId, op.id, op.builtRevision, output));
        }
      };
      const failed = (reason: string) =>
        finish({ status: 'failed', statusReason: reason, summary: null, units: null, outputs: [], startTime: null, endTime: null, coverage: {}, updatedAt: now() });
      if (fieldShapes.length === 0) return failed('its fields no longer have an active boundary; it is regrouped at the next refresh');
      const opened = await openFileLogs(options, fileRecords);
      const writers = await openWriters(op, configuration);
      try {
        const logs = fileRecords.flatMap((f) => (opened.logs.has(f.id) ? [opened.logs.get(f.id)!] : []));
        if (logs.length === 0) {
          await Promise.all(Object.values(writers).map((w) => w.abort()));
          return await failed('none of its files can be read again from their uploads');
        }
        const all = boundaries.map((b): FieldShape => ({ fieldId: b.fieldId, geometry: b.geometry }));
        const result = await buildOperationOutputs({
          name: `operation-${op.id}`,
          logs,
          fields: fieldShapes,
          allFields: all,
          configuration,
          sinks: writers,
          convertLog: (log, standard, sinks) => options.pipeline.convertLog(log, standard, sinks as Parameters<MachineFilePipeline['convertLog']>[2]),
          signal,
        });
        const ok = result.standard.status.standardGeojson?.status === 'processed';
        const outputs: FieldOperationOutput[] = [];
        const settle = async (output: FieldOperationOutput, made: boolean) => {
          const writer = writers[output];
          if (writer === undefined) return;
          if (made) {
            await writer.commit();
            outputs.push(output);
          } else await writer.abort();
        };
        const filteredOk = result.filtered?.status.standardGeojson?.status === 'processed';
        await settle('standardGeojson', ok);
        await settle('standardGeoparquet', ok && result.standard.status.standardGeoparquet?.status === 'processed');
        await settle('filteredGeojson', ok && filteredOk);
        await settle('filteredGeoparquet', ok && filteredOk && result.filtered?.status.standardGeoparquet?.status === 'processed');
        if (!ok) return await failed(result.standard.status.standardGeojson?.message ?? 'no points of its files are in its fields');
        await finish({
          status: 'processed',
          statusReason: null,
          summary: result.standard.summary,
          units: result.standard.units,
          outputs,
          startTime: result.standard.startTime,
          endTime: result.standard.endTime,
          coverage: result.coverage,
          updatedAt: now(),
        });
      } catch (error) {
        await Promise.all(Object.values(writers).map((w) => w.abort().catch(() => undefined)));
        throw error;
      } finally {
        await opened.close();
      }
    },

    async failBuild(operationId, reason) {
      const op = await operations.getById(operationId);
      if (op === undefined || op.status !== 'processing') return;
      await alerts.transact(async (uow) => {
        await operations.completeBuild(
          op.id,
          op.revision,
          { status: 'failed', statusReason: reason, summary: null, units: null, outputs: [], startTime: null, endTime: null, coverage: {}, updatedAt: now() },
          uow,
        );
      });
    },
  };
  return service;
}

/**
 * The configurations service, telling field operations about every change: grouping and outputs
 * depend on the configuration, and a refresh rebuilds only the operations a change affects (their
 * grouping or their configuration hash changed).
 */
export function configurationsNotifying(configurations: ConfigurationsService, operations: Pick<FieldOperationsService, 'onConfigurationChanged' | 'onOwnerConfigurationChanged'>): ConfigurationsService {
  return {
    ...configurations,
    async patchOwner(owner, input) {
      const values = await configurations.patchOwner(owner, input);
      await operations.onOwnerConfigurationChanged(owner);
      return values;
    },
    async createUser(owner, leafUserId, input) {
      const values = await configurations.createUser(owner, leafUserId, input);
      await operations.onConfigurationChanged(owner, leafUserId);
      return values;
    },
    async patchUser(owner, leafUserId, input) {
      const values = await configurations.patchUser(owner, leafUserId, input);
      await operations.onConfigurationChanged(owner, leafUserId);
      return values;
    },
    async deleteUser(owner, leafUserId) {
      await configurations.deleteUser(owner, leafUserId);
      await operations.onConfigurationChanged(owner, leafUserId);
    },
  };
}
