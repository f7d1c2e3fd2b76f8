/**
 * The few real differences between SQLite and PostgreSQL, in one place, so repositories never ask
 * which database they run on.
 */
import type { ColumnDataType, Dialect as KyselyDialect } from 'kysely';

export interface StorageDialect {
  readonly kind: 'sqlite' | 'postgres';
  /** Kysely's driver for this database. */
  readonly kysely: KyselyDialect;
  /** Column type for JSON documents. */
  readonly jsonType: ColumnDataType;
  /**
   * An integer primary key the database numbers in insertion order (SQLite `integer primary key
   * autoincrement`, PostgreSQL `bigserial`): what an outbox orders by. PostgreSQL returns it as text.
   */
  readonly serialKey: { type: ColumnDataType; autoIncrement: boolean };
  /** Binds a JSON value to a JSON column. */
  json(value: unknown): unknown;
  /** Reads a JSON column back to a value. */
  parseJson<T>(raw: unknown): T;
  /** True when the error is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /**
   * Runs a read synchronously on a read-only connection of its own and returns its rows, where the
   * database allows it (SQLite in WAL mode: a reader sees the last committed state and never waits
   * for the writer). `undefined` where it does not (PostgreSQL, an in-memory SQLite).
   */
  readonly committedRead?: ((sql: string, parameters: readonly unknown[]) => unknown[]) | undefined;
  /** Closes connections the Kysely instance does not own. */
  close(): Promise<void>;
}
