import { describe, expect, it } from 'vitest';
import { ALERT_CATALOGUE, ALERT_EVENT_TYPES, LEAF_EVENTS_NOT_PRODUCED, alertPayload, alertTimestamp, credentialAlert, isAlertEventType } from './event-catalogue.js';
import { serializeAlert } from './serialize-alert.js';

/** Leaf's subscribable list and events page (leaf-api.md 5.4). */
const LEAF_EVENTS = [
  'credentialsLimitedPermission', 'credentialsUnauthenticated', 'fieldCreated', 'fieldBoundaryCreated', 'fieldBoundaryUpdated',
  'uploadedFileProcessingFinished', 'uploadedFileProcessingFailed', 'providerFileProcessingFinished', 'providerFileProcessingFailed',
  'mergedFileProcessingFinished', 'mergedFileProcessingFailed', 'automergedFileProcessingFinished', 'automergedFileProcessingFailed',
  'operationCreated', 'operationUpdated', 'operationProcessingFinished', 'newSatelliteImage', 'machineCreated', 'machineUpdated',
  'machineDeleted', 'fieldUpdated', 'mergedFieldCreated', 'mergedFieldUpdated', 'batchUploadProcessingFinished',
  'satelliteSubscriptionFailed', 'newIrrigationActivity', 'newFieldIrrigationActivity', 'implementCreated', 'implementUpdated',
];

describe('the alert event catalogue', () => {
  it("holds every Leaf event, either in the catalogue or refused with the reason Furrow cannot produce it", () => {
    for (const event of LEAF_EVENTS) {
      const known = isAlertEventType(event) || LEAF_EVENTS_NOT_PRODUCED[event] !== undefined;
      expect(known, event).toBe(true);
    }
    for (const event of ALERT_EVENT_TYPES.filter((t) => ALERT_CATALOGUE[t].origin === 'leaf')) expect(LEAF_EVENTS).toContain(event);
  });

  it("has Furrow's additions of SPEC section 3", () => {
    for (const event of ['credentialsRecovered', 'credentialsCreated', 'credentialsDeleted', 'syncCompleted']) {
      expect(isAlertEventType(event) && ALERT_CATALOGUE[event].origin).toBe('furrow');
    }
  });

  it("writes Leaf's timestamp form with microseconds", () => {
    expect(alertTimestamp(Date.parse('2024-06-15T14:30:00.123Z'))).toBe('2024-06-15T14:30:00.123000Z');
  });

  it('builds a credential alert with the keys Leaf documents, in order, closed by type and timestamp', () => {
    const event = credentialAlert({
      type: 'credentialsUnauthenticated',
      ownerId: 'o',
      credentialId: 'c-1',
      userId: 'u-1',
      status: 'UNAUTHENTICATED',
      provider: { apiName: 'JohnDeere', name: 'John Deere' },
      credential: 'client-id',
      reason: 'grant_rejected',
    });
    const body = serializeAlert(alertPayload(event, '2024-06-15T14:30:00.000000Z'));
    expect(Object.keys(JSON.parse(body))).toEqual(['credential', 'provider', 'credentialId', 'leafUserId', 'message', 'status', 'type', 'timestamp']);
    expect(body).toMatch(/^\{"credential": "client-id", "provider": "JohnDeere", "credentialId": "c-1", "leafUserId": "u-1", "message": "John Deere rejected .*grant_rejected.*", "status": "UNAUTHENTICATED", "type": "credentialsUnauthenticated", "timestamp": "2024-06-15T14:30:00.000000Z"\}$/);
  });

  it("keeps the key order of Leaf's real payloads where they show one", () => {
    const file = alertPayload({ type: 'automergedFileProcessingFinished', ownerId: 'o', fields: { fileId: 'f', leafUserId: 'u' } }, 't');
    expect(Object.keys(file)).toEqual(['leafUserId', 'fileId', 'type', 'timestamp']);
    const field = alertPayload({ type: 'fieldCreated', ownerId: 'o', fields: { fieldId: 'f', leafUserId: 'u', source: 'SYNC' } }, 't');
    expect(Object.keys(field)).toEqual(['source', 'leafUserId', 'fieldId', 'type', 'timestamp']);
  });
});
