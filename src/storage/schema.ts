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
}
