/**
 * Provider machine files through the sync into the conversion pipeline, on each database, against
 * the sandbox emulators over real HTTP: credentials POSTed through the API, the `sync-credential`
 * and `download-provider-file` jobs run by the real queue (three at a time), and what lands in
 * `GET /files` compared with the emulator's own files. Then a no-change re-sync, a file added in
 * the sandbox, two downloads of one file racing, and the configuration keys that hold files back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMachineFile, EmulatedOrganization } from '../providers/provider-emulator.js';
import type { Provider } from '../providers/provider.js';
import { providers } from '../providers/registry.js';
import { DEERE_FIELD_OPERATION_PREFIX } from '../providers/john-deere/sync.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import type { SyncRun } from '../storage/repositories/sync.js';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import type { DownloadOutcome } from './provider-file-downloads.js';
import { runsReaching as runsReachingOf } from './testing/sync-runs.js';
import { CONFIGS_API, FIELDS_API, FILES_API, OPERATION_TYPES, USERS_API, filesSettled as filesSettledOf, type ProviderFileView } from './testing/provider-files.js';

const databases = await testDatabases();


type FileView = ProviderFileView;

type ListedView = { operation: { listFiles(query: { transfer?: 'upload' | 'wireless'; offset: number; limit: number }): { files: EmulatedMachineFile[] } } };

/**
 * How each provider lists the account's files: Deere per connected organization, the uploaded
 * ones from its Files API with their decimal ids, the ones sent wirelessly as field operations
 * (`fieldOperation:<id>`, exported as shapefiles; sync-field-operations.integration.test.ts
 * follows those exports); Climate by layer (harvested, planted, applied: no tillage layer) with the UUIDs.
 */
const PROVIDERS = [
  {
    providerId: 'john-deere',
    idOf: (f: EmulatedMachineFile) => f.number,
    expectedIds: (view: ListedView, connected: ReadonlySet<string>) => [
      ...view.operation.listFiles({ transfer: 'upload', offset: 0, limit: 1000 }).files.filter((f) => connected.has(f.organizationId)).map((f) => f.number),
      ...view.operation.listFiles({ transfer: 'wireless', offset: 0, limit: 1000 }).files.filter((f) => connected.has(f.organizationId)).map((f) => `${DEERE_FIELD_OPERATION_PREFIX}${f.id}`),
    ],
  },
  {
    providerId: 'climate-field-view',
    idOf: (f: EmulatedMachineFile) => f.id,
    expectedIds: (view: ListedView) => view.operation.listFiles({ offset: 0, limit: 1000 }).files.filter((f) => f.operation !== 'tillage').map((f) => f.id),
  },
];

