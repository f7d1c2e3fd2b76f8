/**
 * What a sync reads from a provider, in one provider-neutral shape: organizations, growers, farms,
 * fields, boundaries (GeoJSON MultiPolygon in WGS 84) and machine files. Every record carries its
 * provider id, the natural key of the sync (issue 5, "provider ids are natural keys"), and a
 * `version` that changes when the provider's record does, so an unchanged record causes no write.
 * Adapters return lists as async iterables over the provider's real paging, ending with a change
 * cursor that resumes listing from there (Deere `x-deere-signature`, Climate `X-Next-Token`).
 */
import type { AdapterContext, ProviderCredential } from './provider.js';

/** GeoJSON MultiPolygon (RFC 7946): longitude, latitude in WGS 84; rings closed, exterior first. */
export interface GeoJsonMultiPolygon {
  type: 'MultiPolygon';
  coordinates: number[][][][];
}

/**
 * What decides "unchanged": the provider's modified time when it has one, else a content hash the
 * adapter computes over what it maps (both are opaque strings compared for equality).
 */
export interface SyncVersion {
  /** Equal versions mean an unchanged record. */
  version: string;
  /** ISO-8601 UTC, when the provider says when the record changed. */
  modifiedTime?: string | undefined;
}

export interface SyncOrganization extends SyncVersion {
  providerId: string;
  name: string;
  /** The grower let this application into the organization; the others are listed, not read. */
  connected: boolean;
  /** Where the grower connects the organization, or manages its connection (Leaf's `managementUri`). */
  connectUrl?: string | undefined;
}

export interface SyncGrower extends SyncVersion {
  providerId: string;
  organizationId: string;
  name: string;
}

export interface SyncFarm extends SyncVersion {
  providerId: string;
  organizationId: string;
  /** Absent where the provider has no grower level (Climate). */
  growerId?: string | undefined;
  name: string;
}

export interface SyncField extends SyncVersion {
  providerId: string;
  organizationId: string;
  growerId?: string | undefined;
  farmId?: string | undefined;
  name: string;
  /** The provider id of the field's active boundary, when the field listing names it (Climate's `boundaryId`). */
  activeBoundaryId?: string | undefined;
}

export interface SyncBoundary extends SyncVersion {
  providerId: string;
  fieldId: string;
  /** The provider's current boundary of the field; a sync marks the others inactive. */
  active: boolean;
  geometry: GeoJsonMultiPolygon;
}

/** The operation a machine file records, when the provider says. */
export type SyncOperationType = 'harvested' | 'planted' | 'applied' | 'tillage' | 'other';

export interface SyncMachineFile extends SyncVersion {
  providerId: string;
  organizationId: string;
  name: string;
  /** The provider's file type or format name as it gives it (Deere `type`/`format`, Climate's layer kind). */
  format: string;
  /** Bytes; what `downloadFile` writes. */
  size: number;
  operationType?: SyncOperationType | undefined;
  fieldIds: string[];
  createdTime?: string | undefined;
}

/**
 * An incremental listing: iterate `items` to the end, then read `cursor()` and keep it for the next
 * run. The cursor exists only after the last page was read, so a listing cut short resumes from
 * the previous cursor and never skips records.
 */
export interface SyncListing<T> {
  items: AsyncIterable<T>;
  /** The change cursor to pass as `since` next time; throws before `items` is exhausted. */
  cursor(): string | undefined;
  /** False when `since` was given: records not listed are unchanged, not deleted. */
  complete: boolean;
}

/** Where `downloadFile` writes: called in order, each chunk once; awaited, so a slow sink slows the download. */
export interface DownloadSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

/** What a download did, for the sync run's counts. */
export interface DownloadResult {
  bytes: number;
  /** HTTP requests made (ranges, retries of an async export, the redirect's follow-up). */
  requests: number;
  /**
   * Set when the provider is still preparing the file (an asynchronous export answered "not yet"):
   * nothing was written, and the provider documents waiting `retryAfterMs` before asking again.
   */
  pending?: { retryAfterMs: number } | undefined;
}

