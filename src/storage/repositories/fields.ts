import type { Kysely, Selectable } from 'kysely';
import type {
  ActiveBoundary,
  Boundary,
  BoundaryStatus,
  Farm,
  FarmFilter,
  Field,
  FieldFilter,
  FieldSortField,
  FieldStatus,
  FieldType,
  Grower,
  GrowerFilter,
  GrowerSortField,
  MultiPolygonGeometry,
  Page,
  PageRequest,
  BoundaryValidity,
} from '../../domain/index.js';
import { MANUAL_PROVIDER } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database, FieldBoundaryTable, FieldFarmTable, FieldGrowerTable, FieldTable } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

const SORT_COLUMN = { id: 'id', name: 'name', createdTime: 'created_at', updatedTime: 'updated_at' } as const;

/** A grower or farm as written; provider keys are all null for manual ones. */
export interface GrowerWrite {
  name: string | null;
  providerName?: string | null;
  providerId?: number | null;
  providerGrowerId?: string | null;
}
export interface FarmWrite {
  name: string | null;
  growerId: number | null;
  providerName?: string | null;
  providerId?: number | null;
  providerFarmId?: string | null;
  providerFarmName?: string | null;
}

/** A field row as written (its boundaries are rows of their own). */
export interface FieldWrite {
  id: string;
  ownerId: string;
  leafUserId: string;
  name: string | null;
  farmId: number | null;
  provider: Field['provider'];
  type: FieldType;
  status: FieldStatus;
  mergedFieldId: string | null;
  sources: string[];
  createdTime: string;
  updatedTime: string;
}

export interface BoundaryWrite extends Boundary {
  ownerId: string;
  bbox: [number, number, number, number];
}

const toNumber = (v: number | string | null): number | null => (v === null ? null : Number(v));

/**
 * Growers, farms, fields and boundaries. Every read is scoped by API owner (and by Leaf user where
 * the path names one), so another owner's ids are simply absent.
 */
