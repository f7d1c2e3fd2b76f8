/**
 * Alerts (SPEC section 9; leaf-api.md 5): webhooks of an API owner, and the delivery of every event
 * Furrow raises to them.
 *
 * The outbox. Every part of Furrow raises alerts through one function, `emit(uow, event)`, inside
 * the database transaction of the change that causes the event: the delivery row is committed
 * exactly when the change is, so an alert is never lost and never sent for a change that rolled
 * back. Once committed, the webhook's drain is woken through the job queue; a sweeper wakes any
 * drain whose wake-up a crash lost.
 *
 * The drain. A `deliver-alerts` job drains one webhook: under a lease on the webhook row (a
 * compare-and-set, so one process at a time), it sends the webhook's deliveries one by one in the
 * order they were emitted, each signed over its exact bytes. A failed delivery stops the webhook's
 * queue until its next retry (order is kept per webhook; other webhooks are not affected); when its
 * retry points are used up it becomes a failed-call record and the queue moves on. A drain that
 * finds the lease taken sets `drain_requested`, and the holder looks again before letting go, so
 * a delivery committed while the holder was finishing is never left behind.
 *
 * Delivery is at least once: a process that dies after a receiver answered but before the row
 * was deleted sends it again, with the same `webhook-id`, which receivers use to drop repeats.
 * Order is the outbox's numbering; on PostgreSQL two transactions numbered 5 and 6 may commit as 6
 * then 5, and a drain between the two commits sends 6 first: the events were concurrent, and they
 * still go out in commit order, never lost.
 */
import crypto from 'node:crypto';
import {
  ALERT_CATALOGUE,
  CONFIRMATION_PAYLOAD,
  CONFIRMATION_TYPE,
  CircuitBreakers,
  DEFAULT_CIRCUIT_BREAKER,
  LEAF_EVENTS_NOT_PRODUCED,
  alertPayload,
  alertTimestamp,
  classifyDelivery,
  generateWebhookSecret,
  isAlertEventType,
  nextAttemptAt,
  retryOffsetsMs,
  serializeAlert,
  signatureHeaders,
  type AlertEvent,
  type AlertEventType,
  type AlertSender,
  type CircuitBreakerOptions,
  type DeliveryVerdict,
} from '../alerts/index.js';
import { FurrowError, maskSecret, nowIso, type FieldError, type OwnerContext, type Page, type PageRequest } from '../domain/index.js';
import { secretAad, type SecretBox } from '../keys/index.js';
import type { AlertOutboxRepository, FailedCallWithOwner, OutboxEntry } from '../storage/repositories/alert-outbox.js';
import { WEBHOOK_SORT_FIELDS, type AlertWebhookRecord, type AlertWebhooksRepository, type WebhookSortField } from '../storage/repositories/alert-webhooks.js';
import type { Transact, UnitOfWork } from '../storage/unit-of-work.js';
import type { SecretKeysService } from './secret-keys.js';

export { WEBHOOK_SORT_FIELDS, type WebhookSortField };
export { ALERT_EVENT_TYPES } from '../alerts/index.js';

/** What the alerts service asks of the job queue; `jobs/alert-jobs.ts` implements it. */
export interface AlertJobs {
  /** Makes sure a drain of the webhook is pending, due at `runAt` (default now). */
  wake(webhookId: string, runAt?: Date): Promise<void>;
  /** Removes the webhook's pending drain. */
  cancel(webhookId: string): Promise<void>;
}

/**
 * How every part of Furrow raises alerts: run the change in `transact`, and call `emit` with the
 * unit of work. The event is delivered if and only if the transaction commits.
 */
export interface AlertOutbox {
  transact: Transact;
  /** Adds the event to the outbox of the webhook that listens to it, if any, in the caller's transaction. */
  emit(uow: UnitOfWork, event: AlertEvent): Promise<void>;
}

/** A webhook as the API shows it (leaf-api.md 5.1); `secret` is masked except in the creation answer. */
export interface WebhookView {
  id: string;
  events: string[];
  name: string;
  secret: string;
  url: string;
  createdTime: string;
}

/** One of Leaf's failed calls (leaf-api.md 5.3), plus the webhook, event and attempts. */
export interface FailedCallView {
  apiOwner: string;
  createdAt: string;
  url: string;
  status?: number;
  response?: string;
  requestBody: string;
  connectionError?: string;
  webhookId: string;
  eventId: string;
  type: string;
  attempts: number;
}

