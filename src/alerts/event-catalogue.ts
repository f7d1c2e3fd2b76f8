/**
 * The alert events Furrow sends (SPEC section 9): Leaf's events that Furrow can produce
 * (leaf-api.md 5.4), Furrow's additions (SPEC section 3), the keys of each payload in the order
 * they go on the wire, and the builders that every part of Furrow uses to describe an event.
 *
 * Key order matters only because signatures cover the exact bytes. Where Leaf's real payloads
 * show an order (failed-calls samples: `leafUserId, fileId, type, timestamp` and `source,
 * leafUserId, fieldId, type, timestamp`; the credential example: `credential, provider,
 * credentialId, message, status, type, timestamp`) it is kept; elsewhere [I] `leafUserId` comes
 * first, then the resource ids, then `message`. `type` and `timestamp` always close the payload.
 */

/** `credentialsUnauthenticated`, `credentialsLimitedPermission` and Furrow's other credential events. */
export interface CredentialAlertFields {
  /** Leaf: "the client identification", the provider's public client field; `null` when it has none. */
  credential: string | null;
  /** Leaf's API name of the provider (`JohnDeere`). */
  provider: string;
  credentialId: string;
  /** [I] Furrow addition: Leaf's credential alerts carry no user, which makes receivers look it up. */
  leafUserId: string;
  message: string;
  /** "the new status of the credential"; for `credentialsDeleted`, the status it had. */
  status: string;
}

export interface FieldAlertFields {
  /** `SYNC` for a field from a provider sync, `REST` for one created through the API. */
  source: 'SYNC' | 'REST';
  leafUserId: string;
  fieldId: string;
}

export interface BoundaryAlertFields {
  leafUserId: string;
  fieldId: string;
  boundaryId: string;
}

export interface BatchAlertFields {
  leafUserId: string;
  batchId: string;
}

export interface FileAlertFields {
  leafUserId: string;
  fileId: string;
}

export interface FileFailedAlertFields extends FileAlertFields {
  /** "details of what happened. May be empty". */
  message: string;
}

export interface OperationAlertFields {
  leafUserId: string;
  operationId: string;
}

/** Furrow's `syncCompleted`: one per credential and sync run (SPEC section 3), with counts. */
export interface SyncCompletedAlertFields {
  leafUserId: string;
  provider: string;
  credentialId: string;
  syncId: string;
  /** Resources created, updated and deleted by the run, by kind (`fields`, `files`, ...). */
  counts: Record<string, number>;
}

/** Every event type with the fields its payload carries besides `type` and `timestamp`. */
export interface AlertPayloads {
  credentialsUnauthenticated: CredentialAlertFields;
  credentialsLimitedPermission: CredentialAlertFields;
  credentialsRecovered: CredentialAlertFields;
  credentialsCreated: CredentialAlertFields;
  credentialsDeleted: CredentialAlertFields;
  syncCompleted: SyncCompletedAlertFields;
  fieldCreated: FieldAlertFields;
  fieldUpdated: FieldAlertFields;
  mergedFieldCreated: FieldAlertFields;
  mergedFieldUpdated: FieldAlertFields;
  fieldBoundaryCreated: BoundaryAlertFields;
  fieldBoundaryUpdated: BoundaryAlertFields;
  batchUploadProcessingFinished: BatchAlertFields;
  uploadedFileProcessingFinished: FileAlertFields;
  uploadedFileProcessingFailed: FileFailedAlertFields;
  providerFileProcessingFinished: FileAlertFields;
  providerFileProcessingFailed: FileFailedAlertFields;
  mergedFileProcessingFinished: FileAlertFields;
  mergedFileProcessingFailed: FileFailedAlertFields;
  automergedFileProcessingFinished: FileAlertFields;
  automergedFileProcessingFailed: FileFailedAlertFields;
  operationCreated: OperationAlertFields;
  operationUpdated: OperationAlertFields;
  operationProcessingFinished: OperationAlertFields;
}

export type AlertEventType = keyof AlertPayloads;

/** What the catalogue says about one event type. */
export interface AlertEventSpec<T extends AlertEventType = AlertEventType> {
  /** `leaf`: documented by Leaf (leaf-api.md 5.4); `furrow`: one of Furrow's additions (SPEC section 3). */
  origin: 'leaf' | 'furrow';
  /** The part of Furrow that raises it. */
  producer: 'credentials' | 'sync' | 'fields' | 'boundaries' | 'files' | 'batches' | 'operations';
  /** `emitted`: this release sends it; `planned`: subscribable now, sent once its producer exists. */
  availability: 'emitted' | 'planned';
  /** Payload keys besides `type` and `timestamp`, in wire order. */
  keys: readonly (keyof AlertPayloads[T] & string)[];
}

