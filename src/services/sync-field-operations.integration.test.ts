/**
 * John Deere field operations through the sync into the conversion pipeline, on each database,
 * against the sandbox emulator over real HTTP (providers.md 1.6: listed per field with
 * `x-deere-signature`, exported asynchronously by `GET /fieldOps/{id}`: 202 while Deere prepares
 * the shapefile, then 307 to a pre-signed URL). The `download-provider-file` jobs run on the real
 * queue; a download that met a 202 queues itself again for Deere's documented wait, which this
 * test reads from the queued job and then brings forward instead of sitting through it.
 * Provider calls are counted from Node's fetch diagnostics channel.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { DEERE_EXPORT_BASE_DELAY_MS, DEERE_EXPORT_MAX_POLLS, DEERE_FIELD_OPERATION_PREFIX } from '../providers/john-deere/sync.js';
import type { EmulatedAccount } from '../providers/provider-emulator.js';
import type { SyncRun } from '../storage/repositories/sync.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import type { ProviderFileJob } from './provider-file-downloads.js';
import { runsReaching } from './testing/sync-runs.js';
import { CONFIGS_API, FIELDS_API, FILES_API, OPERATION_TYPES, USERS_API, filesSettled as filesSettledOf } from './testing/provider-files.js';

const databases = await testDatabases();



/** One call of the sync's download queue: the job, when it asked to run (absent: now), and when it was queued. */
interface Queued {
  job: ProviderFileJob;
  runAt: Date | undefined;
  at: number;
}

