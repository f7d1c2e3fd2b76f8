/**
 * Leaf's Fields service (research/leaf-api.md 7.1): growers, farms, fields and their boundaries,
 * for the API owner's Leaf users. A boundary is never edited: a new geometry is a new ACTIVE row
 * and the previous one becomes INACTIVE, in one transaction with the `fieldBoundaryUpdated` alert.
 * Manual fields (made through the API) can be edited and deleted; provider fields cannot, as Leaf
 * documents. Other services learn about changed fields through the `onFieldsChanged` hook.
 */
import crypto from 'node:crypto';
import {
  FurrowError,
  automaticFixBoundary,
  areaHectares,
  boundingBox,
  nowIso,
  toMultiPolygon,
  validateBoundary,
  type ActiveBoundary,
  type Boundary,
  type BoundaryGeometry,
  type Farm,
  type FarmFilter,
  type Field,
  type FieldFilter,
  type FieldSortField,
  type Grower,
  type GrowerFilter,
  type GrowerSortField,
  type MultiPolygonGeometry,
  type OwnerContext,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { alertEvent } from '../alerts/index.js';
import type { FieldsRepository } from '../storage/repositories/fields.js';
import type { UsersRepository } from '../storage/repositories/users.js';
import type { UnitOfWork } from '../storage/unit-of-work.js';
import type { AlertOutbox } from './alerts.js';
import type { ConfigurationsService } from './configurations.js';
import { fieldIntersection, resolveSelfIntersection } from './fields-geometry.js';

/**
 * Called after a change to a user's fields committed (a field created, deleted, or given a new
 * boundary), with the ids of the fields concerned. The field-operations service implements it to
 * re-allocate what those fields touch; a failure there never undoes the change.
 */
export type FieldsChangedHook = (owner: OwnerContext, userId: string, fieldIds: string[]) => Promise<void>;

export interface CreateFieldInput {
  id?: string | undefined;
  name?: string | null | undefined;
  farmId?: number | null | undefined;
  geometry: unknown;
}

export interface FieldWithBoundary {
  field: Field;
  boundary: Boundary | undefined;
}

export interface FieldsService {
  listGrowers(owner: OwnerContext, filter: GrowerFilter, page: PageRequest<GrowerSortField>): Promise<Page<Grower>>;
  getGrower(owner: OwnerContext, userId: string | undefined, id: number): Promise<Grower>;
  createGrower(owner: OwnerContext, userId: string, name: string | null): Promise<Grower>;
  updateGrower(owner: OwnerContext, userId: string, id: number, name: string | null): Promise<Grower>;
  listFarms(owner: OwnerContext, filter: FarmFilter, page: PageRequest<GrowerSortField>): Promise<Page<Farm>>;
  getFarm(owner: OwnerContext, userId: string | undefined, id: number): Promise<Farm>;
  createFarm(owner: OwnerContext, userId: string, farm: { name: string | null; growerId: number | null }): Promise<Farm>;
  updateFarm(owner: OwnerContext, userId: string, id: number, farm: { name: string | null; growerId: number | null }): Promise<Farm>;
  listFields(owner: OwnerContext, filter: FieldFilter, page: PageRequest<FieldSortField>): Promise<Page<Field>>;
  getField(owner: OwnerContext, userId: string, id: string): Promise<FieldWithBoundary>;
  /** A manual field with its first boundary (`fieldCreated` and `fieldBoundaryCreated`, source REST). */
  createField(owner: OwnerContext, userId: string, input: CreateFieldInput): Promise<FieldWithBoundary>;
  /** PATCH: name, farmId, and a geometry that becomes the new active boundary. Manual fields only. */
  patchField(owner: OwnerContext, userId: string, id: string, change: { name?: string | null; farmId?: number | null; geometry?: unknown }): Promise<FieldWithBoundary>;
  deleteField(owner: OwnerContext, userId: string, id: string): Promise<void>;
  listBoundaries(owner: OwnerContext, userId: string, fieldId: string): Promise<Boundary[]>;
  getBoundary(owner: OwnerContext, userId: string, fieldId: string, boundaryId: string): Promise<Boundary>;
  activeBoundary(owner: OwnerContext, userId: string, fieldId: string): Promise<Boundary>;
  /** PUT boundary: a new ACTIVE boundary; the previous one becomes INACTIVE (`fieldBoundaryUpdated`). */
  replaceBoundary(owner: OwnerContext, userId: string, fieldId: string, geometry: unknown): Promise<Boundary>;
  /**
   * The sync's path for a provider field's boundary, the same as PUT's: a new ACTIVE row (keeping
   * the provider's boundary id), the previous one INACTIVE, `fieldBoundaryCreated` for a field's
   * first boundary and `fieldBoundaryUpdated` after. Invalid geometry is refused or fixed as for PUT.
   */
  applyProviderBoundary(owner: OwnerContext, userId: string, fieldId: string, boundary: { geometry: unknown; providerBoundaryId: string }): Promise<Boundary>;
  /** Fields whose active boundary overlaps `geometry` by at least `thresholdPercent` of either area. */
  fieldsIntersecting(owner: OwnerContext, query: { leafUserId?: string | undefined; geometry: unknown; thresholdPercent: number }): Promise<FieldWithBoundary[]>;
  /** The intersection of the fields' active boundaries, as a MultiPolygon (empty when they do not meet). */
  intersectFields(owner: OwnerContext, userId: string, fieldIds: string[]): Promise<MultiPolygonGeometry>;
  /** The user's fields with an active boundary: what field operations allocate points to. */
  activeBoundaries(owner: OwnerContext, userId: string): Promise<ActiveBoundary[]>;
  /** customDataSync: a PREVIEW field becomes WAITING, fetched in full by the next sync. */
  enableSync(owner: OwnerContext, userId: string, fieldId: string): Promise<Field>;
  /** The same for every PREVIEW field under the growers' farms; returns how many fields changed. */
  enableSyncByGrowers(owner: OwnerContext, growerIds: number[]): Promise<number>;
  /** Leaf's integrations summary (leaf-api.md 3.7): provider records per user and provider. */
  integrationSummaries(owner: OwnerContext, filter: { leafUserId?: string | undefined; provider?: string | undefined }, page: PageRequest): Promise<Page<IntegrationSummary>>;
  /** Asserts the user exists for this owner (404 otherwise). */
  assertUser(owner: OwnerContext, userId: string): Promise<void>;
}

/** One row of `GET /services/integrations/api/resources`. */
export interface IntegrationSummary {
  provider: string;
  leafUserId: string;
  growers: number;
  farms: number;
  fields: number;
  /** The last time a record of this provider changed (Furrow has no sync engine yet to timestamp runs). */
  syncReferenceTime: string | null;
}

export interface FieldsServiceOptions {
  fields: FieldsRepository;
  users: UsersRepository;
  configurations: Pick<ConfigurationsService, 'getUser'>;
  alerts: AlertOutbox;
  clock?: () => number;
  onFieldsChanged?: FieldsChangedHook;
  /**
   * Growers' PREVIEW fields were enabled: Leaf fetches them "immediately after the request", so
   * the sync engine queues a sync of each user's credentials.
   */
  onGrowersSyncEnabled?: (owner: OwnerContext, userIds: string[]) => Promise<void>;
}

const MAX_FIELD_ID = 200;

export function fieldsService(deps: FieldsServiceOptions): FieldsService {
  const clock = deps.clock ?? Date.now;
  const { fields } = deps;
  const notFound = (what: string, id: string | number) => new FurrowError('not_found', `No ${what} with id ${id}.`);
  const changed = (uow: UnitOfWork, owner: OwnerContext, userId: string, fieldIds: string[]) => {
    const hook = deps.onFieldsChanged;
    if (hook !== undefined) uow.afterCommit(() => hook(owner, userId, fieldIds));
  };

  async function assertUser(owner: OwnerContext, userId: string): Promise<void> {
    if ((await deps.users.get(owner.ownerId, userId)) === undefined) throw notFound('Leaf user', userId);
  }
  async function requireField(owner: OwnerContext, userId: string, id: string): Promise<Field> {
    const field = await fields.getField(owner.ownerId, userId, id);
    if (field === undefined) throw notFound('field', id);
    return field;
  }
  async function requireFarm(owner: OwnerContext, userId: string, farmId: number | null | undefined): Promise<void> {
    if (farmId === null || farmId === undefined) return;
    if ((await fields.getFarm(owner.ownerId, userId, farmId)) === undefined) {
      throw new FurrowError('validation_failed', `No farm with id ${farmId} for this Leaf user; create it with POST /users/${userId}/farms first.`, { fieldErrors: [{ field: 'body.farmId', message: 'must be a farm of this Leaf user' }] });
    }
  }

  /**
   * A geometry as Leaf stores it: a valid MultiPolygon. An invalid one is repaired when the
   * user's `automaticFixBoundary` is on and the repair works (the invalid original is kept as an
   * INACTIVE boundary, as Leaf keeps it "historical"); otherwise it is refused with Leaf's message.
   */
  async function acceptGeometry(owner: OwnerContext, userId: string, geometry: unknown): Promise<{ geometry: MultiPolygonGeometry; original?: { geometry: MultiPolygonGeometry; validity: Boundary['validity'] } }> {
    const report = validateBoundary(geometry);
    if (report.valid) return { geometry: toMultiPolygon(geometry as BoundaryGeometry) };
    const refuse = (message: string) => new FurrowError('invalidGeometry', message, { fieldErrors: [{ field: 'body.geometry', message }] });
    if (report.validity === 'NOT_ALLOWED_GEOMETRY_TYPE') throw refuse(`${report.message}: expected a GeoJSON MultiPolygon (or Polygon).`);
    const configuration = await deps.configurations.getUser(owner, userId);
    if (!configuration.automaticFixBoundary) throw refuse(report.message);
    const fix = automaticFixBoundary(geometry as BoundaryGeometry, resolveSelfIntersection);
    if (!fix.fixed) throw refuse(fix.after.valid ? report.message : fix.after.message);
    return { geometry: fix.geometry, original: { geometry: toMultiPolygon(geometry as BoundaryGeometry), validity: report.validity } };
  }

  /** Writes the new active boundary (and the invalid original, inactive, when it was fixed). */
  async function writeBoundary(uow: UnitOfWork, owner: OwnerContext, userId: string, fieldId: string, accepted: Awaited<ReturnType<typeof acceptGeometry>>, now: string, providerBoundaryId: string | null = null): Promise<Boundary> {
    await fields.deactivateBoundary(userId, fieldId, now, uow);
    if (accepted.original !== undefined) {
      const g = accepted.original.geometry;
      await fields.insertBoundary(
        {
          id: crypto.randomUUID(),
          ownerId: owner.ownerId,
          fieldId,
          leafUserId: userId,
          status: 'INACTIVE',
          providerStatus: null,
          providerBoundaryId: null,
          geometry: g,
          area: { value: safeArea(g), unit: 'ha' },
          validity: accepted.original.validity,
          fixStatus: null,
          createdTime: now,
          updatedTime: now,
          bbox: boundingBox(g),
        },
        uow,
      );
    }
    const boundary: Boundary = {
      id: crypto.randomUUID(),
      fieldId,
      leafUserId: userId,
      status: 'ACTIVE',
      providerStatus: providerBoundaryId === null ? null : 'ACTIVE',
      providerBoundaryId,
      geometry: accepted.geometry,
      area: { value: areaHectares(accepted.geometry), unit: 'ha' },
      validity: 'VALID',
      fixStatus: accepted.original === undefined ? null : 'FIXED',
      // A fixed boundary is newer than its invalid original, so "newest first" lists it first.
      createdTime: accepted.original === undefined ? now : nowIso(() => Date.parse(now) + 1),
      updatedTime: now,
    };
    await fields.insertBoundary({ ...boundary, ownerId: owner.ownerId, bbox: boundingBox(boundary.geometry) }, uow);
    return boundary;
  }

  const service: FieldsService = {
    assertUser,
    listGrowers: (owner, filter, page) => fields.listGrowers(owner.ownerId, filter, page),
    async getGrower(owner, userId, id) {
      const grower = await fields.getGrower(owner.ownerId, userId, id);
      if (grower === undefined) throw notFound('grower', id);
      return grower;
    },
    async createGrower(owner, userId, name) {
      await assertUser(owner, userId);
      const id = await fields.insertGrower(owner.ownerId, userId, { name }, nowIso(clock));
      return service.getGrower(owner, userId, id);
    },
    async updateGrower(owner, userId, id, name) {
      if (!(await fields.updateGrower(owner.ownerId, userId, id, name, nowIso(clock)))) throw notFound('grower', id);
      return service.getGrower(owner, userId, id);
    },
    listFarms: (owner, filter, page) => fields.listFarms(owner.ownerId, filter, page),
    async getFarm(owner, userId, id) {
      const farm = await fields.getFarm(owner.ownerId, userId, id);
      if (farm === undefined) throw notFound('farm', id);
      return farm;
    },
    async createFarm(owner, userId, farm) {
      await assertUser(owner, userId);
      await requireGrower(owner, userId, farm.growerId);
      const id = await fields.insertFarm(owner.ownerId, userId, farm, nowIso(clock));
      return service.getFarm(owner, userId, id);
    },
    async updateFarm(owner, userId, id, farm) {
      await requireGrower(owner, userId, farm.growerId);
      if (!(await fields.updateFarm(owner.ownerId, userId, id, farm, nowIso(clock)))) throw notFound('farm', id);
      return service.getFarm(owner, userId, id);
    },

    listFields: (owner, filter, page) => fields.listFields(owner.ownerId, filter, page),
    async getField(owner, userId, id) {
      const field = await requireField(owner, userId, id);
      return { field, boundary: await fields.activeBoundary(owner.ownerId, userId, id) };
    },
    async createField(owner, userId, input) {
      await assertUser(owner, userId);
      const id = input.id ?? crypto.randomUUID();
      if (id.length === 0 || id.length > MAX_FIELD_ID) {
        throw new FurrowError('validation_failed', `A field id is 1 to ${MAX_FIELD_ID} characters; found ${id.length}.`, { fieldErrors: [{ field: 'body.id', message: `must be 1 to ${MAX_FIELD_ID} characters` }] });
      }
      await requireFarm(owner, userId, input.farmId);
      const accepted = await acceptGeometry(owner, userId, input.geometry);
      const now = nowIso(clock);
      const boundary = await deps.alerts.transact(async (uow) => {
        const inserted = await fields.insertField(
          { id, ownerId: owner.ownerId, leafUserId: userId, name: input.name ?? null, farmId: input.farmId ?? null, provider: null, type: 'ORIGINAL', status: 'PROCESSED', mergedFieldId: null, sources: [], createdTime: now, updatedTime: now },
          uow,
        );
        if (inserted === 'exists') throw new FurrowError('field_exists', `The Leaf user already has a field with id "${id}"; choose another id or leave it out to get a generated one.`, { fieldErrors: [{ field: 'body.id', message: 'is already used by another field of this Leaf user' }] });
        const written = await writeBoundary(uow, owner, userId, id, accepted, now);
        await deps.alerts.emit(uow, alertEvent('fieldCreated', owner.ownerId, { source: 'REST', leafUserId: userId, fieldId: id }));
        await deps.alerts.emit(uow, alertEvent('fieldBoundaryCreated', owner.ownerId, { leafUserId: userId, fieldId: id, boundaryId: written.id }));
        changed(uow, owner, userId, [id]);
        return written;
      });
      return { field: await requireField(owner, userId, id), boundary };
    },
    async patchField(owner, userId, id, change) {
      const field = await requireField(owner, userId, id);
      if (field.provider !== null) throw readOnly(field, 'changed');
      await requireFarm(owner, userId, change.farmId);
      const accepted = change.geometry === undefined ? undefined : await acceptGeometry(owner, userId, change.geometry);
      const now = nowIso(clock);
      await deps.alerts.transact(async (uow) => {
        await fields.updateField(owner.ownerId, userId, id, { name: change.name, farmId: change.farmId }, now, uow);
        await deps.alerts.emit(uow, alertEvent('fieldUpdated', owner.ownerId, { source: 'REST', leafUserId: userId, fieldId: id }));
        if (accepted !== undefined) {
          const boundary = await writeBoundary(uow, owner, userId, id, accepted, now);
          await deps.alerts.emit(uow, alertEvent('fieldBoundaryUpdated', owner.ownerId, { leafUserId: userId, fieldId: id, boundaryId: boundary.id }));
          changed(uow, owner, userId, [id]);
        }
      });
      return service.getField(owner, userId, id);
    },
    async deleteField(owner, userId, id) {
      const field = await requireField(owner, userId, id);
      if (field.provider !== null) throw readOnly(field, 'deleted');
      // Leaf documents no event for a deleted field (leaf-api.md 12, item 5), so none is sent.
      await deps.alerts.transact(async (uow) => {
        if (!(await fields.deleteField(owner.ownerId, userId, id, uow))) throw notFound('field', id);
        changed(uow, owner, userId, [id]);
      });
    },

    async listBoundaries(owner, userId, fieldId) {
      await requireField(owner, userId, fieldId);
      return fields.listBoundaries(owner.ownerId, userId, fieldId);
    },
    async getBoundary(owner, userId, fieldId, boundaryId) {
      const boundary = await fields.getBoundary(owner.ownerId, userId, fieldId, boundaryId);
      if (boundary === undefined) throw notFound('boundary', boundaryId);
      return boundary;
    },
    async activeBoundary(owner, userId, fieldId) {
      await requireField(owner, userId, fieldId);
      const boundary = await fields.activeBoundary(owner.ownerId, userId, fieldId);
      if (boundary === undefined) throw new FurrowError('not_found', `Field ${fieldId} has no active boundary yet (a PREVIEW field from a provider); PUT one, or enable its sync.`);
      return boundary;
    },
    async replaceBoundary(owner, userId, fieldId, geometry) {
      await requireField(owner, userId, fieldId);
      const accepted = await acceptGeometry(owner, userId, geometry);
      const now = nowIso(clock);
      return deps.alerts.transact(async (uow) => {
        const boundary = await writeBoundary(uow, owner, userId, fieldId, accepted, now);
        await fields.updateField(owner.ownerId, userId, fieldId, {}, now, uow);
        await deps.alerts.emit(uow, alertEvent('fieldBoundaryUpdated', owner.ownerId, { leafUserId: userId, fieldId, boundaryId: boundary.id }));
        changed(uow, owner, userId, [fieldId]);
        return boundary;
      });
    },
    async applyProviderBoundary(owner, userId, fieldId, { geometry, providerBoundaryId }) {
      const accepted = await acceptGeometry(owner, userId, geometry);
      const now = nowIso(clock);
      return deps.alerts.transact(async (uow) => {
        const first = (await fields.getField(owner.ownerId, userId, fieldId, uow))?.boundaries.length === 0;
        const boundary = await writeBoundary(uow, owner, userId, fieldId, accepted, now, providerBoundaryId);
        await deps.alerts.emit(uow, alertEvent(first ? 'fieldBoundaryCreated' : 'fieldBoundaryUpdated', owner.ownerId, { leafUserId: userId, fieldId, boundaryId: boundary.id }));
        changed(uow, owner, userId, [fieldId]);
        return boundary;
      });
    },

    async fieldsIntersecting(owner, query) {
      const report = validateBoundary(query.geometry);
      if (!report.valid) throw new FurrowError('invalidGeometry', report.message, { fieldErrors: [{ field: 'body.geometry', message: report.message }] });
      if (query.leafUserId !== undefined) await assertUser(owner, query.leafUserId);
      const geometry = toMultiPolygon(query.geometry as BoundaryGeometry);
      const queryArea = areaHectares(geometry);
      const candidates = await fields.activeBoundariesInBox(owner.ownerId, query.leafUserId, boundingBox(geometry));
      const found: FieldWithBoundary[] = [];
      for (const boundary of candidates) {
        const shared = areaHectares(fieldIntersection([geometry, boundary.geometry]));
        if (shared <= 0) continue;
        // Leaf: met when either share (of the field, or of the query geometry) reaches the threshold.
        const share = Math.max(shared / boundary.area.value, queryArea > 0 ? shared / queryArea : 0) * 100;
        if (share + 1e-9 < query.thresholdPercent) continue;
        const field = await fields.getField(owner.ownerId, boundary.leafUserId, boundary.fieldId);
        if (field !== undefined) found.push({ field, boundary });
      }
      return found;
    },
    async intersectFields(owner, userId, fieldIds) {
      if (fieldIds.length < 2) {
        throw new FurrowError('validation_failed', `Expected at least two field ids to intersect, found ${fieldIds.length}.`, { fieldErrors: [{ field: 'body', message: 'must list at least two field ids' }] });
      }
      const geometries: MultiPolygonGeometry[] = [];
      for (const id of fieldIds) geometries.push((await service.activeBoundary(owner, userId, id)).geometry);
      return fieldIntersection(geometries);
    },
    activeBoundaries: (owner, userId) => fields.activeBoundaries(owner.ownerId, userId),
    async enableSync(owner, userId, fieldId) {
      const field = await requireField(owner, userId, fieldId);
      if (field.status !== 'PREVIEW') return field;
      await fields.enableSync(owner.ownerId, { userId, fieldId }, nowIso(clock));
      return requireField(owner, userId, fieldId);
    },
    async enableSyncByGrowers(owner, growerIds) {
      const enabled = await fields.enableSync(owner.ownerId, { growerIds }, nowIso(clock));
      if (enabled > 0 && deps.onGrowersSyncEnabled !== undefined) {
        const userIds = new Set<string>();
        for (const id of new Set(growerIds)) {
          const grower = await fields.getGrower(owner.ownerId, undefined, id);
          if (grower !== undefined) userIds.add(grower.leafUserId);
        }
        await deps.onGrowersSyncEnabled(owner, [...userIds]);
      }
      return enabled;
    },
    async integrationSummaries(owner, filter, page) {
      const rows = await fields.providerCounts(owner.ownerId, filter);
      const items = rows.slice(page.page * page.size, (page.page + 1) * page.size).map((r) => ({
        provider: r.provider,
        leafUserId: r.leafUserId,
        growers: r.growers,
        farms: r.farms,
        fields: r.fields,
        syncReferenceTime: r.latest === '' ? null : r.latest,
      }));
      return { items, total: rows.length };
    },
  };

  async function requireGrower(owner: OwnerContext, userId: string, growerId: number | null): Promise<void> {
    if (growerId === null) return;
    if ((await fields.getGrower(owner.ownerId, userId, growerId)) === undefined) {
      throw new FurrowError('validation_failed', `No grower with id ${growerId} for this Leaf user; create it with POST /users/${userId}/growers first.`, { fieldErrors: [{ field: 'body.growerId', message: 'must be a grower of this Leaf user' }] });
    }
  }
  return service;
}

function readOnly(field: Field, verb: string): FurrowError {
  return new FurrowError('provider_field_read_only', `Field ${field.id} came from ${field.provider?.providerName ?? 'a provider'} and cannot be ${verb} on Furrow's side (Leaf: "Fields created by a provider cannot be deleted on Leaf side"); change it at the provider.`);
}

/** The area of a geometry that may be invalid (a fixed boundary's original): best effort. */
function safeArea(geometry: MultiPolygonGeometry): number {
  try {
    const area = areaHectares(geometry);
    return Number.isFinite(area) ? area : 0;
  } catch {
    return 0;
  }
}