const CREDENTIAL_KEYS = ['credential', 'provider', 'credentialId', 'leafUserId', 'message', 'status'] as const;
const FIELD_KEYS = ['source', 'leafUserId', 'fieldId'] as const;
const BOUNDARY_KEYS = ['leafUserId', 'fieldId', 'boundaryId'] as const;
const FILE_KEYS = ['leafUserId', 'fileId'] as const;
const FILE_FAILED_KEYS = ['leafUserId', 'fileId', 'message'] as const;
const OPERATION_KEYS = ['leafUserId', 'operationId'] as const;

/** The catalogue: every event a webhook may subscribe to. */
export const ALERT_CATALOGUE: { readonly [T in AlertEventType]: AlertEventSpec<T> } = {
  credentialsUnauthenticated: { origin: 'leaf', producer: 'credentials', availability: 'emitted', keys: CREDENTIAL_KEYS },
  credentialsLimitedPermission: { origin: 'leaf', producer: 'credentials', availability: 'emitted', keys: CREDENTIAL_KEYS },
  credentialsRecovered: { origin: 'furrow', producer: 'credentials', availability: 'emitted', keys: CREDENTIAL_KEYS },
  credentialsCreated: { origin: 'furrow', producer: 'credentials', availability: 'emitted', keys: CREDENTIAL_KEYS },
  credentialsDeleted: { origin: 'furrow', producer: 'credentials', availability: 'emitted', keys: CREDENTIAL_KEYS },
  syncCompleted: { origin: 'furrow', producer: 'sync', availability: 'emitted', keys: ['leafUserId', 'provider', 'credentialId', 'syncId', 'counts'] },
  fieldCreated: { origin: 'leaf', producer: 'fields', availability: 'emitted', keys: FIELD_KEYS },
  fieldUpdated: { origin: 'leaf', producer: 'fields', availability: 'emitted', keys: FIELD_KEYS },
  mergedFieldCreated: { origin: 'leaf', producer: 'fields', availability: 'planned', keys: FIELD_KEYS },
  mergedFieldUpdated: { origin: 'leaf', producer: 'fields', availability: 'planned', keys: FIELD_KEYS },
  fieldBoundaryCreated: { origin: 'leaf', producer: 'boundaries', availability: 'emitted', keys: BOUNDARY_KEYS },
  fieldBoundaryUpdated: { origin: 'leaf', producer: 'boundaries', availability: 'emitted', keys: BOUNDARY_KEYS },
  batchUploadProcessingFinished: { origin: 'leaf', producer: 'batches', availability: 'emitted', keys: ['leafUserId', 'batchId'] },
  uploadedFileProcessingFinished: { origin: 'leaf', producer: 'files', availability: 'emitted', keys: FILE_KEYS },
  uploadedFileProcessingFailed: { origin: 'leaf', producer: 'files', availability: 'emitted', keys: FILE_FAILED_KEYS },
  providerFileProcessingFinished: { origin: 'leaf', producer: 'files', availability: 'emitted', keys: FILE_KEYS },
  providerFileProcessingFailed: { origin: 'leaf', producer: 'files', availability: 'emitted', keys: FILE_FAILED_KEYS },
  mergedFileProcessingFinished: { origin: 'leaf', producer: 'files', availability: 'emitted', keys: FILE_KEYS },
  mergedFileProcessingFailed: { origin: 'leaf', producer: 'files', availability: 'emitted', keys: FILE_FAILED_KEYS },
  automergedFileProcessingFinished: { origin: 'leaf', producer: 'files', availability: 'planned', keys: FILE_KEYS },
  automergedFileProcessingFailed: { origin: 'leaf', producer: 'files', availability: 'planned', keys: FILE_FAILED_KEYS },
  operationCreated: { origin: 'leaf', producer: 'operations', availability: 'emitted', keys: OPERATION_KEYS },
  operationUpdated: { origin: 'leaf', producer: 'operations', availability: 'emitted', keys: OPERATION_KEYS },
  operationProcessingFinished: { origin: 'leaf', producer: 'operations', availability: 'emitted', keys: OPERATION_KEYS },
};

