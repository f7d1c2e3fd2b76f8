/** A provider credential as Furrow keeps it, and the entries of its events log. */
import type { CredentialStatus, TokenSet } from './credentials.js';

export interface CredentialRecord {
  id: string;
  ownerId: string;
  userId: string;
  /** Provider id (`john-deere`, ...). */
  provider: string;
  environment: string;
  status: CredentialStatus;
  statusReason: string | null;
  consecutiveFailures: number;
  /** The posted fields as GET shows them: public ones as sent, secrets masked or left out. */
  display: Record<string, unknown>;
  /** Ciphertext of `CredentialSecrets`, bound to this row's id. */
  secrets: string;
  keyVersion: number;
  accessExpiresAt: string | null;
  scopes: string[] | null;
  lastRefreshAt: string | null;
  lastSyncTime: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What is encrypted at rest: the posted fields (secrets included) and the tokens issued since. */
export interface CredentialSecrets {
  fields: Record<string, unknown>;
  tokens: TokenSet | null;
}

/** One entry of `GET .../{provider}-credentials/events` (Leaf: `id, createdDate, statusCode, headers, body`). */
export interface CredentialEvent {
  id: string;
  credentialId: string;
  kind: 'exchange' | 'status';
  createdDate: string;
  statusCode: number | null;
  headers: Record<string, string>;
  /** Text as the provider sent it, secrets redacted; for status events a JSON description. */
  body: string | null;
}

/** Events are kept this long, then purged daily (SPEC section 5). */
export const CREDENTIAL_EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
