/**
 * Table types as Kysely sees them. Times are ISO-8601 UTC text with milliseconds in both dialects
 * (`2026-01-02T03:04:05.678Z`), so they sort as text and read the same from SQLite and PostgreSQL.
 * JSON columns are `jsonb` in PostgreSQL and text in SQLite; `Dialect.json`/`parseJson` bridge them.
 */
import type { Generated } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

export interface ApiOwnerTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
}

export interface UserTable {
  id: string;
  api_owner_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  external_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface OwnerConfigurationTable {
  api_owner_id: string;
  /** JSON object of the keys the owner changed from Furrow's defaults. */
  settings: unknown;
  updated_at: string;
}

export interface UserConfigurationTable {
  user_id: string;
  api_owner_id: string;
  /** JSON object of the keys set on this user; every other key is inherited from the owner. */
  settings: unknown;
  created_at: string;
  updated_at: string;
}

export interface CredentialTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  provider: string;
  environment: string;
  status: string;
  status_reason: string | null;
  consecutive_failures: number;
  display: unknown;
  secrets: string;
  key_version: number;
  access_expires_at: string | null;
  scopes: unknown;
  last_refresh_at: string | null;
  last_sync_time: string | null;
  refresh_lease_owner: string | null;
  refresh_lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface CredentialEventTable {
  id: string;
  credential_id: string;
  api_owner_id: string;
  /** `exchange` (a call to the provider) or `status` (a status change). */
  kind: string;
  status_code: number | null;
  headers: unknown;
  body: string | null;
  created_at: string;
}

export interface ProviderOrganizationTable {
  api_owner_id: string;
  user_id: string;
  credential_id: string;
  provider: string;
  organization_id: string;
  name: string;
  /** 0 or 1. */
  connected: number;
  /** `SELECTED`, `PREVIEW` or `BLOCKED`. */
  status: string;
  connect_url: string | null;
  synced_at: string;
  created_at: string;
  updated_at: string;
}

export interface AlertWebhookTable {
  id: string;
  api_owner_id: string;
  name: string;
  url: string;
  /** JSON array of event names. */
  events: unknown;
  /** Ciphertext of the signing secret. */
  secret: string;
  key_version: number;
  drain_owner: string | null;
  drain_until: string | null;
  /** 0 or 1. */
  drain_requested: number;
  created_at: string;
}

export interface AlertWebhookEventTable {
  api_owner_id: string;
  event_type: string;
  webhook_id: string;
}

export interface AlertOutboxTable {
  /** Numbered by the database in insertion order; text from PostgreSQL (bigserial). */
  seq: Generated<number | string>;
  event_id: string;
  api_owner_id: string;
  webhook_id: string;
  event_type: string;
  body: string;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
}

export interface AlertFailedCallTable {
  id: string;
  api_owner_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  url: string;
  status: number | null;
  response: string | null;
  request_body: string;
  connection_error: string | null;
  attempts: number;
  created_at: string;
}

export interface MachineFileBatchTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  provider: string;
  file_name: string;
  /** bigint: text from PostgreSQL. */
  size: number | string;
  /** `RECEIVED`, `PROCESSING`, `PROCESSED` or `FAILED`. */
  status: string;
  status_details: string | null;
  status_reason: string | null;
  upload_timestamp: string;
  updated_at: string;
  /** `uploaded` or `provider` (migration 0010). */
  origin: Generated<string>;
  credential_id: string | null;
  organization_id: string | null;
  provider_file_id: string | null;
  provider_file_version: string | null;
  provider_operation_type: string | null;
}

export interface MachineFileTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  batch_id: string | null;
  source_key: string | null;
  provider: string;
  origin: string;
  organization_id: string | null;
  file_name: string;
  file_format: string | null;
  operation_type: string | null;
  /** `processing`, `processed` or `failed`. */
  status: string;
  steps: unknown;
  summary: unknown;
  units: unknown;
  start_time: string | null;
  end_time: string | null;
  size_in_bytes: number | string | null;
  sources: unknown;
  bbox: unknown;
  point_count: number | string | null;
  area_m2: number | null;
  warnings: unknown;
  outputs: unknown;
  created_at: string;
  updated_at: string;
  /** The provider's file id, for files of origin `provider` (migration 0010). */
  provider_file_id: string | null;
}

export interface AppKeyTable {
  id: string;
  api_owner_id: string;
  provider: string;
  app_name: string;
  environment: string;
  display: unknown;
  secrets: string;
  key_version: number;
  created_at: string;
  updated_at: string;
}

export interface UserApiKeyTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  key_hash: string;
  key_hint: string;
  description: string | null;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface MagicLinkTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  widget: string;
  allowed_providers: unknown;
  provider: string | null;
  settings: unknown;
  max_usage: number;
  usage_count: number;
  created_at: string;
  expires_at: string;
  last_accessed_at: string | null;
  deleted_at: string | null;
  return_url: string | null;
}

