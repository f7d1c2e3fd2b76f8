/**
 * Test set-up shared by the fields and field-operations tests: the partfield boundaries of an
 * ISOXML TaskData folder (as the ISOXML reader returns them) created as manual fields of a user.
 */
import isoxml from '../../formats/isoxml/index.js';
import { fileSetFromDirectory } from '../../formats/testing/file-sets.js';
import type { OwnerContext } from '../../domain/index.js';
import type { FieldsService } from '../fields.js';

export interface TaskDataField {
  /** The partfield's id in TASKDATA.XML (`PFD` attribute A, e.g. `PFD1`). */
  sourceId: string;
  name: string;
  fieldId: string;
  areaHectares: number;
}

/** Creates one field per partfield with a boundary, named after the partfield; in document order. */
export async function createFieldsFromTaskData(fields: FieldsService, owner: OwnerContext, userId: string, taskDataDir: string): Promise<TaskDataField[]> {
  const files = fileSetFromDirectory(taskDataDir);
  const [dataset] = await isoxml.detect(files);
  if (dataset === undefined) throw new Error(`${taskDataDir} holds no TASKDATA.XML`);
  const { boundaries } = await isoxml.open(files, dataset);
  const created: TaskDataField[] = [];
  for (const boundary of boundaries) {
    const { field, boundary: active } = await fields.createField(owner, userId, { name: boundary.name, geometry: boundary.geometry });
    created.push({ sourceId: boundary.sourceId, name: boundary.name, fieldId: field.id, areaHectares: active?.area.value ?? 0 });
  }
  return created;
}
