/**
 * The list of databases every storage test runs on: SQLite always, PostgreSQL when a server is
 * reachable. Outside CI an unreachable server skips the PostgreSQL run with a message; in CI it
 * fails the suite, so CI never silently tests one database.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadTestEnvironment, type DatabaseConfig } from '../../config.js';
import { openStorage, type Storage } from '../database.js';

export interface TestDatabase {
  /** `sqlite` or `postgres`: what `describe.each` prints. */
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database of this kind; call `drop()` when done. */
  create(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }>;
}

let reachable: Promise<boolean> | undefined;

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const sqliteTestDatabase: TestDatabase = {
  name: 'sqlite',
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-test-'));
    return {
      config: { kind: 'sqlite', file: path.join(dir, 'furrow.sqlite') },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export function postgresTestDatabase(adminUrl: string): TestDatabase {
  return {
    name: 'postgres',
    async create() {
      const name = `furrow_test_${crypto.randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        config: { kind: 'postgres', url: url.toString() },
        drop: async () => {
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          try {
            await c.query(`drop database if exists ${name} with (force)`);
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}

/** The databases to run on. Await it at the top of a test file and pass it to `describe.each`. */
export async function testDatabases(): Promise<TestDatabase[]> {
  const env = loadTestEnvironment();
  reachable ??= postgresReachable(env.postgresUrl);
  if (await reachable) return [sqliteTestDatabase, postgresTestDatabase(env.postgresUrl)];
  if (env.ci) {
    throw new Error(
      `PostgreSQL is not reachable at ${env.postgresUrl} and CI is set: CI never skips the PostgreSQL run. ` +
        'Start it with `scripts/test-postgres.sh start` or set FURROW_TEST_DATABASE_URL.',
    );
  }
  console.warn(
    `[furrow tests] PostgreSQL not reachable at ${env.postgresUrl}: running on SQLite only. ` +
      'Start one with `scripts/test-postgres.sh start` (or set FURROW_TEST_DATABASE_URL).',
  );
  return [sqliteTestDatabase];
}

/** Opens a fresh migrated database of the given kind; `close()` also drops it. */
export async function openTestStorage(database: TestDatabase): Promise<Storage & { config: DatabaseConfig }> {
  const { config, drop } = await database.create();
  const storage = openStorage(config);
  await storage.migrate();
  return {
    ...storage,
    config,
    async close() {
      await storage.close();
      await drop();
    },
  };
}
