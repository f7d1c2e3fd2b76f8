/** Domain records as Leaf's Fields service shows them (leaf-api.md 7.1): provider keys only on synced records. */
import type { Boundary, Farm, Field, Grower } from '../../../domain/index.js';

export function fieldToWire(field: Field, active?: Boundary) {
  return {
    id: field.id,
    leafUserId: field.leafUserId,
    name: field.name,
    boundaries: field.boundaries,
    ...(field.provider === null ? {} : field.provider),
    type: field.type,
    status: field.status,
    farmId: field.farmId,
    ...(field.mergedFieldId === null ? {} : { mergedFieldId: field.mergedFieldId }),
    sources: field.sources,
    // Operation files per field are the field-operations service's (GET .../operations/files).
    files: [] as string[],
    ...(active === undefined ? {} : { geometry: active.geometry, area: active.area }),
    createdTime: field.createdTime,
    updatedTime: field.updatedTime,
  };
}

export function boundaryToWire(boundary: Boundary) {
  return {
    id: boundary.id,
    status: boundary.status,
    ...(boundary.providerStatus === null ? {} : { providerStatus: boundary.providerStatus }),
    ...(boundary.providerBoundaryId === null ? {} : { providerBoundaryId: boundary.providerBoundaryId }),
    geometry: boundary.geometry,
    area: boundary.area,
    validity: boundary.validity,
    ...(boundary.fixStatus === null ? {} : { fixStatus: boundary.fixStatus }),
    createdTime: boundary.createdTime,
    updatedTime: boundary.updatedTime,
  };
}

export function growerToWire(grower: Grower) {
  return { id: grower.id, name: grower.name, leafUserId: grower.leafUserId, ...(grower.provider ?? {}), farmIds: grower.farmIds, createdTime: grower.createdTime, updatedTime: grower.updatedTime };
}

export function farmToWire(farm: Farm) {
  return { id: farm.id, name: farm.name, leafUserId: farm.leafUserId, growerId: farm.growerId, ...(farm.provider ?? {}), fieldIds: farm.fieldIds, createdTime: farm.createdTime, updatedTime: farm.updatedTime };
}