export interface CreateWebhookInput {
  events: string[];
  name: string;
  url: string;
  /** Absent: Furrow generates one (`whsec_…`) and returns it once. */
  secret?: string;
}

/** What one drain did. */
export interface DrainReport {
  /** `idle`: nothing left; `later`: the next delivery waits (retry or circuit); `yielded`: more due, job re-enqueued; `handed-over`: another process holds the lease and will look again; `gone`: the webhook was deleted; `stopped`: shutdown or lost lease. */
  outcome: 'idle' | 'later' | 'yielded' | 'handed-over' | 'gone' | 'stopped';
  delivered: number;
  failed: number;
}

export interface AlertsService extends AlertOutbox {
  createWebhook(owner: OwnerContext, input: CreateWebhookInput): Promise<WebhookView>;
  getWebhook(owner: OwnerContext, id: string): Promise<WebhookView>;
  listWebhooks(owner: OwnerContext, page: PageRequest<WebhookSortField>): Promise<Page<WebhookView>>;
  deleteWebhook(owner: OwnerContext, id: string): Promise<void>;
  failedCalls(owner: OwnerContext, page: PageRequest): Promise<Page<FailedCallView>>;
  /** The worker's entry point: delivers the webhook's due deliveries in order. */
  drain(webhookId: string, options?: { signal?: AbortSignal }): Promise<DrainReport>;
  /** Wakes the drain of every webhook whose next delivery is due and whose lease is free; returns how many. */
  wakeDueDrains(): Promise<number>;
  /** Deletes failed-call records older than 30 days; returns how many. */
  purgeFailedCalls(now?: number): Promise<number>;
  /** Closes the sender's kept-alive connections. */
  close(): void;
}

export interface AlertsServiceOptions {
  webhooks: AlertWebhooksRepository;
  outbox: AlertOutboxRepository;
  transact: Transact;
  secretBox: SecretBox;
  secretKeys?: Pick<SecretKeysService, 'refreshCurrentVersion'>;
  jobs: AlertJobs;
  sender: AlertSender;
  /** `FURROW_ALERT_RETRY_SCALE`: multiplies Leaf's retry points (and the circuit's open time). */
  retryScale: number;
  clock?: () => number;
  /** How long a drain lease lasts without renewal; longer than one delivery's timeout. */
  leaseMs?: number;
  /** A drain hands its worker back after this long and re-enqueues itself, so busy webhooks share workers. */
  drainBudgetMs?: number;
  breaker?: Partial<CircuitBreakerOptions>;
  /** Where failures that have no caller to go to are reported (a lost wake-up, which the sweeper repairs). */
  onError?: (error: unknown, context: string) => void;
}

const DAY_MS = 86_400_000;
const FAILED_CALL_RETENTION_MS = 30 * DAY_MS;
const MAX_EVENTS = 50;

const webhookAad = (id: string) => secretAad('alert_webhooks', id, 'secret');

type PassOutcome = { kind: 'idle' } | { kind: 'later'; at: number } | { kind: 'yield' } | { kind: 'gone' } | { kind: 'stopped' };