describe.each(databases)('John Deere field operations through the sync on $name', (database) => {
  let h: ApiHarness;
  const queued: Queued[] = [];
  /** Paths of every provider request this process made (the emulator's field operation routes among them). */
  const requests: string[] = [];
  const onRequest = (message: unknown) => {
    const { request } = message as { request: { path: string } };
    requests.push(request.path);
  };

  beforeAll(async () => {
    h = await startApiHarness(database, {
      sandbox: true,
      sync: true,
      providerFileJobs: (inner) => ({
        async downloadProviderFile(job, options = {}) {
          queued.push({ job, runAt: options.runAt, at: Date.now() });
          // Brought forward: the wait Deere documents is read above, not sat through.
          await inner.downloadProviderFile(job);
        },
      }),
    });
    diagnostics.subscribe('undici:request:create', onRequest);
    await h.queue.start({ concurrency: 3 });
  });
  afterAll(async () => {
    diagnostics.unsubscribe('undici:request:create', onRequest);
    await h?.close();
  });

  const get = async (url: string) => {
    const r = await h.request({ method: 'GET', url });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  /** A user, a Deere sandbox account whose exports answer 202 `pendingAnswers` times, and its credentials POSTed. */
  const connect = async (pendingAnswers: number) => {
    const userId: string = (await h.request({ method: 'POST', url: USERS_API, payload: { name: 'grower' } })).json().id;
    expect((await h.request({ method: 'POST', url: `${CONFIGS_API}/${userId}`, payload: { customDataSync: false } })).statusCode).toBeLessThan(300);
    const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: 'john-deere' } });
    expect(account.statusCode).toBe(201);
    const accountId: string = account.json().id;
    const exports = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/exports`, payload: { pendingAnswers } });
    expect(exports.statusCode, exports.body).toBe(200);
    const posted = await h.request({ method: 'POST', url: `${USERS_API}/${userId}/john-deere-credentials`, payload: account.json().credentials });
    expect(posted.statusCode, posted.body).toBe(201);
    const view: EmulatedAccount = h.sandboxStore!.get(accountId)!.view;
    const connected = new Set(view.organizations.filter((o) => o.connected).map((o) => o.id));
    // Data sent wirelessly is a field operation only; uploaded files come from the Files API.
    const operations = view.operation.listFiles({ transfer: 'wireless', offset: 0, limit: 1000 }).files.filter((f) => connected.has(f.organizationId));
    const uploads = view.operation.listFiles({ transfer: 'upload', offset: 0, limit: 1000 }).files.filter((f) => connected.has(f.organizationId));
    return { userId, accountId, credentialId: posted.json().id as string, view, operations, uploads, fields: view.fields.filter((f) => connected.has(f.organizationId)) };
  };
  const filesSettled = (userId: string, count: number) => filesSettledOf(h, userId, count);
  const syncAgain = async (userId: string, credentialId: string): Promise<SyncRun> => {
    const before = (await h.services.sync.listRuns(credentialId)).length;
    expect((await h.request({ method: 'POST', url: `${FIELDS_API}/users/${userId}/fields/sync`, payload: {} })).statusCode).toBe(202);
    const [run] = await runsReaching(h, credentialId, before + 1);
    return run!;
  };
  const listingsOf = (paths: readonly string[]) => paths.filter((p) => /\/fields\/[^/]+\/fieldOperations/.test(p));
  /** Asks of `GET /fieldOps/{id}`; the pre-signed download of a ready export is under `/blobs/`. */
  const exportsOf = (paths: readonly string[], operationId?: string) => paths.filter((p) => p.includes(`/fieldOps/${operationId ?? ''}`) && !p.includes('/blobs/'));
  const presignedOf = (paths: readonly string[], operationId: string) => paths.filter((p) => p.includes(`/fieldOps/${operationId}`) && p.includes('/blobs/'));
  /**
   * Checks that the download of `providerId` queued itself again after each 202 for Deere's wait
   * before the next poll (5 s doubling): the k-th wait was counted from a moment after the
   * previous queueing and before this one.
   */
  const expectPolledAtDeereWaits = (providerId: string, polls: number) => {
    const calls = queued.filter((q) => q.job.providerId === providerId);
    expect(calls.map((q) => q.job.polls)).toEqual([undefined, ...Array.from({ length: polls }, (_, i) => i + 1)]);
    expect(calls[0]!.runAt).toBeUndefined();
    for (let k = 1; k <= polls; k++) {
      const wait = DEERE_EXPORT_BASE_DELAY_MS * 2 ** (k - 1);
      const countedFrom = calls[k]!.runAt!.getTime() - wait;
      expect(countedFrom).toBeGreaterThanOrEqual(calls[k - 1]!.at);
      expect(countedFrom).toBeLessThanOrEqual(calls[k]!.at);
    }
  };

  const state = {} as Awaited<ReturnType<typeof connect>>;

  it("brings a default account's field operations in as provider files of their operation type, converted by the pipeline, after polling each export's 202s at Deere's documented waits", async () => {
    Object.assign(state, await connect(2));
    const [run] = await runsReaching(h, state.credentialId, 1);
    expect(run!.status, JSON.stringify(run!.errors)).toBe('SUCCEEDED');
    expect(state.operations.length).toBeGreaterThan(0);
    expect(state.uploads.length).toBeGreaterThan(0);
    // Uploaded files from the Files API (decimal ids), the rest as field operations: none twice.
    expect(run!.counts.files).toEqual({ created: state.uploads.length + state.operations.length, updated: 0, unchanged: 0, deleted: 0 });

    const files = await filesSettled(state.userId, state.uploads.length + state.operations.length);
    for (const upload of state.uploads) expect(files.filter((f) => f.providerFileId === upload.number || f.providerFileId === `${DEERE_FIELD_OPERATION_PREFIX}${upload.id}`).map((f) => f.providerFileId)).toEqual([upload.number]);
    const byProviderId = new Map(files.map((f) => [f.providerFileId, f]));
    for (const operation of state.operations) {
      const providerId = `${DEERE_FIELD_OPERATION_PREFIX}${operation.id}`;
      const file = byProviderId.get(providerId);
      expect(file, `field operation ${operation.id} in GET /files`).toBeDefined();
      expect(file).toMatchObject({ origin: 'provider', provider: 'JohnDeere', operationType: OPERATION_TYPES[operation.operation], status: 'processed' });
      const steps = await get(`${FILES_API}/${file!.id}/status`);
      expect(steps.standardGeojson, JSON.stringify(steps)).toEqual({ status: 'processed', message: 'ok' });
      // Asked, polled after 5 s, after 10 s more, then followed to the pre-signed URL.
      expectPolledAtDeereWaits(providerId, 2);
      expect(exportsOf(requests, operation.id)).toHaveLength(3);
      expect(presignedOf(requests, operation.id)).toHaveLength(1);
    }
    // One listing per field of the connected organizations: Deere has no organization-wide one.
    expect(listingsOf(requests)).toHaveLength(state.fields.length);
  });

  it("lists no field's operations and queues no export on a re-sync with nothing changed", async () => {
    const queuedBefore = queued.length;
    const from = requests.length;
    const run = await syncAgain(state.userId, state.credentialId);
    expect(run.status, JSON.stringify(run.errors)).toBe('SUCCEEDED');
    expect(run.counts.files).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(queued.length).toBe(queuedBefore);
    expect(listingsOf(requests.slice(from))).toEqual([]);
    expect(exportsOf(requests.slice(from))).toEqual([]);
  });

  it("brings a new operation on a field in once the field changes, listing only that field's operations from its cursor", async () => {
    const field = state.fields[0]!;
    const added = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${state.accountId}/files`, payload: { fieldId: field.id, operation: 'seeding', format: 'isoxml', points: 40, transfer: 'wireless' } });
    expect(added.statusCode, added.body).toBe(201);
    const operationId: string = added.json().id;
    const providerId = `${DEERE_FIELD_OPERATION_PREFIX}${operationId}`;

    // The field itself is unchanged: its operations are not listed (the price of not listing every
    // field on every run); sent wirelessly, it is in no Files API listing either.
    let from = requests.length;
    const quiet = await syncAgain(state.userId, state.credentialId);
    expect(quiet.counts.files).toMatchObject({ created: 0, updated: 0 });
    expect(listingsOf(requests.slice(from))).toEqual([]);
    expect(queued.some((q) => q.job.providerId === providerId)).toBe(false);

    const redrawn = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${state.accountId}/boundaries/${field.id}`, payload: {} });
    expect(redrawn.statusCode, redrawn.body).toBe(201);
    from = requests.length;
    const changed = await syncAgain(state.userId, state.credentialId);
    expect(changed.counts.files).toMatchObject({ created: 1, updated: 0 });
    expect(listingsOf(requests.slice(from))).toEqual([expect.stringContaining(`/fields/${field.id}/fieldOperations`)]);
    const files = await filesSettled(state.userId, state.uploads.length + state.operations.length + 1);
    expect(files.find((f) => f.providerFileId === providerId)).toMatchObject({ origin: 'provider', operationType: 'planted', status: 'processed' });
    expectPolledAtDeereWaits(providerId, 2);
  });

  it("ends an export Deere never finishes as a failed file with the reason, after Deere's last documented poll", async () => {
    const account = await connect(1_000_000);
    const [run] = await runsReaching(h, account.credentialId, 1);
    expect(run!.status, JSON.stringify(run!.errors)).toBe('SUCCEEDED');
    const files = await filesSettled(account.userId, account.uploads.length + account.operations.length);
    for (const operation of account.operations) {
      const providerId = `${DEERE_FIELD_OPERATION_PREFIX}${operation.id}`;
      const file = files.find((f) => f.providerFileId === providerId);
      expect(file).toMatchObject({ origin: 'provider', status: 'failed' });
      const steps = await get(`${FILES_API}/${file!.id}/status`);
      expect(steps.originalFile.status).toBe('failed');
      expect(steps.originalFile.message).toMatch(new RegExp(`still preparing the shapefile export of field operation ${operation.id} after ${DEERE_EXPORT_MAX_POLLS + 1} requests`));
      // Asked once and polled DEERE_EXPORT_MAX_POLLS times, each after Deere's wait; never again.
      expectPolledAtDeereWaits(providerId, DEERE_EXPORT_MAX_POLLS);
      expect(exportsOf(requests, operation.id)).toHaveLength(DEERE_EXPORT_MAX_POLLS + 1);
      expect(presignedOf(requests, operation.id)).toEqual([]);
    }
    // The uploaded files are unaffected.
    for (const upload of account.uploads) expect(files.find((f) => f.providerFileId === upload.number)).toMatchObject({ status: 'processed' });
  });
});
