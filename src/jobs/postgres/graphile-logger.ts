import { Logger as GraphileLogger } from 'graphile-worker';
import type { QueueLogger } from '../queue.js';

/**
 * graphile-worker's log lines, sent to the queue's pino logger. Its per-job lines ("Completed
 * task", "Failed task") drop to debug: `executeJob` already logs every outcome once, with the
 * attempt and the backoff, and the job rows it attaches would bloat every line.
 */
export function graphileLogger(logger: QueueLogger): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields: Record<string, unknown> = { graphileWorker: scope.label ?? true };
    if (scope.workerId !== undefined) fields.workerId = scope.workerId;
    if (meta?.error !== undefined) fields.err = meta.error;
    if (meta?.failure === true || meta?.success === true) {
      logger.debug(fields, message);
      return;
    }
    switch (String(level)) {
      case 'error':
        logger.error(fields, message);
        break;
      case 'warning':
        logger.warn(fields, message);
        break;
      case 'info':
        logger.info(fields, message);
        break;
      default:
        logger.debug(fields, message);
    }
  });
}