export function alertsService(options: AlertsServiceOptions): AlertsService {
  const { webhooks, outbox, transact, secretBox, jobs, sender } = options;
  const clock = options.clock ?? Date.now;
  const iso = (ms: number) => new Date(ms).toISOString();
  const leaseMs = options.leaseMs ?? 60_000;
  const drainBudgetMs = options.drainBudgetMs ?? 5_000;
  const offsets = retryOffsetsMs(options.retryScale);
  const breakers = new CircuitBreakers({ ...DEFAULT_CIRCUIT_BREAKER, openMs: offsets[0]!, now: clock, ...options.breaker });
  const onError = options.onError ?? (() => {});
  const processId = crypto.randomUUID();

  // Wake-ups are coalesced per webhook until the next turn of the event loop: a burst of emits
  // enqueues one drain, not one per event. A wake-up issued after a commit runs after it, so no
  // commit is missed.
  const pendingWakes = new Set<string>();
  let flushScheduled = false;
  const wakeSoon = (webhookId: string) => {
    pendingWakes.add(webhookId);
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      const ids = [...pendingWakes];
      pendingWakes.clear();
      for (const id of ids) jobs.wake(id).catch((error: unknown) => onError(error, `waking the alert drain of webhook ${id}; the sweeper will`));
    });
  };

  const view = (record: AlertWebhookRecord, secret: string): WebhookView => ({
    id: record.id,
    events: record.events,
    name: record.name,
    secret,
    url: record.url,
    createdTime: record.createdAt,
  });
  const maskedView = (record: AlertWebhookRecord) => view(record, maskSecret(secretBox.decrypt(record.secret, webhookAad(record.id))));

  const failedCallView = (call: FailedCallWithOwner): FailedCallView => ({
    apiOwner: call.ownerEmail,
    createdAt: call.createdAt,
    url: call.url,
    ...(call.status === null ? {} : { status: call.status }),
    ...(call.response === null ? {} : { response: call.response }),
    requestBody: call.requestBody,
    ...(call.connectionError === null ? {} : { connectionError: call.connectionError }),
    webhookId: call.webhookId,
    eventId: call.eventId,
    type: call.eventType,
    attempts: call.attempts,
  });

  /** The events of a registration, each known and produced by Furrow; duplicates dropped. */
  const checkEvents = (events: string[]): AlertEventType[] => {
    const fieldErrors: FieldError[] = [];
    events.forEach((name, i) => {
      if (isAlertEventType(name)) return;
      const notProduced = LEAF_EVENTS_NOT_PRODUCED[name];
      fieldErrors.push({
        field: `body.events[${i}]`,
        message: notProduced !== undefined ? `"${name}" is a Leaf event Furrow never sends: ${notProduced}` : `"${name}" is not an alert event; expected one of ${Object.keys(ALERT_CATALOGUE).join(', ')}`,
      });
    });
    if (fieldErrors.length > 0) throw new FurrowError('validation_failed', `Invalid request: ${fieldErrors.map((f) => `${f.field} ${f.message}`).join('; ')}`, { fieldErrors });
    const unique = [...new Set(events)] as AlertEventType[];
    if (unique.length === 0 || unique.length > MAX_EVENTS) {
      throw new FurrowError('validation_failed', `A webhook listens to 1 to ${MAX_EVENTS} events; found ${unique.length}.`, { fieldErrors: [{ field: 'body.events', message: `must name 1 to ${MAX_EVENTS} events` }] });
    }
    return unique;
  };

  const registeredTwice = (events: string[], taken: { event: string; webhookId: string }[]) =>
    new FurrowError(
      'eventRegisteredTwice',
      `Another webhook already listens to ${taken.map((t) => `${t.event} (webhook ${t.webhookId})`).join(', ')}; an API owner has one webhook per event. Delete that webhook first, or leave the event out.`,
      { fieldErrors: taken.map((t) => ({ field: `body.events[${events.indexOf(t.event)}]`, message: `is already registered by webhook ${t.webhookId}` })) },
    );

  /** The Standard Webhooks id and timestamp and both signatures, for one attempt. */
  const headersFor = (secret: string, entry: OutboxEntry) => signatureHeaders(secret, entry.eventId, clock(), entry.body);

  async function drainPass(webhookId: string, me: string, lease: { until: number }, started: number, signal: AbortSignal | undefined, report: DrainReport): Promise<PassOutcome> {
    const webhook = await webhooks.findById(webhookId);
    if (webhook === undefined) return { kind: 'gone' };
    const secret = secretBox.decrypt(webhook.secret, webhookAad(webhook.id));
    const origin = new URL(webhook.url).origin;
    const delivered: number[] = [];
    // A function, not a narrowed property read: the signal changes across awaits.
    const stopped = () => signal?.aborted === true;
    const flush = async () => {
      await outbox.deleteDelivered(delivered.splice(0));
    };
    for (;;) {
      const entries = await outbox.head(webhook.id);
      if (entries.length === 0) {
        await flush();
        return { kind: 'idle' };
      }
      for (const entry of entries) {
        let now = clock();
        if (stopped()) {
          await flush();
          return { kind: 'stopped' };
        }
        if (now - started > drainBudgetMs) {
          await flush();
          return { kind: 'yield' };
        }
        const due = Date.parse(entry.nextAttemptAt);
        if (due > now) {
          await flush();
          return { kind: 'later', at: due };
        }
        const admission = breakers.admit(origin);
        if (!admission.admitted) {
          await flush();
          return { kind: 'later', at: admission.retryAt };
        }
        if (lease.until - now < leaseMs / 2) {
          lease.until = now + leaseMs;
          if (!(await webhooks.renewDrain(webhook.id, me, iso(lease.until)))) {
            admission.release('unknown');
            await flush();
            return { kind: 'stopped' };
          }
        }
        const fact = await sender.send({ url: webhook.url, headers: headersFor(secret, entry), body: entry.body, ...(signal === undefined ? {} : { signal }) });
        if (stopped()) {
          // Stopped mid-call: not the receiver's fault, and the delivery stays for the next drain.
          admission.release('unknown');
          await flush();
          return { kind: 'stopped' };
        }
        now = clock();
        const verdict: DeliveryVerdict = classifyDelivery(fact, now);
        admission.release(verdict.health);
        if (verdict.kind === 'delivered') {
          delivered.push(entry.seq);
          report.delivered += 1;
          // Batched deletes: a crash re-sends at most this many (same webhook-id, so receivers can drop them).
          if (delivered.length >= 64) await flush();
          continue;
        }
        await flush();
        const next = verdict.kind === 'retry' ? nextAttemptAt(Date.parse(entry.createdAt), now, offsets, verdict.retryAfterMs) : undefined;
        if (next === undefined) {
          await outbox.giveUp(entry.seq, {
            id: crypto.randomUUID(),
            ownerId: entry.ownerId,
            webhookId: webhook.id,
            eventId: entry.eventId,
            eventType: entry.eventType,
            url: webhook.url,
            status: verdict.status ?? null,
            response: verdict.response ?? null,
            requestBody: entry.body,
            connectionError: verdict.error ?? null,
            attempts: entry.attempts + 1,
            createdAt: iso(now),
          });
          report.failed += 1;
          continue;
        }
        await outbox.postpone(entry.seq, entry.attempts + 1, iso(next), verdict.error ?? `HTTP ${verdict.status ?? '?'}`);
        return { kind: 'later', at: next };
      }
      await flush();
    }
  }

  const service: AlertsService = {
    transact,

    async emit(uow, event) {
      const subscriber = await webhooks.subscriberOf(uow, event.ownerId, event.type);
      if (subscriber === undefined) return;
      const now = clock();
      await outbox.insert(uow, {
        eventId: crypto.randomUUID(),
        ownerId: event.ownerId,
        webhookId: subscriber.id,
        eventType: event.type,
        body: serializeAlert(alertPayload(event, alertTimestamp(now))),
        createdAt: iso(now),
        nextAttemptAt: iso(now),
      });
      uow.afterCommit(() => wakeSoon(subscriber.id));
    },

    async createWebhook(owner, input) {
      const events = checkEvents(input.events);
      const target = await sender.checkTarget(input.url);
      if (!target.ok) {
        if (target.problem === 'invalid') {
          throw new FurrowError('validation_failed', `Invalid request: body.url ${target.reason}`, { fieldErrors: [{ field: 'body.url', message: target.reason }] });
        }
        throw new FurrowError('webhook_url_refused', `The webhook URL is refused: ${target.reason}.`, { fieldErrors: [{ field: 'body.url', message: target.reason }] });
      }
      const secret = input.secret ?? generateWebhookSecret();
      await options.secretKeys?.refreshCurrentVersion();
      const id = crypto.randomUUID();
      const now = clock();
      const record: AlertWebhookRecord = {
        id,
        ownerId: owner.ownerId,
        name: input.name,
        url: input.url,
        events,
        secret: secretBox.encrypt(secret, webhookAad(id)),
        keyVersion: secretBox.currentVersion,
        createdAt: iso(now),
      };
      try {
        await transact(async (uow) => {
          const taken = await webhooks.takenEvents(uow, owner.ownerId, events);
          if (taken.length > 0) throw registeredTwice(events, taken);
          await webhooks.insert(uow, record);
          // Leaf "immediately sends a confirmation message to your URL" (leaf-api.md 5.1): first in
          // the webhook's queue, signed and retried like any delivery. [I] Its answer does not
          // undo the registration; a failure shows in failed-calls.
          await outbox.insert(uow, {
            eventId: crypto.randomUUID(),
            ownerId: owner.ownerId,
            webhookId: id,
            eventType: CONFIRMATION_TYPE,
            body: serializeAlert(CONFIRMATION_PAYLOAD),
            createdAt: iso(now),
            nextAttemptAt: iso(now),
          });
          uow.afterCommit(() => wakeSoon(id));
        });
      } catch (error) {
        if (!webhooks.isEventTaken(error)) throw error;
        // Another registration of the same event committed between our check and our insert.
        const taken = await transact((uow) => webhooks.takenEvents(uow, owner.ownerId, events));
        throw registeredTwice(events, taken.length > 0 ? taken : events.map((event) => ({ event, webhookId: 'unknown' })));
      }
      return view(record, secret);
    },

    async getWebhook(owner, id) {
      const record = await webhooks.findForOwner(owner.ownerId, id);
      if (record === undefined) throw new FurrowError('not_found', `No webhook with id ${id}.`);
      return maskedView(record);
    },

    async listWebhooks(owner, page) {
      const found = await webhooks.listForOwner(owner.ownerId, page);
      return { total: found.total, items: found.items.map(maskedView) };
    },

    async deleteWebhook(owner, id) {
      // Its registrations and undelivered deliveries go with it (ON DELETE CASCADE); its failed calls stay.
      if (!(await webhooks.deleteForOwner(owner.ownerId, id))) throw new FurrowError('not_found', `No webhook with id ${id}.`);
      await jobs.cancel(id).catch((error: unknown) => onError(error, `cancelling the drain of deleted webhook ${id}`));
    },

    async failedCalls(owner, page) {
      const found = await outbox.listFailedCalls(owner.ownerId, page);
      return { total: found.total, items: found.items.map(failedCallView) };
    },

    async drain(webhookId, { signal } = {}) {
      const report: DrainReport = { outcome: 'idle', delivered: 0, failed: 0 };
      const me = `${processId}:${crypto.randomUUID()}`;
      const lease = { until: clock() + leaseMs };
      for (;;) {
        if (await webhooks.tryAcquireDrain(webhookId, me, iso(clock()), iso(lease.until))) break;
        if (await webhooks.requestDrain(webhookId, iso(clock()))) return { ...report, outcome: 'handed-over' };
        // Neither: the lease was let go in between (take it now), or the webhook is gone.
        if ((await webhooks.findById(webhookId)) === undefined) return { ...report, outcome: 'gone' };
      }
      const started = clock();
      try {
        for (;;) {
          await webhooks.clearDrainRequest(webhookId, me);
          const outcome = await drainPass(webhookId, me, lease, started, signal, report);
          switch (outcome.kind) {
            case 'gone':
              return { ...report, outcome: 'gone' };
            case 'stopped':
              await webhooks.releaseDrain(webhookId, me, false);
              return { ...report, outcome: 'stopped' };
            case 'idle':
              // Let go only if nobody committed a delivery and asked meanwhile; else look again.
              if (await webhooks.releaseDrain(webhookId, me, true)) return { ...report, outcome: 'idle' };
              break;
            case 'later':
              // Everything queued waits for the head, so one wake-up at its time serves every
              // request made meanwhile. Let go first, then enqueue: whichever drain runs next can
              // take the lease, and a wake-up racing ours only moves the head's check earlier.
              await webhooks.releaseDrain(webhookId, me, false);
              await jobs.wake(webhookId, new Date(outcome.at));
              return { ...report, outcome: 'later' };
            case 'yield':
              await webhooks.releaseDrain(webhookId, me, false);
              await jobs.wake(webhookId);
              return { ...report, outcome: 'yielded' };
          }
        }
      } catch (error) {
        await webhooks.releaseDrain(webhookId, me, false).catch(() => {});
        throw error;
      }
    },

    async wakeDueDrains() {
      const due = await outbox.dueWebhooks(nowIso(clock), 1000);
      for (const id of due) await jobs.wake(id);
      return due.length;
    },

    async purgeFailedCalls(now = clock()) {
      return outbox.purgeFailedCallsBefore(iso(now - FAILED_CALL_RETENTION_MS));
    },

    close() {
      sender.close();
    },
  };
  return service;
}
