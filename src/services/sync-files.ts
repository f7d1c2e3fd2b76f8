/**
 * The sync engine's machine-files step (issue 5; leaf-api.md 4.1 and 7.1): for one organization,
 * list the provider's files from the last change cursor, decide for each whether to fetch it, and
 * queue one `download-provider-file` job per new or changed file, so the workers share the
 * downloads. The decision follows the user's effective configuration: `operationsAutoSync` off
 * lists nothing, `operationsProcessingRange` leaves out files older than its months, and with
 * `customDataSync` a file whose fields are all still in PREVIEW waits for them.
 *
 * What was decided is remembered per file (`sync_records`, kind `file`) at the file's version, so
 * a re-sync with nothing changed queues nothing. The cursor moves only after the whole listing
 * was read and every job of it queued; the engine saves it at the end of the run.
 *
 * Where the provider lists some machine data per field only (John Deere's field operations), those
 * become files the same way, listed for the fields that changed (`syncFieldFiles`).
 */
import type { CredentialRecord, ConfigurationValues } from '../domain/index.js';
import type { AdapterContext, ProviderCredential } from '../providers/provider.js';
import type { ProviderSync, SyncMachineFile, SyncScope } from '../providers/sync-data.js';
import type { SyncCounts, SyncRecord, SyncRepository, SyncRun } from '../storage/repositories/sync.js';
import { providerFileBatchId, type ProviderFileJobs } from './provider-file-downloads.js';

export interface SyncFilesOptions {
  sync: Pick<SyncRepository, 'records' | 'saveRecord' | 'deleteRecord' | 'previewProviderFieldIds'>;
  jobs: ProviderFileJobs;
  clock?: () => number;
}

/** One organization's files in one run, as the engine calls the step. */
export interface SyncFilesInput {
  record: Pick<CredentialRecord, 'id' | 'ownerId' | 'userId'>;
  /** The provider's Leaf name (`JohnDeere`): the files' `provider`. */
  providerName: string;
  adapter: ProviderSync;
  organization: SyncScope;
  credential: ProviderCredential;
  ctx: AdapterContext;
  /** The run: `cursors[organization].files` is read and written, `counts.files` counted. */
  run: Pick<SyncRun, 'cursors' | 'counts'>;
  /** Called before each file: the engine's check for shutdown and renewal of its credential lease. */
  keepLease: () => Promise<void>;
  /** The user's effective configuration, as the run read it. */
  configuration: ConfigurationValues;
}

export interface SyncFilesStep {
  syncOrganization(input: SyncFilesInput): Promise<void>;
}

/** `local_id` of a file left out, instead of the batch id of one queued. */
export const SKIPPED_OUT_OF_RANGE = 'skipped:out-of-range';
export const SKIPPED_PREVIEW = 'skipped:preview';

/** What to do with one listed file, and why. */
export type FileDecision =
  | { fetch: false; reason: 'unchanged' }
  /** Created before `operationsProcessingRange` reaches back; remembered, not looked at again at this version. */
  | { fetch: false; reason: 'out-of-range' }
  /** customDataSync: every field of the file is a PREVIEW field; a later full listing brings it in. */
  | { fetch: false; reason: 'preview' }
  | { fetch: true; reason: 'new' | 'changed' };

/**
 * Decides one file. A file skipped for PREVIEW fields is decided again whenever it is listed, so
 * once its fields are enabled a full listing (no cursor) fetches it; the other decisions hold
 * until the provider changes the file (a new `version`).
 */
export function decideFile(file: Pick<SyncMachineFile, 'version' | 'createdTime' | 'fieldIds'>, previous: SyncRecord | undefined, rules: { notBefore: number; previewFields: ReadonlySet<string> }): FileDecision {
  if (previous?.version === file.version && previous.localId !== SKIPPED_PREVIEW) return { fetch: false, reason: 'unchanged' };
  const created = file.createdTime === undefined ? Number.NaN : Date.parse(file.createdTime);
  if (created < rules.notBefore) return { fetch: false, reason: 'out-of-range' };
  if (file.fieldIds.length > 0 && file.fieldIds.every((id) => rules.previewFields.has(id))) return { fetch: false, reason: 'preview' };
  return { fetch: true, reason: previous === undefined || previous.localId.startsWith('skipped:') ? 'new' : 'changed' };
}

/** The instant `months` calendar months before `now` (UTC); a day past the month's end becomes its last day. */
export function monthsBefore(now: number, months: number): number {
  const date = new Date(now);
  const month = date.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), month + 1, 0)).getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(month);
  date.setUTCDate(Math.min(new Date(now).getUTCDate(), lastDay));
  return date.getTime();
}

const zero = (): SyncCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0 });

