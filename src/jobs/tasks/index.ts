/** @module Every task the workers run, keyed by task id (= its file name here); a test checks each file is listed. */
import type { Services } from '../../services/index.js';
import type { TaskList } from '../queue.js';
import { purgeCredentialEvents, purgeCredentialEventsDaily } from './purge-credential-events.js';
import { purgeFailedJobs, purgeFailedJobsDaily } from './purge-failed-jobs.js';
import { refreshCredential } from './refresh-credential.js';
import { deliverAlerts } from './deliver-alerts.js';
import { purgeAlertFailedCalls, purgeAlertFailedCallsDaily } from './purge-alert-failed-calls.js';
import { sweepAlertOutbox, sweepAlertOutboxEvery30s } from './sweep-alert-outbox.js';
import { processMachineFileBatch } from './process-machine-file-batch.js';
import { mergeMachineFiles } from './merge-machine-files.js';
import { purgeMagicLinks, purgeMagicLinksDaily } from './purge-magic-links.js';
import { refreshFieldOperations } from './refresh-field-operations.js';
import { buildFieldOperation } from './build-field-operation.js';
import { syncCredential } from './sync-credential.js';
import { enqueueScheduledSyncs, enqueueScheduledSyncsEvery15m } from './enqueue-scheduled-syncs.js';
import { downloadProviderFile } from './download-provider-file.js';

/**
 * The task list for `createJobQueue`. Tasks that call use cases get them from `services` here,
 * so each task file declares what it needs and the queue itself knows no service.
 */
export function createTasks(services: Services) {
  return {
    'purge-failed-jobs': purgeFailedJobs,
    'refresh-credential': refreshCredential(services.credentials),
    'purge-credential-events': purgeCredentialEvents(services.credentials),
    'deliver-alerts': deliverAlerts(services.alerts),
    'sweep-alert-outbox': sweepAlertOutbox(services.alerts),
    'purge-alert-failed-calls': purgeAlertFailedCalls(services.alerts),
    'process-machine-file-batch': processMachineFileBatch(services.machineFiles),
    'merge-machine-files': mergeMachineFiles(services.machineFiles),
    'purge-magic-links': purgeMagicLinks(services.magicLinks),
    'refresh-field-operations': refreshFieldOperations(services.fieldOperations),
    'build-field-operation': buildFieldOperation(services.fieldOperations),
    'sync-credential': syncCredential(services.sync),
    'enqueue-scheduled-syncs': enqueueScheduledSyncs(services.syncSchedule),
    'download-provider-file': downloadProviderFile(services.providerFiles),
  } satisfies TaskList;
}

export type FurrowTasks = ReturnType<typeof createTasks>;

/** Recurring jobs every worker process registers with `queue.schedule()` before `start()`. */
export const schedules = [purgeFailedJobsDaily, purgeCredentialEventsDaily, sweepAlertOutboxEvery30s, purgeAlertFailedCallsDaily, purgeMagicLinksDaily, enqueueScheduledSyncsEvery15m] as const;
