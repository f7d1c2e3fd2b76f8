import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { StorageDialect } from './dialect.js';
import { sqliteCommittedReads } from './sqlite-committed-reads.js';

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; preparing costs more than running a point lookup, and the
 * unfinalized statements pile up until GC. Reusing prepared statements by SQL text keeps a
 * lookup to a bind and a step. A statement still iterating (a stream) is never handed out twice.
 */
function cachingStatements(raw: SqliteDatabase.Database): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached !== undefined && !cached.busy) return cached;
      const statement = raw.prepare(sql);
      if (cached === undefined) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * SQLite through better-sqlite3: WAL so readers never wait for the writer (and several processes
 * can share the file), foreign keys enforced, and a busy timeout so a second process waits for the
 * write lock instead of failing.
 */
export function sqliteDialect(file: string): StorageDialect & { raw: SqliteDatabase.Database } {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SqliteDatabase(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 10000');
  // NORMAL is durable across application crashes in WAL mode; only power loss may drop the last commits.
  raw.pragma('synchronous = NORMAL');
  // The hottest point lookups go to a read-only connection of their own (see the module).
  const committedReads = file === ':memory:' ? undefined : sqliteCommittedReads(file);
  return {
    kind: 'sqlite',
    raw,
    committedRead: committedReads?.read,
    kysely: new SqliteDialect({ database: cachingStatements(raw) }),
    jsonType: 'text',
    // AUTOINCREMENT: numbers are never reused, even after the newest rows were deleted.
    serialKey: { type: 'integer', autoIncrement: true },
    json: (value) => JSON.stringify(value),
    parseJson: <T>(value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T)),
    isUniqueViolation: (error) =>
      typeof error === 'object' && error !== null && 'code' in error &&
      (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'),
    // Kysely's SqliteDialect closes the main handle in destroy(); the reader is ours.
    close: async () => committedReads?.close(),
  };
}
