/**
 * The corpus forage-harvester TaskData (isoxml-dotnet ValidTimeLogs: 19 tasks with 21 time logs,
 * 21 partfield boundaries in the same TASKDATA.XML, each task naming its partfield): with the
 * boundaries created as fields and the TaskData uploaded as a batch, operations come out per
 * field, and each task's points land in the field its TaskData names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../jobs/testing/wait-for.js';
import type { OwnerContext } from '../../../domain/index.js';
import { createFieldsFromTaskData, type TaskDataField } from '../../../services/testing/create-fields-from-task-data.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { multipartBody, zipOf } from './testing/synthetic-uploads.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');
const taskDataDir = path.resolve(repoRoot, '../shared/corpus/isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs');
const present = fs.existsSync(path.join(taskDataDir, 'TASKDATA.XML'));
const databases = await testDatabases();
const api = '/services/operations/api';

/** Task designator (TSK B, the file's name) -> the partfield its TSK E names, as TASKDATA.XML states. */
const EXPECTED_FIELD_BY_TASK: Record<string, string> = {
  SAV: 'PFD-2', A02: 'PFD-3', zJY: 'PFD-4', o2a: 'PFD-5', Jd: 'PFD-6', jk: 'PFD-7', SG: 'PFD-8', JB: 'PFD-9', y8q: 'PFD-12', OW9: 'PFD-13',
  zSy: 'PFD-14', '4HE': 'PFD-17', '5Yr': 'PFD-15', rjI: 'PFD-16', '5jv': 'PFD-18', u: 'PFD-19', jU: 'PFD-20', i: 'PFD-21', D: 'PFD-22',
};

interface OperationView { id: string; files: string[]; fields: { id: string; coverage: number | null }[]; status: string; type: string }

