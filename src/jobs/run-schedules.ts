import { schedulePeriod, type SchedulePeriod } from './schedule-period.js';
import { FurrowError } from '../domain/errors.js';
import type { QueueLogger, ScheduleDefinition } from './queue.js';

/**
 * Fires each schedule at the start of each of its periods. `firePeriod` must claim the period in
 * the database with a compare-and-set (so two processes never both fire it) and enqueue the job in
 * the same transaction; it reports whether this process won. Timers only decide when to try.
 */
export function runSchedules(
  schedules: readonly ScheduleDefinition[],
  firePeriod: (schedule: ScheduleDefinition, period: SchedulePeriod) => Promise<boolean>,
  logger: QueueLogger,
): { stop(): void } {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const tick = async (schedule: ScheduleDefinition) => {
    if (stopped) return;
    const period = schedulePeriod(Date.now(), schedule.everyMs, schedule.offsetMs ?? 0);
    try {
      const fired = await firePeriod(schedule, period);
      if (fired) logger.debug({ schedule: schedule.name, period: period.index }, `schedule ${schedule.name} fired for the period starting ${new Date(period.startsAt).toISOString()}`);
    } catch (error) {
      logger.error({ schedule: schedule.name, err: error }, `schedule ${schedule.name} could not fire; trying again at its next period`);
    }
    if (stopped) return;
    // +1 ms so the timer lands inside the next period rather than at the end of this one.
    const timer = setTimeout(() => {
      timers.delete(timer);
      void tick(schedule);
    }, Math.max(1, period.nextAt - Date.now() + 1));
    timers.add(timer);
  };
  for (const schedule of schedules) void tick(schedule);
  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Rejects schedules that could never work, with the fix in the message. */
export function assertValidSchedule(schedule: ScheduleDefinition, existing: readonly ScheduleDefinition[]): void {
  if (!Number.isInteger(schedule.everyMs) || schedule.everyMs < 100) {
    throw new FurrowError('internal_error', `Schedule "${schedule.name}": expected everyMs to be a whole number of milliseconds of at least 100, found ${schedule.everyMs}.`);
  }
  const offset = schedule.offsetMs ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= schedule.everyMs) {
    throw new FurrowError('internal_error', `Schedule "${schedule.name}": expected offsetMs from 0 to everyMs - 1, found ${offset}.`);
  }
  if (existing.some((s) => s.name === schedule.name)) {
    throw new FurrowError('internal_error', `Schedule "${schedule.name}" is registered twice; schedule names must be unique.`);
  }
}