/** A file to download, as listed; `polls` counts the "not yet" answers of an asynchronous export so far. */
export type DownloadRequest = Pick<SyncMachineFile, 'providerId' | 'size' | 'operationType'> & { polls?: number | undefined };

/** The organization a listing reads, as the adapter listed it. */
export type SyncScope = Pick<SyncOrganization, 'providerId' | 'connected'>;

/**
 * The provider-side half of a sync, an optional part of `ProviderAdapter`: the sync engine calls
 * it with a credential holding a current access token (it refreshes first, as for every call).
 * Failures are `ProviderError`s; 429 and 5xx carry `retryAfterMs` from `Retry-After`.
 */
export interface ProviderSync<Fields = Record<string, unknown>> {
  /** Every organization, connected or not (one synthesized organization where the provider has none). */
  listOrganizations(credential: ProviderCredential<Fields>, ctx: AdapterContext): Promise<SyncOrganization[]>;
  /** Growers of one organization; empty where the provider has no grower level. */
  listGrowers(credential: ProviderCredential<Fields>, ctx: AdapterContext, organization: SyncScope): AsyncIterable<SyncGrower>;
  listFarms(credential: ProviderCredential<Fields>, ctx: AdapterContext, organization: SyncScope): AsyncIterable<SyncFarm>;
  /** Fields, all of them or only those changed since `since` (a cursor from an earlier listing). */
  listFields(credential: ProviderCredential<Fields>, ctx: AdapterContext, organization: SyncScope, options?: { since?: string | undefined }): SyncListing<SyncField>;
  /** The boundaries of one field, the active one marked, converted to GeoJSON. */
  listBoundaries(credential: ProviderCredential<Fields>, ctx: AdapterContext, organization: SyncScope, field: Pick<SyncField, 'providerId' | 'activeBoundaryId'>): Promise<SyncBoundary[]>;
  /** Machine files, all or changed since `since`. */
  listFiles(credential: ProviderCredential<Fields>, ctx: AdapterContext, organization: SyncScope, options?: { since?: string | undefined }): SyncListing<SyncMachineFile>;
  /**
   * Machine data the provider lists per field only (John Deere's field operations), all of a
   * field's or those changed since `since`; absent where every file is in `listFiles`. Their
   * `providerId`s never collide with `listFiles`' and `downloadFile` takes both.
   */
  listFieldFiles?(credential: ProviderCredential<Fields>, ctx: AdapterContext, organization: SyncScope, field: Pick<SyncField, 'providerId'>, options?: { since?: string | undefined }): SyncListing<SyncMachineFile>;
  /**
   * Streams a file's bytes into `sink`, in ranges where the provider serves them; never holds the
   * whole file. An asynchronous export asks once per call and answers `pending` while the
   * provider prepares it, so the caller waits (a queued job, not a sleeping one); after the
   * provider's last documented poll it fails `permanent`.
   */
  downloadFile(credential: ProviderCredential<Fields>, ctx: AdapterContext, file: DownloadRequest, sink: DownloadSink): Promise<DownloadResult>;
}

/**
 * A `SyncListing` over `pages`, an async generator that yields records and returns the cursor
 * after its last page. The cursor is readable only once the generator has finished.
 */
export function syncListing<T>(pages: () => AsyncGenerator<T, string | undefined, undefined>, complete: boolean): SyncListing<T> {
  let finished = false;
  let cursor: string | undefined;
  return {
    complete,
    items: {
      async *[Symbol.asyncIterator]() {
        cursor = yield* pages();
        finished = true;
      },
    },
    cursor() {
      if (!finished) throw new Error('The change cursor is known only after the whole listing was read; iterate items to the end first.');
      return cursor;
    },
  };
}