export function fieldsRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toGrower = (row: Selectable<FieldGrowerTable>, farmIds: number[]): Grower => ({
    id: Number(row.id),
    leafUserId: row.user_id,
    name: row.name,
    provider: row.provider_name === null || row.provider_grower_id === null ? null : { providerName: row.provider_name, providerId: row.provider_id, providerGrowerId: row.provider_grower_id },
    farmIds,
    createdTime: row.created_at,
    updatedTime: row.updated_at,
  });
  const toFarm = (row: Selectable<FieldFarmTable>, fieldIds: string[]): Farm => ({
    id: Number(row.id),
    leafUserId: row.user_id,
    name: row.name,
    growerId: toNumber(row.grower_id),
    provider:
      row.provider_name === null || row.provider_farm_id === null
        ? null
        : { providerName: row.provider_name, providerId: row.provider_id, providerFarmId: row.provider_farm_id, providerFarmName: row.provider_farm_name },
    fieldIds,
    createdTime: row.created_at,
    updatedTime: row.updated_at,
  });
  const toField = (row: Selectable<FieldTable>, boundaries: string[]): Field => ({
    id: row.id,
    leafUserId: row.user_id,
    name: row.name,
    farmId: toNumber(row.farm_id),
    provider:
      row.provider_name === null || row.provider_field_id === null
        ? null
        : {
            providerName: row.provider_name,
            providerId: row.provider_id,
            providerFieldId: row.provider_field_id,
            providerBoundaryId: row.provider_boundary_id,
            providerFieldName: row.provider_field_name,
            organizationId: row.organization_id,
          },
    type: row.type as FieldType,
    status: row.status as FieldStatus,
    mergedFieldId: row.merged_field_id,
    sources: dialect.parseJson<string[]>(row.sources),
    boundaries,
    createdTime: row.created_at,
    updatedTime: row.updated_at,
  });
  const toBoundary = (row: Selectable<FieldBoundaryTable>): Boundary => ({
    id: row.id,
    fieldId: row.field_id,
    leafUserId: row.user_id,
    status: row.status as BoundaryStatus,
    providerStatus: row.provider_status as Boundary['providerStatus'],
    providerBoundaryId: row.provider_boundary_id,
    geometry: dialect.parseJson<MultiPolygonGeometry>(row.geometry),
    area: { value: row.area_ha, unit: 'ha' },
    validity: row.validity as BoundaryValidity,
    fixStatus: row.fix_status as Boundary['fixStatus'],
    createdTime: row.created_at,
    updatedTime: row.updated_at,
  });

  async function farmIdsOf(growerIds: number[]): Promise<Map<number, number[]>> {
    const byGrower = new Map<number, number[]>();
    if (growerIds.length === 0) return byGrower;
    const rows = await db.selectFrom('field_farms').select(['id', 'grower_id']).where('grower_id', 'in', growerIds).orderBy('id').execute();
    for (const row of rows) {
      const list = byGrower.get(Number(row.grower_id)) ?? [];
      list.push(Number(row.id));
      byGrower.set(Number(row.grower_id), list);
    }
    return byGrower;
  }
  async function fieldIdsOf(farmIds: number[]): Promise<Map<number, string[]>> {
    const byFarm = new Map<number, string[]>();
    if (farmIds.length === 0) return byFarm;
    const rows = await db.selectFrom('fields').select(['id', 'farm_id']).where('farm_id', 'in', farmIds).orderBy('id').execute();
    for (const row of rows) {
      const list = byFarm.get(Number(row.farm_id)) ?? [];
      list.push(row.id);
      byFarm.set(Number(row.farm_id), list);
    }
    return byFarm;
  }
  async function boundaryIdsOf(userFieldPairs: { userId: string; fieldId: string }[], uow?: UnitOfWork): Promise<Map<string, string[]>> {
    const byField = new Map<string, string[]>();
    if (userFieldPairs.length === 0) return byField;
    const userIds = [...new Set(userFieldPairs.map((p) => p.userId))];
    const fieldIds = [...new Set(userFieldPairs.map((p) => p.fieldId))];
    const rows = await (uow?.db ?? db)
      .selectFrom('field_boundaries')
      .select(['id', 'user_id', 'field_id'])
      .where('user_id', 'in', userIds)
      .where('field_id', 'in', fieldIds)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    for (const row of rows) {
      const key = `${row.user_id}\u0000${row.field_id}`;
      const list = byField.get(key) ?? [];
      list.push(row.id);
      byField.set(key, list);
    }
    return byField;
  }

  return {
    async insertGrower(ownerId: string, userId: string, grower: GrowerWrite, now: string): Promise<number> {
      const row = await db
        .insertInto('field_growers')
        .values({
          api_owner_id: ownerId,
          user_id: userId,
          name: grower.name,
          provider_name: grower.providerName ?? null,
          provider_id: grower.providerId ?? null,
          provider_grower_id: grower.providerGrowerId ?? null,
          sync_enabled: 0,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },
    async getGrower(ownerId: string, userId: string | undefined, id: number): Promise<Grower | undefined> {
      let query = db.selectFrom('field_growers').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id);
      if (userId !== undefined) query = query.where('user_id', '=', userId);
      const row = await query.executeTakeFirst();
      return row === undefined ? undefined : toGrower(row, (await farmIdsOf([Number(row.id)])).get(Number(row.id)) ?? []);
    },
    async listGrowers(ownerId: string, filter: GrowerFilter, page: PageRequest<GrowerSortField>): Promise<Page<Grower>> {
      let query = db.selectFrom('field_growers').where('api_owner_id', '=', ownerId);
      if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
      if (filter.provider !== undefined) query = filter.provider === MANUAL_PROVIDER ? query.where('provider_name', 'is', null) : query.where('provider_name', '=', filter.provider);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of page.sort) rows = rows.orderBy(SORT_COLUMN[s.field], s.direction);
      const found = await rows.orderBy('id', 'asc').limit(page.size).offset(page.page * page.size).execute();
      const farms = await farmIdsOf(found.map((r) => Number(r.id)));
      return { items: found.map((r) => toGrower(r, farms.get(Number(r.id)) ?? [])), total: Number(counted.n) };
    },
    async updateGrower(ownerId: string, userId: string, id: number, name: string | null, now: string): Promise<boolean> {
      const result = await db.updateTable('field_growers').set({ name, updated_at: now }).where('api_owner_id', '=', ownerId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async insertFarm(ownerId: string, userId: string, farm: FarmWrite, now: string): Promise<number> {
      const row = await db
        .insertInto('field_farms')
        .values({
          api_owner_id: ownerId,
          user_id: userId,
          grower_id: farm.growerId,
          name: farm.name,
          provider_name: farm.providerName ?? null,
          provider_id: farm.providerId ?? null,
          provider_farm_id: farm.providerFarmId ?? null,
          provider_farm_name: farm.providerFarmName ?? null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },
    async getFarm(ownerId: string, userId: string | undefined, id: number): Promise<Farm | undefined> {
      let query = db.selectFrom('field_farms').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id);
      if (userId !== undefined) query = query.where('user_id', '=', userId);
      const row = await query.executeTakeFirst();
      return row === undefined ? undefined : toFarm(row, (await fieldIdsOf([Number(row.id)])).get(Number(row.id)) ?? []);
    },
    async listFarms(ownerId: string, filter: FarmFilter, page: PageRequest<GrowerSortField>): Promise<Page<Farm>> {
      let query = db.selectFrom('field_farms').where('api_owner_id', '=', ownerId);
      if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
      if (filter.growerId !== undefined) query = query.where('grower_id', '=', filter.growerId);
      if (filter.provider !== undefined) query = filter.provider === MANUAL_PROVIDER ? query.where('provider_name', 'is', null) : query.where('provider_name', '=', filter.provider);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of page.sort) rows = rows.orderBy(SORT_COLUMN[s.field], s.direction);
      const found = await rows.orderBy('id', 'asc').limit(page.size).offset(page.page * page.size).execute();
      const fields = await fieldIdsOf(found.map((r) => Number(r.id)));
      return { items: found.map((r) => toFarm(r, fields.get(Number(r.id)) ?? [])), total: Number(counted.n) };
    },
    async updateFarm(ownerId: string, userId: string, id: number, farm: { name: string | null; growerId: number | null }, now: string): Promise<boolean> {
      const result = await db
        .updateTable('field_farms')
        .set({ name: farm.name, grower_id: farm.growerId, updated_at: now })
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', userId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** `'exists'` when the user already has a field with this id. */
    async insertField(field: FieldWrite, uow?: UnitOfWork): Promise<'ok' | 'exists'> {
      const q = uow?.db ?? db;
      const existing = await q.selectFrom('fields').select('id').where('user_id', '=', field.leafUserId).where('id', '=', field.id).executeTakeFirst();
      if (existing !== undefined) return 'exists';
      await q
        .insertInto('fields')
        .values({
          user_id: field.leafUserId,
          id: field.id,
          api_owner_id: field.ownerId,
          name: field.name,
          farm_id: field.farmId,
          provider_name: field.provider?.providerName ?? null,
          provider_id: field.provider?.providerId ?? null,
          provider_field_id: field.provider?.providerFieldId ?? null,
          provider_boundary_id: field.provider?.providerBoundaryId ?? null,
          provider_field_name: field.provider?.providerFieldName ?? null,
          organization_id: field.provider?.organizationId ?? null,
          type: field.type,
          status: field.status,
          merged_field_id: field.mergedFieldId,
          sources: dialect.json(field.sources),
          created_at: field.createdTime,
          updated_at: field.updatedTime,
        })
        .execute();
      return 'ok';
    },
    async getField(ownerId: string, userId: string, id: string, uow?: UnitOfWork): Promise<Field | undefined> {
      const row = await (uow?.db ?? db).selectFrom('fields').selectAll().where('api_owner_id', '=', ownerId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      if (row === undefined) return undefined;
      return toField(row, (await boundaryIdsOf([{ userId, fieldId: id }], uow)).get(`${userId}\u0000${id}`) ?? []);
    },
    async listFields(ownerId: string, filter: FieldFilter, page: PageRequest<FieldSortField>): Promise<Page<Field>> {
      let query = db.selectFrom('fields').where('api_owner_id', '=', ownerId);
      if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
      if (filter.provider !== undefined) query = filter.provider === MANUAL_PROVIDER ? query.where('provider_name', 'is', null) : query.where('provider_name', '=', filter.provider);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.farmId !== undefined) query = query.where('farm_id', '=', filter.farmId);
      if (filter.beforeCreatedTime !== undefined) query = query.where('created_at', '<', filter.beforeCreatedTime);
      if (filter.afterCreatedTime !== undefined) query = query.where('created_at', '>', filter.afterCreatedTime);
      if (filter.beforeUpdatedTime !== undefined) query = query.where('updated_at', '<', filter.beforeUpdatedTime);
      if (filter.afterUpdatedTime !== undefined) query = query.where('updated_at', '>', filter.afterUpdatedTime);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of page.sort) rows = rows.orderBy(SORT_COLUMN[s.field], s.direction);
      const found = await rows.orderBy('id', 'asc').orderBy('user_id', 'asc').limit(page.size).offset(page.page * page.size).execute();
      const boundaries = await boundaryIdsOf(found.map((r) => ({ userId: r.user_id, fieldId: r.id })));
      return { items: found.map((r) => toField(r, boundaries.get(`${r.user_id}\u0000${r.id}`) ?? [])), total: Number(counted.n) };
    },
    async updateField(ownerId: string, userId: string, id: string, change: { name?: string | null; farmId?: number | null }, now: string, uow?: UnitOfWork): Promise<boolean> {
      const set: { updated_at: string; name?: string | null; farm_id?: number | null } = { updated_at: now };
      if (change.name !== undefined) set.name = change.name;
      if (change.farmId !== undefined) set.farm_id = change.farmId;
      const result = await (uow?.db ?? db).updateTable('fields').set(set).where('api_owner_id', '=', ownerId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async deleteField(ownerId: string, userId: string, id: string, uow?: UnitOfWork): Promise<boolean> {
      const q = uow?.db ?? db;
      // Boundaries go first: SQLite enforces the cascade only with foreign keys on, and this
      // does not depend on it.
      await q.deleteFrom('field_boundaries').where('api_owner_id', '=', ownerId).where('user_id', '=', userId).where('field_id', '=', id).execute();
      const result = await q.deleteFrom('fields').where('api_owner_id', '=', ownerId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** PREVIEW fields become WAITING (customDataSync's enableSync); returns how many changed. */
    async enableSync(ownerId: string, target: { userId: string; fieldId: string } | { growerIds: number[] }, now: string): Promise<number> {
      let query = db.updateTable('fields').set({ status: 'WAITING', updated_at: now }).where('api_owner_id', '=', ownerId).where('status', '=', 'PREVIEW');
      if ('fieldId' in target) {
        query = query.where('user_id', '=', target.userId).where('id', '=', target.fieldId);
      } else {
        if (target.growerIds.length === 0) return 0;
        await db.updateTable('field_growers').set({ sync_enabled: 1, updated_at: now }).where('api_owner_id', '=', ownerId).where('id', 'in', target.growerIds).execute();
        query = query.where('farm_id', 'in', db.selectFrom('field_farms').select('id').where('api_owner_id', '=', ownerId).where('grower_id', 'in', target.growerIds));
      }
      return Number((await query.executeTakeFirst()).numUpdatedRows);
    },
    /** Provider records per Leaf user and provider: what the integrations summary counts. */
    async providerCounts(ownerId: string, filter: { leafUserId?: string | undefined; provider?: string | undefined }): Promise<{ leafUserId: string; provider: string; growers: number; farms: number; fields: number; latest: string }[]> {
      const counts = new Map<string, { leafUserId: string; provider: string; growers: number; farms: number; fields: number; latest: string }>();
      for (const [table, key] of [['field_growers', 'growers'], ['field_farms', 'farms'], ['fields', 'fields']] as const) {
        let query = db
          .selectFrom(table)
          .select((eb) => ['user_id', 'provider_name', eb.fn.countAll<number | string>().as('n'), eb.fn.max('updated_at').as('latest')])
          .where('api_owner_id', '=', ownerId)
          .where('provider_name', 'is not', null)
          .groupBy(['user_id', 'provider_name']);
        if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
        if (filter.provider !== undefined) query = query.where('provider_name', '=', filter.provider);
        for (const row of await query.execute()) {
          const id = `${row.user_id}\u0000${row.provider_name}`;
          const entry = counts.get(id) ?? { leafUserId: row.user_id, provider: row.provider_name!, growers: 0, farms: 0, fields: 0, latest: '' };
          entry[key] = Number(row.n);
          if (String(row.latest) > entry.latest) entry.latest = String(row.latest);
          counts.set(id, entry);
        }
      }
      return [...counts.values()].sort((a, b) => a.leafUserId.localeCompare(b.leafUserId) || a.provider.localeCompare(b.provider));
    },
    /** Marks the field's active boundary INACTIVE; the caller inserts the new one in the same unit of work. */
    async deactivateBoundary(userId: string, fieldId: string, now: string, uow?: UnitOfWork): Promise<void> {
      await (uow?.db ?? db).updateTable('field_boundaries').set({ status: 'INACTIVE', updated_at: now }).where('user_id', '=', userId).where('field_id', '=', fieldId).where('status', '=', 'ACTIVE').execute();
    },
    async insertBoundary(boundary: BoundaryWrite, uow?: UnitOfWork): Promise<void> {
      const [minLon, minLat, maxLon, maxLat] = boundary.bbox;
      await (uow?.db ?? db)
        .insertInto('field_boundaries')
        .values({
          id: boundary.id,
          api_owner_id: boundary.ownerId,
          user_id: boundary.leafUserId,
          field_id: boundary.fieldId,
          status: boundary.status,
          provider_status: boundary.providerStatus,
          provider_boundary_id: boundary.providerBoundaryId,
          geometry: dialect.json(boundary.geometry),
          area_ha: boundary.area.value,
          min_lon: minLon,
          min_lat: minLat,
          max_lon: maxLon,
          max_lat: maxLat,
          validity: boundary.validity,
          fix_status: boundary.fixStatus,
          created_at: boundary.createdTime,
          updated_at: boundary.updatedTime,
        })
        .execute();
    },
    /** Newest first. */
    async listBoundaries(ownerId: string, userId: string, fieldId: string): Promise<Boundary[]> {
      const rows = await db
        .selectFrom('field_boundaries')
        .selectAll()
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', userId)
        .where('field_id', '=', fieldId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toBoundary);
    },
    async getBoundary(ownerId: string, userId: string, fieldId: string, id: string): Promise<Boundary | undefined> {
      const row = await db
        .selectFrom('field_boundaries')
        .selectAll()
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', userId)
        .where('field_id', '=', fieldId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toBoundary(row);
    },
    async activeBoundary(ownerId: string, userId: string, fieldId: string): Promise<Boundary | undefined> {
      const row = await db
        .selectFrom('field_boundaries')
        .selectAll()
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', userId)
        .where('field_id', '=', fieldId)
        .where('status', '=', 'ACTIVE')
        .executeTakeFirst();
      return row === undefined ? undefined : toBoundary(row);
    },
    async activeBoundaries(ownerId: string, userId: string): Promise<ActiveBoundary[]> {
      const rows = await db
        .selectFrom('field_boundaries')
        .select(['id', 'field_id', 'geometry', 'area_ha'])
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', userId)
        .where('status', '=', 'ACTIVE')
        .orderBy('field_id')
        .execute();
      return rows.map((r) => ({ fieldId: r.field_id, boundaryId: r.id, geometry: dialect.parseJson<MultiPolygonGeometry>(r.geometry), areaHectares: r.area_ha }));
    },
    /** Active boundaries whose bounding box meets `bbox`, of one user or of all the owner's users. */
    async activeBoundariesInBox(ownerId: string, userId: string | undefined, bbox: [number, number, number, number]): Promise<Boundary[]> {
      let query = db
        .selectFrom('field_boundaries')
        .selectAll()
        .where('api_owner_id', '=', ownerId)
        .where('status', '=', 'ACTIVE')
        .where('max_lon', '>=', bbox[0])
        .where('min_lon', '<=', bbox[2])
        .where('max_lat', '>=', bbox[1])
        .where('min_lat', '<=', bbox[3]);
      if (userId !== undefined) query = query.where('user_id', '=', userId);
      return (await query.orderBy('field_id').execute()).map(toBoundary);
    },
  };
}
export type FieldsRepository = ReturnType<typeof fieldsRepository>;