describe.each(databases)('provider machine files through the sync on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true, sync: true });
    await h.queue.start({ concurrency: 3 });
  });
  afterAll(async () => h?.close());

  const get = async (url: string) => {
    const r = await h.request({ method: 'GET', url });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const runsReaching = (credentialId: string, count: number) => runsReachingOf(h, credentialId, count);
  const filesSettled = (userId: string, count: number) => filesSettledOf(h, userId, count);
  const rowCounts = async (userId: string) => ({
    batches: Number((await h.storage.db.selectFrom('machine_file_batches').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n),
    files: Number((await h.storage.db.selectFrom('machine_files').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n),
    updated: (await h.storage.db.selectFrom('machine_files').select(['id', 'updated_at']).where('user_id', '=', userId).orderBy('id').execute()).map((r) => `${r.id}@${r.updated_at}`),
  });
  /** A user with a configuration, a sandbox account of the provider, and its credentials POSTed. */
  const connect = async (providerId: string, configuration: Record<string, unknown>) => {
    const provider = (providers as Readonly<Record<string, Provider>>)[providerId]!;
    const userId: string = (await h.request({ method: 'POST', url: USERS_API, payload: { name: 'grower' } })).json().id;
    const configured = await h.request({ method: 'POST', url: `${CONFIGS_API}/${userId}`, payload: configuration });
    expect(configured.statusCode, configured.body).toBeLessThan(300);
    const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: providerId } });
    expect(account.statusCode).toBe(201);
    // Deere's field operation exports ready at once: here they are files like the others.
    if (providerId === 'john-deere') expect((await h.request({ method: 'POST', url: `/sandbox/api/accounts/${account.json().id}/exports`, payload: { pendingAnswers: 0 } })).statusCode).toBe(200);
    const posted = await h.request({ method: 'POST', url: `${USERS_API}/${userId}/${provider.credentialsPath}`, payload: account.json().credentials });
    expect(posted.statusCode, posted.body).toBe(201);
    return { provider, userId, accountId: account.json().id as string, credentialId: posted.json().id as string };
  };
  const syncAgain = async (userId: string, credentialId: string): Promise<SyncRun> => {
    const before = (await h.services.sync.listRuns(credentialId)).length;
    expect((await h.request({ method: 'POST', url: `${FIELDS_API}/users/${userId}/fields/sync`, payload: {} })).statusCode).toBe(202);
    const [run] = await runsReaching(credentialId, before + 1);
    return run!;
  };
  const addFile = async (accountId: string) => {
    const added = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/files`, payload: { operation: 'harvest', format: 'isoxml', points: 40 } });
    expect(added.statusCode, added.body).toBe(201);
    return added.json() as Pick<EmulatedMachineFile, 'id' | 'number' | 'organizationId' | 'name' | 'size' | 'operation'>;
  };

  describe.each(PROVIDERS)('$providerId', ({ providerId, idOf, expectedIds }) => {
    const state = {} as { userId: string; accountId: string; credentialId: string; expected: string[]; files: FileView[] };

    it("lists the account's machine files in GET /files with origin provider, each processed by the pipeline, after credentials are POSTed", async () => {
      // Every file the sandbox has (dated in the months before the account was made, inside the
      // default 12-month range), none held back for PREVIEW fields; the default cleanup rules.
      const connected = await connect(providerId, { customDataSync: false });
      Object.assign(state, connected);
      const [run] = await runsReaching(state.credentialId, 1);
      expect(run!.status, JSON.stringify(run!.errors)).toBe('SUCCEEDED');

      const view = h.sandboxStore!.get(state.accountId)!.view;
      const organizations = new Set(view.organizations.filter((o: EmulatedOrganization) => o.connected || !connected.provider.capabilities.hasOrganizations).map((o) => o.id));
      state.expected = expectedIds(view, organizations).sort();
      expect(state.expected.length).toBeGreaterThan(0);
      expect(run!.counts.files).toEqual({ created: state.expected.length, updated: 0, unchanged: 0, deleted: 0 });

      const files = await filesSettled(state.userId, state.expected.length);
      expect([...new Set(files.map((f) => f.providerFileId))].sort()).toEqual(state.expected);
      expect(files.length).toBe(state.expected.length);
      for (const file of files) {
        const steps = await get(`${FILES_API}/${file.id}/status`);
        expect(file).toMatchObject({ origin: 'provider', provider: connected.provider.apiName });
        expect(file.batchId).toBeUndefined();
        // Downloaded whole, then converted step by step, as a real grower's exports are.
        expect(steps.originalFile).toEqual({ status: 'processed', message: 'ok' });
        expect(steps.standardGeojson, JSON.stringify(steps)).toEqual({ status: 'processed', message: 'ok' });
      }
      expect(files.every((f) => f.status === 'processed'), JSON.stringify(files.map((f) => [f.fileName, f.status]))).toBe(true);
      // The provider filter finds them, and no other provider's.
      expect(await get(`${FILES_API}?leafUserId=${state.userId}&provider=${connected.provider.apiName}&size=100`)).toHaveLength(files.length);
      expect(await get(`${FILES_API}?leafUserId=${state.userId}&provider=Trimble&size=100`)).toHaveLength(0);
      expect(await get(`${FILES_API}?leafUserId=${state.userId}&origin=provider&size=100`)).toHaveLength(files.length);
      const processed = files.find((f) => f.status === 'processed' && !f.providerFileId!.startsWith(DEERE_FIELD_OPERATION_PREFIX))!;
      expect((await get(`${FILES_API}/${processed.id}/status`)).standardGeojson).toEqual({ status: 'processed', message: 'ok' });
      // The original download is the provider's bytes.
      const original = await h.request({ method: 'GET', url: `${FILES_API}/${processed.id}/download/originalFile` });
      expect(original.statusCode).toBe(200);
      const emulated = view.operation.file(processed.providerFileId!)!;
      expect(Buffer.compare(original.rawPayload, Buffer.from(view.operation.fileBytes(emulated)))).toBe(0);
      // Provider files are no upload batches.
      expect(await get(`/services/operations/api/batch?leafUserId=${state.userId}`)).toEqual([]);
      state.files = files;
    });

    it('queues no download and writes nothing on a second sync when nothing changed', async () => {
      const before = await rowCounts(state.userId);
      const run = await syncAgain(state.userId, state.credentialId);
      expect(run.status).toBe('SUCCEEDED');
      // An incremental listing: nothing listed, nothing queued.
      expect(run.counts.files).toEqual({ created: 0, updated: 0, unchanged: 0, deleted: 0 });
      expect(await rowCounts(state.userId)).toEqual(before);
    });

    it('brings in a file added in the sandbox on the next sync, from the change cursor rather than a full listing', async () => {
      const added = await addFile(state.accountId);
      const run = await syncAgain(state.userId, state.credentialId);
      // A full listing would count every earlier file as unchanged.
      expect(run.counts.files).toEqual({ created: 1, updated: 0, unchanged: 0, deleted: 0 });
      const files = await filesSettled(state.userId, state.expected.length + 1);
      const brought = files.filter((f) => f.providerFileId === idOf(added as EmulatedMachineFile));
      expect(brought).toHaveLength(1);
      expect(brought[0]).toMatchObject({ origin: 'provider', status: 'processed' });
    });

    it('makes one file of two downloads of the same file racing', async () => {
      const added = await addFile(state.accountId);
      const job = {
        credentialId: state.credentialId,
        providerId: idOf(added as EmulatedMachineFile),
        organizationId: added.organizationId,
        name: added.name,
        format: 'zip',
        size: added.size,
        operationType: OPERATION_TYPES[added.operation],
        version: 'raced',
      };
      const outcomes: DownloadOutcome[] = await Promise.all([h.services.providerFiles.download(job), h.services.providerFiles.download(job)]);
      expect(outcomes.map((o) => o.done).sort()).toContainEqual('downloaded');
      expect(outcomes.filter((o) => o.done === 'downloaded')).toHaveLength(1);
      expect(outcomes.map((o) => o.done).every((d) => ['downloaded', 'lost-race', 'already-stored'].includes(d))).toBe(true);
      // And a third run, as a retried job would be, finds it stored.
      expect((await h.services.providerFiles.download(job)).done).toBe('already-stored');

      const batches = await h.storage.db.selectFrom('machine_file_batches').select('id').where('user_id', '=', state.userId).where('provider_file_id', '=', job.providerId).execute();
      expect(batches).toHaveLength(1);
      const files = await filesSettled(state.userId, state.expected.length + 2);
      expect(files.filter((f) => f.providerFileId === job.providerId)).toHaveLength(1);
    });
  });

  it.each(PROVIDERS)('marks a $providerId file the provider no longer has failed, with the reason, instead of retrying it', async ({ providerId }) => {
    // A one-month range keeps the account's own files (all at least 45 days old) out of the way.
    const { userId, credentialId } = await connect(providerId, { customDataSync: false, operationsProcessingRange: 1 });
    await runsReaching(credentialId, 1);
    const job = { credentialId, providerId: providerId === 'john-deere' ? '999999999' : '00000000-0000-4000-8000-000000000000', organizationId: 'org', name: 'gone.zip', format: 'zip', size: 100, operationType: 'harvested' as const, version: 'v1' };
    const outcome = await h.services.providerFiles.download(job);
    expect(outcome).toMatchObject({ done: 'failed' });
    expect((outcome as { reason: string }).reason).toMatch(/Downloading gone\.zip \(provider file .+\) from .+ failed: /);
    const [file] = await filesSettled(userId, 1);
    expect(file).toMatchObject({ origin: 'provider', status: 'failed', providerFileId: job.providerId, fileName: 'gone.zip' });
    const steps = await get(`${FILES_API}/${file!.id}/status`);
    expect(steps.originalFile).toEqual({ status: 'failed', message: (outcome as { reason: string }).reason });
    // A second run of the job finds the failure recorded and changes nothing.
    expect((await h.services.providerFiles.download(job)).done).toBe('already-stored');
    expect(await rowCounts(userId)).toMatchObject({ batches: 1, files: 1 });
  });

  it("holds back with customDataSync the files of PREVIEW fields, and brings a field's files in once its sync is enabled", async () => {
    // Climate names each file's fields; Deere's file listing names none, so its files are never held back.
    const { userId, accountId, credentialId } = await connect('climate-field-view', { customDataSync: true });
    const [run] = await runsReaching(credentialId, 1);
    expect(run!.status).toBe('SUCCEEDED');
    const fields: { id: string; providerFieldId: string; status: string }[] = await get(`${FIELDS_API}/users/${userId}/fields?size=1000`);
    expect(fields.length).toBeGreaterThan(0);
    expect(fields.every((f) => f.status === 'PREVIEW')).toBe(true);
    expect(run!.counts.files).toMatchObject({ created: 0, updated: 0 });
    const held = await h.storage.db.selectFrom('sync_records').select(['local_id']).where('credential_id', '=', credentialId).where('kind', '=', 'file').execute();
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((r) => r.local_id === 'skipped:preview')).toBe(true);
    expect(await rowCounts(userId)).toMatchObject({ batches: 0, files: 0 });

    const view = h.sandboxStore!.get(accountId)!.view;
    const listed = view.operation.listFiles({ offset: 0, limit: 1000 }).files.filter((f) => f.operation !== 'tillage');
    const target = fields.find((f) => listed.some((file) => file.fieldId === f.providerFieldId))!;
    const enabled = await h.request({ method: 'POST', url: `${FIELDS_API}/users/${userId}/fields/${target.id}/enableSync`, payload: {} });
    expect(enabled.statusCode, enabled.body).toBe(200);
    const next = await syncAgain(userId, credentialId);
    expect(next.status, JSON.stringify(next.errors)).toBe('SUCCEEDED');
    const expected = listed.filter((f) => f.fieldId === target.providerFieldId).map((f) => f.id).sort();
    expect(next.counts.files).toMatchObject({ created: expected.length, updated: 0 });
    const files = await filesSettled(userId, expected.length);
    expect(files.map((f) => f.providerFileId).sort()).toEqual(expected);
  });

  it('downloads nothing while operationsAutoSync is false, and keeps no files cursor', async () => {
    const { userId, credentialId } = await connect('john-deere', { customDataSync: false, operationsAutoSync: false });
    const [run] = await runsReaching(credentialId, 1);
    expect(run!.status).toBe('SUCCEEDED');
    expect(run!.counts.files).toEqual({ created: 0, updated: 0, unchanged: 0, deleted: 0 });
    expect(run!.counts.fields.created).toBeGreaterThan(0);
    expect(Object.values(run!.cursors).every((cursors) => cursors['files'] === undefined)).toBe(true);
    expect(await rowCounts(userId)).toMatchObject({ batches: 0, files: 0 });
    expect(await h.storage.db.selectFrom('sync_records').select('provider_record_id').where('credential_id', '=', credentialId).where('kind', '=', 'file').execute()).toEqual([]);
  });

  it('leaves out files older than operationsProcessingRange, remembered so they are not examined again, and brings in a new one', async () => {
    const { userId, accountId, credentialId } = await connect('john-deere', { customDataSync: false, operationsProcessingRange: 1 });
    const [run] = await runsReaching(credentialId, 1);
    expect(run!.status).toBe('SUCCEEDED');
    // The sandbox's scenario files are at least 45 days old: all older than one month.
    expect(run!.counts.files).toMatchObject({ created: 0, updated: 0 });
    const remembered = await h.storage.db.selectFrom('sync_records').select(['local_id']).where('credential_id', '=', credentialId).where('kind', '=', 'file').execute();
    expect(remembered.length).toBeGreaterThan(0);
    expect(remembered.every((r) => r.local_id === 'skipped:out-of-range')).toBe(true);
    expect(await rowCounts(userId)).toMatchObject({ batches: 0, files: 0 });

    const added = await addFile(accountId);
    const next = await syncAgain(userId, credentialId);
    expect(next.counts.files).toEqual({ created: 1, updated: 0, unchanged: 0, deleted: 0 });
    const files = await filesSettled(userId, 1);
    expect(files.map((f) => [f.providerFileId, f.fileName, f.status])).toEqual([[added.number, added.name, 'processed']]);
  });
});
