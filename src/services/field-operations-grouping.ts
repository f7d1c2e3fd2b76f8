/**
 * Which files make one field operation (leaf-api.md 7.2): pure rules over file metadata and the
 * stored allocation of each file to fields, so a refresh can regroup a user's files cheaply and
 * rebuild only the operations whose membership changed.
 *
 * The rule, stated once:
 * 1. A file is attached to a field when its share of points in that field, in percent, is at
 *    least `fieldsAttachIntersection` (a point in overlapping fields counts for the one field
 *    `FieldIndex` assigns it, the smaller). A file attached to no field is in no operation (it is listed
 *    by `uncoveredFiles`).
 * 2. Files are keyed by operation type, crop (the summary's crop list), and, when the matching
 *    switch is on, field (`splitOperationsByField`; one key per attached field, so a file over two
 *    fields is in both fields' operations), provider (`splitOperationsByProvider`) and till type
 *    (`splitOperationsByTillType`).
 * 3. Within a key, files sorted by start time join one operation while each file starts no later
 *    than `range` days after the latest end so far (`operationsMergeRangeHarvested` for harvest,
 *    `operationsMergeRange` otherwise): single-linkage over time, so the result does not depend on
 *    the order files arrived in. A file without times is an operation of its own.
 */

export interface GroupableFile {
  id: string;
  operationType: string;
  provider: string;
  crop: string;
  tillType: string;
  /** Milliseconds since the epoch; NaN when the file has no times. */
  start: number;
  end: number;
  fields: readonly { fieldId: string; share: number }[];
}

export interface GroupingSettings {
  fieldsAttachIntersection: number;
  splitOperationsByField: boolean;
  splitOperationsByProvider: boolean;
  splitOperationsByTillType: boolean;
  operationsMergeRange: number;
  operationsMergeRangeHarvested: number;
}

export interface OperationGroup {
  groupKey: string;
  operationType: string;
  /** Ordered by start time, then id. */
  fileIds: string[];
  /** Sorted. */
  fieldIds: string[];
}

const DAY_MS = 86_400_000;

/** Fields a file is attached to under `fieldsAttachIntersection` (percent). */
export function attachedFields(file: Pick<GroupableFile, 'fields'>, attachPercent: number): string[] {
  return file.fields.filter((f) => f.share > 0 && f.share * 100 >= attachPercent).map((f) => f.fieldId);
}

/** The user's operations as groups of files; deterministic for the same input in any order. */
export function groupFiles(files: readonly GroupableFile[], settings: GroupingSettings): OperationGroup[] {
  const byKey = new Map<string, { type: string; members: { file: GroupableFile; fieldIds: string[] }[] }>();
  for (const file of files) {
    const fieldIds = attachedFields(file, settings.fieldsAttachIntersection);
    if (fieldIds.length === 0) continue;
    const base = [
      file.operationType,
      file.crop,
      settings.splitOperationsByProvider ? file.provider : '*',
      settings.splitOperationsByTillType ? file.tillType : '*',
    ];
    const keys = settings.splitOperationsByField ? fieldIds.map((fieldId) => ({ key: [fieldId, ...base], fieldIds: [fieldId] })) : [{ key: ['*', ...base], fieldIds }];
    for (const { key, fieldIds: ids } of keys) {
      const text = JSON.stringify(key);
      const entry = byKey.get(text) ?? { type: file.operationType, members: [] };
      entry.members.push({ file, fieldIds: ids });
      byKey.set(text, entry);
    }
  }
  const groups: OperationGroup[] = [];
  for (const [groupKey, { type, members }] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rangeMs = (type === 'harvested' ? settings.operationsMergeRangeHarvested : settings.operationsMergeRange) * DAY_MS;
    const timed = members.filter((m) => Number.isFinite(m.file.start) && Number.isFinite(m.file.end));
    timed.sort((a, b) => a.file.start - b.file.start || (a.file.id < b.file.id ? -1 : 1));
    let current: { fileIds: string[]; fields: Set<string>; end: number } | undefined;
    const flush = () => {
      if (current !== undefined) groups.push({ groupKey, operationType: type, fileIds: current.fileIds, fieldIds: [...current.fields].sort() });
    };
    for (const { file, fieldIds } of timed) {
      if (current !== undefined && file.start <= current.end + rangeMs) {
        current.fileIds.push(file.id);
        for (const id of fieldIds) current.fields.add(id);
        current.end = Math.max(current.end, file.end);
        continue;
      }
      flush();
      current = { fileIds: [file.id], fields: new Set(fieldIds), end: file.end };
    }
    flush();
    for (const { file, fieldIds } of members.filter((m) => !timed.includes(m)).sort((a, b) => (a.file.id < b.file.id ? -1 : 1))) {
      groups.push({ groupKey, operationType: type, fileIds: [file.id], fieldIds: [...fieldIds].sort() });
    }
  }
  return groups;
}

export interface ExistingOperation {
  id: string;
  groupKey: string;
  files: readonly string[];
}

export interface GroupMatch {
  /** The existing operation the group continues, or undefined for a new operation. */
  operationId: string | undefined;
  group: OperationGroup;
}

/**
 * Pairs new groups with existing operations so ids stay stable: a group continues the operation of
 * the same key with which it shares the most files (each operation at most once); the operations
 * left over no longer exist.
 */
export function matchOperations(existing: readonly ExistingOperation[], groups: readonly OperationGroup[]): { matches: GroupMatch[]; removed: string[] } {
  const candidates: { group: number; op: number; shared: number }[] = [];
  groups.forEach((group, g) => {
    const files = new Set(group.fileIds);
    existing.forEach((op, o) => {
      if (op.groupKey !== group.groupKey) return;
      const shared = op.files.filter((id) => files.has(id)).length;
      if (shared > 0) candidates.push({ group: g, op: o, shared });
    });
  });
  candidates.sort((a, b) => b.shared - a.shared || a.group - b.group || a.op - b.op);
  const opOf = new Map<number, number>();
  const usedOps = new Set<number>();
  for (const c of candidates) {
    if (opOf.has(c.group) || usedOps.has(c.op)) continue;
    opOf.set(c.group, c.op);
    usedOps.add(c.op);
  }
  return {
    matches: groups.map((group, g) => ({ group, operationId: opOf.has(g) ? existing[opOf.get(g)!]!.id : undefined })),
    removed: existing.filter((_, o) => !usedOps.has(o)).map((op) => op.id),
  };
}