describe.each(databases)('field operations from the corpus forage-harvester TaskData on $name', (database) => {
  let h: ApiHarness;
  let owner: OwnerContext;
  let userId: string;
  let fields: TaskDataField[];
  let files: { id: string; fileName: string; status: string }[];
  let operations: OperationView[];

  beforeAll(async () => {
    if (!present) return;
    h = await startApiHarness(database);
    owner = await h.services.apiOwners.verifyToken(h.token);
    userId = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Schleswig-Holstein contractor' } })).json().id;
    // Leaf's default cleanup rules are made for grain: forage yields of about 48 t/ha fail every one.
    const configured = await h.request({ method: 'POST', url: `/services/config/api/configs/${userId}`, payload: { cleanupStandardGeojson: false } });
    expect(configured.statusCode, configured.body).toBeLessThan(300);
    fields = await createFieldsFromTaskData(h.services.fields, owner, userId, taskDataDir);
    const entries = Object.fromEntries(fs.readdirSync(taskDataDir).map((name) => [`TASKDATA/${name}`, new Uint8Array(fs.readFileSync(path.join(taskDataDir, name)))]));
    const { payload, headers } = multipartBody('file', 'forage-harvest.zip', zipOf(entries));
    await h.queue.start({ concurrency: 2 });
    const batch = (await h.request({ method: 'POST', url: `${api}/batch?leafUserId=${userId}&provider=Other`, payload, headers })).json();
    const done = await waitFor('the batch', async () => {
      const b = (await h.request({ method: 'GET', url: `${api}/batch/${batch.id}` })).json();
      return b.status === 'PROCESSED' || b.status === 'FAILED' ? b : undefined;
    }, { timeoutMs: 120_000 });
    expect(done.status, JSON.stringify(done)).toBe('PROCESSED');
    files = (await h.request({ method: 'GET', url: `${api}/files?batchId=${batch.id}&size=100` })).json();
    const processed = files.filter((f) => f.status === 'processed').map((f) => f.id);
    // Settled: every processed file allocated, every operation built, and so on three probes in a
    // row (a refresh regroups right after its last allocation).
    let steady = 0;
    operations = await waitFor('operations to settle', async () => {
      const ops: OperationView[] = (await h.request({ method: 'GET', url: `${api}/operations?leafUserId=${userId}&size=100` })).json();
      const allocated = await h.storage.db.selectFrom('file_allocations').select('file_id').where('user_id', '=', userId).execute();
      const done = ops.length > 0 && ops.every((op) => op.status !== 'processing') && allocated.length === processed.length;
      steady = done ? steady + 1 : 0;
      return steady >= 3 ? ops : undefined;
    }, { timeoutMs: 240_000, intervalMs: 300 });
  }, 400_000);
  afterAll(async () => {
    await h?.close();
  });

  it.skipIf(!present)('creates the 21 partfields as fields and one harvest file per task', () => {
    expect(fields).toHaveLength(21);
    expect(files.map((f) => f.fileName.trim()).sort()).toEqual(Object.keys(EXPECTED_FIELD_BY_TASK).sort());
    expect(files.every((f) => f.status === 'processed')).toBe(true);
  });

  it.skipIf(!present)('puts each task in an operation of the field its TaskData names, with plausible coverage', async () => {
    const fieldIdOf = new Map(fields.map((f) => [f.sourceId, f.fieldId]));
    for (const file of files) {
      const expected = fieldIdOf.get(EXPECTED_FIELD_BY_TASK[file.fileName.trim()]!)!;
      const op = operations.find((o) => o.files.includes(file.id) && o.fields.some((f) => f.id === expected));
      expect(op, `task ${file.fileName} in an operation of ${EXPECTED_FIELD_BY_TASK[file.fileName.trim()]}`).toBeDefined();
      expect(op!.type).toBe('harvested');
      expect(op!.status).toBe('processed');
      const coverage = op!.fields.find((f) => f.id === expected)!.coverage!;
      expect(coverage, `coverage of ${file.fileName}`).toBeGreaterThan(5);
      expect(coverage).toBeLessThanOrEqual(100);
      const perField = (await h.request({ method: 'GET', url: `/services/fields/api/users/${userId}/fields/${expected}/operations/files` })).json();
      expect(perField.map((f: { id: string }) => f.id)).toContain(file.id);
    }
  });

  it.skipIf(!present)('lands most of each task\'s points in its named field, and its operation there holds them', async () => {
    const fieldIdOf = new Map(fields.map((f) => [f.sourceId, f.fieldId]));
    const shares = await h.storage.db.selectFrom('file_fields').select(['file_id', 'field_id', 'share']).where('user_id', '=', userId).execute();
    const features = async (url: string) => ((await h.request({ method: 'GET', url: url.slice(url.indexOf(api)) })).json().features as unknown[]).length;
    for (const file of files) {
      const task = file.fileName.trim();
      const expected = fieldIdOf.get(EXPECTED_FIELD_BY_TASK[task]!)!;
      const mine = shares.filter((s) => s.file_id === file.id).sort((a, b) => Number(b.share) - Number(a.share));
      expect(mine[0]?.field_id, `the field with most of ${task}'s points`).toBe(expected);
      expect(Number(mine[0]!.share), `share of ${task}'s points in ${EXPECTED_FIELD_BY_TASK[task]}`).toBeGreaterThan(0.5);
      const op = operations.find((o) => o.fields.some((f) => f.id === expected) && o.files.includes(file.id))!;
      const inField = await features((await h.request({ method: 'GET', url: `${api}/operations/${op.id}/standardGeojson` })).json().standardGeojson);
      const all = await features((await h.request({ method: 'GET', url: `${api}/files/${file.id}` })).json().downloadStandardGeojson);
      // The operation may also hold a neighbouring task's points that spilled into this field.
      expect(inField, `points of ${task}'s operation in ${EXPECTED_FIELD_BY_TASK[task]}`).toBeGreaterThanOrEqual(Math.floor(all * Number(mine[0]!.share)) - 1);
    }
  });
});
