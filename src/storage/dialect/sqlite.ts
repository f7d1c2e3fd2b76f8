import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { StorageDialect } from './dialect.js';

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
  return {
    kind: 'sqlite',
    raw,
    kysely: new SqliteDialect({ database: raw }),
    jsonType: 'text',
    json: (value) => JSON.stringify(value),
    parseJson: <T>(value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T)),
    isUniqueViolation: (error) =>
      typeof error === 'object' && error !== null && 'code' in error &&
      (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'),
    // Kysely's SqliteDialect closes the better-sqlite3 handle in destroy().
    close: async () => {},
  };
}