export const ALERT_EVENT_TYPES = Object.keys(ALERT_CATALOGUE) as AlertEventType[];

/**
 * Leaf events that Furrow never produces, because their services are out of scope (SPEC section 3:
 * satellite, irrigation, beta machines and implements). Registering one is refused with this reason
 * rather than accepted and never sent.
 */
export const LEAF_EVENTS_NOT_PRODUCED: Readonly<Record<string, string>> = {
  newSatelliteImage: 'satellite imagery is out of scope',
  satelliteSubscriptionFailed: 'satellite imagery is out of scope',
  newIrrigationActivity: 'irrigation is out of scope',
  newFieldIrrigationActivity: 'irrigation is out of scope',
  machineCreated: 'machines (Leaf beta) are out of scope',
  machineUpdated: 'machines (Leaf beta) are out of scope',
  machineDeleted: 'machines (Leaf beta) are out of scope',
  implementCreated: 'implements (Leaf beta) are out of scope',
  implementUpdated: 'implements (Leaf beta) are out of scope',
};

export function isAlertEventType(name: string): name is AlertEventType {
  return Object.hasOwn(ALERT_CATALOGUE, name);
}

/**
 * One event as its producer describes it: the API owner whose webhooks hear it, and the payload
 * fields. `type` and `timestamp` are added when it enters the outbox.
 */
export type AlertEvent = { [T in AlertEventType]: { type: T; ownerId: string; fields: AlertPayloads[T] } }[AlertEventType];

/** Builds an event; the type parameter ties `fields` to `type`. */
export function alertEvent<T extends AlertEventType>(type: T, ownerId: string, fields: AlertPayloads[T]): AlertEvent {
  return { type, ownerId, fields } as AlertEvent;
}

/**
 * Leaf's timestamp form, `yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'` (leaf-api.md 5.4): microseconds, of
 * which Furrow's clock knows the first three.
 */
export function alertTimestamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, -1)}000Z`;
}

/** The payload object in wire order: the catalogue's keys, then `type`, then `timestamp`. */
export function alertPayload(event: AlertEvent, timestamp: string): Record<string, unknown> {
  const spec = ALERT_CATALOGUE[event.type] as AlertEventSpec;
  const fields = event.fields as unknown as Record<string, unknown>;
  const payload: Record<string, unknown> = {};
  for (const key of spec.keys) payload[key] = fields[key];
  payload.type = event.type;
  payload.timestamp = timestamp;
  return payload;
}

/** The body Leaf sends to a URL right after a webhook is registered (leaf-api.md 5.1, new-docs). */
export const CONFIRMATION_PAYLOAD = { message: 'confirmation of webhook upon registration' } as const;

/** The outbox's name for the confirmation message; not an event anyone subscribes to. */
export const CONFIRMATION_TYPE = 'webhookConfirmation';

/** The credential events and what each says to the developer reading it. */
export type CredentialAlertType = 'credentialsUnauthenticated' | 'credentialsLimitedPermission' | 'credentialsRecovered' | 'credentialsCreated' | 'credentialsDeleted';

export interface CredentialAlertInput {
  type: CredentialAlertType;
  ownerId: string;
  credentialId: string;
  userId: string;
  status: string;
  /** The provider's Leaf API name and human name. */
  provider: { apiName: string; name: string };
  /** The provider's client identification (`clientIdentityField` of the stored fields), if any. */
  credential: string | null;
  /** The status rule's reason (`grant_rejected`, `scope_missing`, ...) or the connect reason. */
  reason: string | null;
}

/** A credential alert with a message that says what happened and what to do. */
export function credentialAlert(input: CredentialAlertInput): AlertEvent {
  const { name } = input.provider;
  const why = input.reason === null ? '' : ` (${input.reason})`;
  const messages: Record<CredentialAlertType, string> = {
    credentialsUnauthenticated: `${name} rejected the credential's grant${why}; the grower must connect again.`,
    credentialsLimitedPermission: `${name} refused a call because a permission is missing${why}; the grower must grant it again.`,
    credentialsRecovered: `The ${name} credential works again${why}.`,
    credentialsCreated: `A ${name} credential was connected with status ${input.status}.`,
    credentialsDeleted: `The ${name} credential was deleted.`,
  };
  return alertEvent(input.type, input.ownerId, {
    credential: input.credential,
    provider: input.provider.apiName,
    credentialId: input.credentialId,
    leafUserId: input.userId,
    message: messages[input.type],
    status: input.status,
  });
}