export interface OAuthStateTable {
  state_hash: string;
  api_owner_id: string;
  magic_link_id: string;
  user_id: string;
  provider: string;
  app_key_id: string;
  redirect_uri: string;
  code_verifier: string | null;
  key_version: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface FileAllocationTable {
  file_id: string;
  api_owner_id: string;
  user_id: string;
  total_points: number | string;
  outside_points: number | string;
  allocated_at: string;
}

export interface FileFieldTable {
  file_id: string;
  field_id: string;
  boundary_id: string;
  user_id: string;
  points: number | string;
  share: number;
}

export interface FieldOperationTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  operation_type: string;
  group_key: string;
  /** `processing`, `processed` or `failed`. */
  status: string;
  status_reason: string | null;
  revision: number;
  built_revision: number | null;
  config_hash: string;
  providers: unknown;
  summary: unknown;
  units: unknown;
  outputs: unknown;
  start_time: string | null;
  end_time: string | null;
  created_at: string;
  updated_at: string;
}

export interface FieldOperationFileTable {
  operation_id: string;
  file_id: string;
}

export interface FieldOperationFieldTable {
  operation_id: string;
  field_id: string;
  boundary_id: string;
  coverage: number | null;
}

/** Migration 0007-fields: growers, farms, fields, boundaries and boundary uploads. */
export interface FieldGrowerTable {
  /** Numbered by the database; text from PostgreSQL (bigserial). */
  id: Generated<number | string>;
  api_owner_id: string;
  user_id: string;
  name: string | null;
  provider_name: string | null;
  provider_id: number | null;
  provider_grower_id: string | null;
  sync_enabled: number;
  created_at: string;
  updated_at: string;
}

export interface FieldFarmTable {
  id: Generated<number | string>;
  api_owner_id: string;
  user_id: string;
  grower_id: number | string | null;
  name: string | null;
  provider_name: string | null;
  provider_id: number | null;
  provider_farm_id: string | null;
  provider_farm_name: string | null;
  created_at: string;
  updated_at: string;
}

export interface FieldTable {
  user_id: string;
  id: string;
  api_owner_id: string;
  name: string | null;
  farm_id: number | string | null;
  provider_name: string | null;
  provider_id: number | null;
  provider_field_id: string | null;
  provider_boundary_id: string | null;
  provider_field_name: string | null;
  organization_id: string | null;
  type: string;
  status: string;
  merged_field_id: string | null;
  sources: unknown;
  created_at: string;
  updated_at: string;
}

export interface FieldBoundaryTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  field_id: string;
  status: string;
  provider_status: string | null;
  provider_boundary_id: string | null;
  geometry: unknown;
  area_ha: number;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  validity: string;
  fix_status: string | null;
  created_at: string;
  updated_at: string;
}

export interface BoundaryUploadTable {
  id: string;
  api_owner_id: string;
  user_id: string;
  farm_id: number | string | null;
  file_name: string;
  status: string;
  entries: unknown;
  created_at: string;
}

export interface FieldOperationRefreshLeaseTable {
  user_id: string;
  holder: string | null;
  lease_until: string | null;
}

export interface SyncRunTable {
  id: string;
  credential_id: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  counts: unknown;
  errors: unknown;
  cursors: unknown;
}

export interface SyncCursorTable {
  credential_id: string;
  cursors: unknown;
  updated_at: string;
  lease_run_id: string | null;
  lease_until: string | null;
  fields_requested_at: string | null;
}

export interface SyncRecordTable {
  credential_id: string;
  kind: string;
  provider_record_id: string;
  version: string;
  local_id: string;
}

/** Migration 0011: a credential's provider event subscription token. */
export interface ProviderEventTokenTable {
  credential_id: string;
  token_hash: string;
  token_secret: string;
  key_version: number;
  created_at: string;
  subscribed_key: string | null;
  checked_at: string | null;
}

export interface Database {
  furrow_meta: MetaTable;
  api_owners: ApiOwnerTable;
  users: UserTable;
  owner_configurations: OwnerConfigurationTable;
  user_configurations: UserConfigurationTable;
  credentials: CredentialTable;
  credential_events: CredentialEventTable;
  provider_organizations: ProviderOrganizationTable;
  alert_webhooks: AlertWebhookTable;
  alert_webhook_events: AlertWebhookEventTable;
  alert_outbox: AlertOutboxTable;
  alert_failed_calls: AlertFailedCallTable;
  app_keys: AppKeyTable;
  user_api_keys: UserApiKeyTable;
  magic_links: MagicLinkTable;
  oauth_states: OAuthStateTable;
  machine_file_batches: MachineFileBatchTable;
  machine_files: MachineFileTable;
  field_growers: FieldGrowerTable;
  field_farms: FieldFarmTable;
  fields: FieldTable;
  field_boundaries: FieldBoundaryTable;
  boundary_uploads: BoundaryUploadTable;
  file_allocations: FileAllocationTable;
  file_fields: FileFieldTable;
  field_operations: FieldOperationTable;
  field_operation_files: FieldOperationFileTable;
  field_operation_fields: FieldOperationFieldTable;
  field_operation_refresh_leases: FieldOperationRefreshLeaseTable;
  sync_runs: SyncRunTable;
  sync_cursors: SyncCursorTable;
  sync_records: SyncRecordTable;
  provider_event_tokens: ProviderEventTokenTable;
}
