/** Wire schemas of provider credentials (leaf-api.md section 3), shared by routes and OpenAPI. */
import { Type } from '@sinclair/typebox';
import { pagingQuery } from '../paging.js';
import { nullable } from './nullable.js';

/** The GET view: the posted public fields, secrets masked, and Furrow's metadata. Never a token. */
export const CredentialResponse = Type.Object(
  {
    id: Type.String(),
    status: Type.String({ enum: ['OK', 'UNAUTHENTICATED', 'MISSING_PERMISSION', 'TEMPORARILY_UNAVAILABLE'] }),
    createdTime: Type.String({ format: 'date-time' }),
    updatedTime: Type.String({ format: 'date-time' }),
    lastSyncTime: nullable(Type.String({ format: 'date-time' })),
    tokenMetadata: Type.Object({
      scopes: Type.Array(Type.String()),
      accessTokenExpiresAt: nullable(Type.String({ format: 'date-time' })),
      lastRefreshTime: nullable(Type.String({ format: 'date-time' })),
    }),
  },
  { additionalProperties: true, description: 'Public fields as posted; client secrets and keys masked to their last 4 characters; tokens and passwords never shown.' },
);

export const CredentialEventResponse = Type.Object({
  id: Type.String(),
  createdDate: Type.String({ format: 'date-time' }),
  statusCode: nullable(Type.Integer()),
  headers: Type.Record(Type.String(), Type.String()),
  body: nullable(Type.String()),
  kind: Type.String({ enum: ['exchange', 'status'] }),
});

export const CredentialParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const EventsQuery = Type.Object({ ...pagingQuery });

const SyncCountsResponse = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), deleted: Type.Integer() });

/** Furrow extension: one sync run of a credential, with what it counted and what failed. */
export const SyncRunResponse = Type.Object({
  id: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: nullable(Type.String({ format: 'date-time' })),
  status: Type.Union([Type.Literal('RUNNING'), Type.Literal('SUCCEEDED'), Type.Literal('PARTIAL'), Type.Literal('FAILED')]),
  counts: Type.Record(Type.String(), SyncCountsResponse),
  errors: Type.Array(Type.Object({ kind: Type.String(), providerId: nullable(Type.String()), message: Type.String() })),
});