/**
 * `sync_records` kind of the per-field listings (`ProviderSync.listFieldFiles`): per provider field,
 * `version` is the field's version when its files were last listed and `localId` that listing's
 * change cursor ('' when the provider gave none).
 */
export const FIELD_FILES_KIND = 'field-files';

export function syncFilesStep(deps: SyncFilesOptions): SyncFilesStep {
  const clock = deps.clock ?? Date.now;
  return {
    async syncOrganization(input) {
      const { record, organization, run } = input;
      const counts = (run.counts.files ??= zero());
      const { configuration } = input;
      // Off: nothing is listed and the cursor stays, so turning it on resumes where files stopped.
      if (!configuration.operationsAutoSync) return;

      const known = await deps.sync.records(record.id, 'file');
      const rules = {
        notBefore: monthsBefore(clock(), configuration.operationsProcessingRange),
        previewFields: configuration.customDataSync ? await deps.sync.previewProviderFieldIds(record.userId, input.providerName) : new Set<string>(),
      };
      const take = async (file: SyncMachineFile) => {
        await input.keepLease();
        const previous = known.get(file.providerId);
        const decision = decideFile(file, previous, rules);
        if (decision.reason === 'unchanged') {
          counts.unchanged += 1;
          return;
        }
        if (!decision.fetch) {
          // Still waiting for its PREVIEW fields, as last time: nothing to write.
          if (decision.reason === 'preview' && previous?.version === file.version) return;
          await deps.sync.saveRecord(record.id, 'file', file.providerId, { version: file.version, localId: decision.reason === 'preview' ? SKIPPED_PREVIEW : SKIPPED_OUT_OF_RANGE });
          return;
        }
        await deps.jobs.downloadProviderFile({
          credentialId: record.id,
          providerId: file.providerId,
          organizationId: organization.providerId,
          name: file.name,
          format: file.format,
          size: file.size,
          operationType: file.operationType,
          version: file.version,
        });
        // After the job is queued: a run that dies in between lists the file again and queues it
        // once more under the same job key, which replaces the pending job instead of adding one.
        const saved = { version: file.version, localId: providerFileBatchId(record.userId, input.providerName, file.providerId, file.version) };
        await deps.sync.saveRecord(record.id, 'file', file.providerId, saved);
        known.set(file.providerId, saved);
        counts[decision.reason === 'new' ? 'created' : 'updated'] += 1;
      };

      const since = run.cursors[organization.providerId]?.['files'];
      const listing = input.adapter.listFiles(input.credential, input.ctx, organization, { since });
      for await (const file of listing.items) await take(file);
      const cursor = listing.cursor();
      if (cursor !== undefined) run.cursors[organization.providerId] = { ...(run.cursors[organization.providerId] ?? {}), files: cursor };

      if (input.adapter.listFieldFiles !== undefined) await syncFieldFiles(input, input.adapter.listFieldFiles.bind(input.adapter), rules.previewFields, take);
    },
  };

  /**
   * Files the provider lists per field only (Deere's field operations have no organization-wide
   * listing, providers.md 1.6). Listing every field on every run would cost a call per field even
   * when nothing changed, so a field is listed only when it has no listing yet or its version
   * changed since its last one (from its own change cursor, so only new files come). The price: a
   * file added to a field that did not change waits for the field's next change.
   */
  async function syncFieldFiles(input: SyncFilesInput, listFieldFiles: NonNullable<ProviderSync['listFieldFiles']>, previewFields: ReadonlySet<string>, take: (file: SyncMachineFile) => Promise<void>): Promise<void> {
    const { record, organization } = input;
    const fields = await deps.sync.records(record.id, 'field');
    const listed = await deps.sync.records(record.id, FIELD_FILES_KIND);
    // The engine keeps a synced field's local id as `<organization>/<id>`.
    const prefix = `${organization.providerId}/`;
    for (const [fieldId, field] of fields) {
      if (!field.localId.startsWith(prefix)) continue;
      // customDataSync: a PREVIEW field's files wait; once enabled, it has no listing yet and gets a full one.
      if (previewFields.has(fieldId)) continue;
      const previous = listed.get(fieldId);
      if (previous?.version === field.version) continue;
      await input.keepLease();
      const listing = listFieldFiles(input.credential, input.ctx, organization, { providerId: fieldId }, { since: previous?.localId === '' ? undefined : previous?.localId });
      for await (const file of listing.items) await take(file);
      await deps.sync.saveRecord(record.id, FIELD_FILES_KIND, fieldId, { version: field.version, localId: listing.cursor() ?? '' });
    }
    // Listings of fields no longer synced are dropped, so a field that comes back is listed in full.
    for (const fieldId of listed.keys()) {
      if (!fields.has(fieldId)) await deps.sync.deleteRecord(record.id, FIELD_FILES_KIND, fieldId);
    }
  }
}
