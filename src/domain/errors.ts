/**
 * The one catalogue of Furrow's stable error codes. The domain throws `FurrowError` with a code;
 * only the HTTP edge (`api/problem.ts`) maps codes to statuses. `docs/errors.md` has one row per
 * code, checked by a test.
 */

export const ERROR_CODES = {
  validation_failed: 'The request body, query or path did not match the schema; `fieldErrors` names each field.',
  malformed_json: 'The request body is not valid JSON.',
  body_too_large: 'The request body is larger than the configured limit (FURROW_BODY_LIMIT_BYTES).',
  unsupported_media_type: 'The request body has a content type this route does not accept.',
  invalid_paging: 'A `page`, `size` or `sort` query parameter is out of range or names an unknown field.',
  authentication_required: 'The route needs `Authorization: Bearer <id_token>` and none was sent.',
  invalid_token: 'The bearer token is malformed, expired, or signed by another key.',
  provider_event_token_invalid: "A provider event delivery carries a subscription token Furrow did not issue for that provider, or one whose credential was deleted; nothing was queued. The provider's subscription is stale: the credential's next sync makes a new one.",
  bad_credentials: 'The username or password given to /api/authenticate is wrong.',
  not_found: 'No such resource for this API owner (another owner\'s ids answer the same).',
  route_not_found: 'No route matches the method and path.',
  external_id_taken: 'Another Leaf user of this API owner already has this `externalId`.',
  id_mismatch: 'The id in the body does not match the id in the path, or is missing where required.',
  configuration_invalid: 'A configuration value has the wrong type or is out of range; API-owner values cannot be null.',
  configuration_exists: 'The Leaf user already has a configuration; use PATCH to change it.',
  api_owner_exists: 'An API owner with this email already exists.',
  secret_undecryptable: 'A stored secret failed to decrypt: its key version is not in the key ring, or it was altered or moved to another row.',
  credentials_invalid: 'The provider rejected the posted credentials; `detail` carries its reason. Nothing was stored.',
  provider_not_implemented: 'The provider is registered and its credentials validated, but this release has no adapter for it yet.',
  provider_unavailable: 'The provider did not answer or asked to slow down (timeout, 5xx, 429); nothing changed in Furrow. Retry later.',
  provider_refused: "The provider refused the call; `detail` carries its reason and the credential's status (UNAUTHENTICATED: the grower reconnects; MISSING_PERMISSION: a scope is missing).",
  // Leaf's own errorKey (leaf-api.md 5.1 and 9.3), kept verbatim instead of snake_case so Leaf clients that compare it keep working.
  eventRegisteredTwice: 'Another webhook of this API owner already listens to one of the events; an owner has one webhook per event. Delete that webhook first (DELETE .../webhooks/{id}), or leave the event out.',
  webhook_url_refused: 'The webhook URL resolves to a private, loopback or link-local address (or does not resolve). Register a public URL, or set FURROW_ALERTS_ALLOW_PRIVATE=true where private receivers are intended.',
  organization_blocked: 'The organization is BLOCKED: the grower has not connected it to the application. Connect it at its `managementUri`, then POST .../organizations/sync.',
  unsupported_file_format: 'The machine file is in a format Furrow recognises but cannot read (a proprietary format with no public specification), or in none it knows; the status message names it.',
  no_machine_data: 'The upload or archive holds no file Furrow can convert (no TASKDATA.XML, no point shapefile, ...).',
  corrupt_file: 'The machine file is damaged (a truncated or desynchronised binary log, a broken zip, malformed XML); the message names the file and the problem.',
  missing_file: 'The machine file refers to a file the set does not contain (a time log named in TASKDATA.XML, a shapefile\'s .dbf).',
  archive_limit_exceeded: 'An archive goes past a safety limit (total uncompressed size, compression ratio, entry count or nesting depth): a likely zip bomb. Nothing was extracted past the limit.',
  unsupported_operation_type: 'The machine data is of an operation type Leaf does not standardise (supported: planted, applied, harvested, tillage).',
  no_points_passed_filter: 'Every point of the file failed the cleanup rules, so the standard output would be empty.',
  upload_too_large: 'The uploaded file is larger than FURROW_UPLOAD_LIMIT_BYTES.',
  output_not_available: 'The file has no such output: it is still processing, its processing failed (see /status), or the output was not enabled (enableGeoparquetOutput) when it was processed.',
  merge_refused: 'The files cannot be merged: Leaf merges at least two files of one Leaf user and one operation type, all processed.',
  app_key_exists: 'The API owner already has an app key of this provider with this name and environment; change it with PUT or delete it first.',
  app_key_required: 'The provider needs an app key (your application at the provider) before growers can connect it through Magic Link or the widget; create one under /services/usermanagement/api/app-keys/{Provider}/{appName}.',
  magic_link_unusable: 'The Magic Link has expired, used up its maxUsage, or was deleted; create a new one.',
  oauth_state_invalid: 'The OAuth callback carries a state that is unknown, expired, already used, or bound to another link or provider; start the connection again from the link.',
  // Leaf's own errorKey for boundaries (leaf-api.md 9.3), kept verbatim like eventRegisteredTwice.
  invalidGeometry: "The boundary geometry is not a valid GeoJSON Polygon or MultiPolygon; the message names the JTS validity error and where (Leaf's wording). Fix the rings, or enable automaticFixBoundary for the repairs it makes.",
  field_exists: 'The Leaf user already has a field with this id; field ids are chosen once and cannot change. Leave `id` out to get a generated one.',
  provider_field_read_only: 'The field came from a provider sync; Leaf does not delete or edit such fields (delete or change it at the provider, and the next sync follows).',
  master_key_mismatch: 'The master key does not match the one this database was created with.',
  service_unavailable: 'The service is starting or shutting down; retry shortly.',
  internal_error: 'An unexpected error; the response carries a request id to find it in the logs.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  /** JSON path of the offending field, e.g. `body.email` or `query.size`. */
  field: string;
  message: string;
}

/** A domain error with a stable code. Messages say what was expected, what was found and the fix. */
export class FurrowError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; fieldErrors?: FieldError[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FurrowError';
    this.code = code;
    this.fieldErrors = options.fieldErrors;
  }
}

export function isFurrowError(error: unknown, code?: ErrorCode): error is FurrowError {
  return error instanceof FurrowError && (code === undefined || error.code === code);
}
