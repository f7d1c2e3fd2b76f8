import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { StorageDialect } from './dialect.js';

/** PostgreSQL through node-postgres; the pool is shared with nothing else. */
export function postgresDialect(url: string, poolSize = 10): StorageDialect & { pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    pool,
    kysely: new PostgresDialect({ pool }),
    jsonType: 'jsonb',
    serialKey: { type: 'bigserial', autoIncrement: false },
    // node-postgres would send a JS array as a PostgreSQL array; JSON text is unambiguous for jsonb.
    json: (value) => JSON.stringify(value),
    parseJson: <T>(value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T)),
    isUniqueViolation: (error) =>
      typeof error === 'object' && error !== null && 'code' in error && error.code === '23505',
    // Kysely's PostgresDialect ends the pool in destroy().
    close: async () => {},
  };
}
