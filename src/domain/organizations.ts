/**
 * Provider organizations (leaf-api.md 3.5): the sync-management status Leaf gives each
 * organization of a provider account, and the rule a re-sync follows.
 */
import type { OrganizationDataSync } from './configurations.js';
import { FurrowError } from './errors.js';

/**
 * Leaf's statuses [V]: SELECTED, everything of the organization is fetched; PREVIEW, nothing beyond
 * the organization itself; BLOCKED, the application has no connection to it.
 */
export const ORGANIZATION_STATUSES = ['SELECTED', 'PREVIEW', 'BLOCKED'] as const;
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number];

/** What PATCH may set: "only SELECTED↔PREVIEW can be changed"; BLOCKED follows the provider. */
export const SETTABLE_ORGANIZATION_STATUSES = ['SELECTED', 'PREVIEW'] as const satisfies readonly OrganizationStatus[];
export type SettableOrganizationStatus = (typeof SETTABLE_ORGANIZATION_STATUSES)[number];

export function isSettableOrganizationStatus(value: string): value is SettableOrganizationStatus {
  return (SETTABLE_ORGANIZATION_STATUSES as readonly string[]).includes(value);
}

/**
 * The status a PATCH asks for, or a 400 naming the values allowed. `field` is where it came from
 * (`params.status` or `body.status`).
 */
export function parseSettableOrganizationStatus(value: unknown, field: string): SettableOrganizationStatus {
  if (typeof value === 'string' && isSettableOrganizationStatus(value)) return value;
  const allowed = SETTABLE_ORGANIZATION_STATUSES.join(', ');
  const found = typeof value === 'string' ? `"${value}"` : value === undefined ? 'nothing' : JSON.stringify(value);
  throw new FurrowError('validation_failed', `Cannot set an organization's status to ${found}: expected one of ${allowed}. BLOCKED follows the provider's connection and is not set by hand.`, {
    fieldErrors: [{ field, message: `must be one of ${allowed}` }],
  });
}

/** The fields an organization list can be sorted by, as Leaf names them. */
export const ORGANIZATION_SORT_FIELDS = ['providerOrgName', 'providerOrgId', 'status'] as const;
export type OrganizationSortField = (typeof ORGANIZATION_SORT_FIELDS)[number];

/** A provider organization as Furrow keeps it, per credential. */
export interface OrganizationRecord {
  ownerId: string;
  userId: string;
  credentialId: string;
  /** Provider id (`john-deere`). */
  provider: string;
  /** The provider's id: the natural key within a credential. */
  organizationId: string;
  name: string;
  connected: boolean;
  status: OrganizationStatus;
  /** Leaf's `managementUri`: where the grower connects the organization or manages the connection. */
  connectUrl: string | null;
  syncedAt: string;
  createdAt: string;
  updatedAt: string;
}

export type OrganizationStatusReason =
  /** The provider says the application may not read the organization. */
  | 'not_connected'
  /** First seen, connected: the status `organizationDataSync` gives. */
  | 'new_follows_configuration'
  /** Was BLOCKED and is connected now: treated as first seen. */
  | 'reconnected_follows_configuration'
  /** SELECTED or PREVIEW, set by the sync or by the user: a re-sync keeps it. */
  | 'kept';

/**
 * The status an organization gets from a sync, with the reason.
 *
 * - Not connected: BLOCKED, whatever it was (Leaf: BLOCKED means no permission or connection).
 * - Connected and new: `organizationDataSync` ALL gives SELECTED (every organization syncs, so
 *   each one says so); SELECTED_ONLY gives PREVIEW (Leaf: "all organizations, initially, will
 *   have the status PREVIEW").
 * - Connected and BLOCKED before: as if new. Leaf documents "after fixing the connection and
 *   calling /sync, BLOCKED becomes PREVIEW" [V] in the SELECTED_ONLY tutorial; under ALL Furrow
 *   gives SELECTED, as to a new organization [I]. A choice made before the disconnection is not
 *   restored: the grower's disconnection is the newer decision.
 * - Connected and SELECTED or PREVIEW: kept, so a status the user PATCHed survives re-syncs, and
 *   a later change of `organizationDataSync` does not undo it.
 */
export function syncedOrganizationStatus(
  current: OrganizationStatus | undefined,
  connected: boolean,
  organizationDataSync: OrganizationDataSync,
): { status: OrganizationStatus; reason: OrganizationStatusReason } {
  if (!connected) return { status: 'BLOCKED', reason: 'not_connected' };
  const initial: OrganizationStatus = organizationDataSync === 'SELECTED_ONLY' ? 'PREVIEW' : 'SELECTED';
  if (current === undefined) return { status: initial, reason: 'new_follows_configuration' };
  if (current === 'BLOCKED') return { status: initial, reason: 'reconnected_follows_configuration' };
  return { status: current, reason: 'kept' };
}
