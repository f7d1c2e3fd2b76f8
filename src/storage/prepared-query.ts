/**
 * Compiles a Kysely query once and binds new values on each call. Building and compiling a query
 * costs about twice as much as running a point lookup on SQLite, so the hottest reads use this.
 * The builder is called once with sentinel strings; their positions among the compiled parameters
 * say where each argument goes, so arguments may be used in any order, or more than once.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { StorageDialect } from './dialect/dialect.js';

export function preparedQuery<Args extends string[], Row>(
  db: Kysely<never> | Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any schema
  arity: Args['length'],
  build: (...args: Args) => Compilable<Row>,
): (...args: Args) => Promise<Row[]> {
  const { sql, bind } = compileOnce(arity, build);
  return async (...args: Args) => (await db.executeQuery<Row>(CompiledQuery.raw(sql, bind(args)))).rows;
}

/** The query's SQL, and a function placing each call's arguments among its parameters. */
function compileOnce<Args extends string[]>(arity: number, build: (...args: Args) => Compilable<unknown>): { sql: string; bind(args: Args): unknown[] } {
  const sentinels = Array.from({ length: arity }, (_, i) => `\u0000furrow-prepared-${i}\u0000`) as Args;
  const compiled = build(...sentinels).compile();
  const slots = compiled.parameters.map((value) => sentinels.indexOf(value as string));
  return { sql: compiled.sql, bind: (args) => compiled.parameters.map((value, i) => (slots[i] === -1 ? value : args[slots[i]!])) };
}

/**
 * A prepared point lookup that reads committed data: on SQLite it runs synchronously on the
 * dialect's read-only connection; elsewhere it is `preparedQuery`. Only for reads made outside a
 * transaction (inside one, use the transaction's own queries, which see its uncommitted writes).
 */
export function preparedLookup<Args extends string[], Row>(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any schema
  dialect: StorageDialect,
  arity: Args['length'],
  build: (...args: Args) => Compilable<Row>,
): (...args: Args) => Promise<Row[]> {
  const read = dialect.committedRead;
  if (read === undefined) return preparedQuery(db, arity, build);
  const { sql, bind } = compileOnce(arity, build);
  return async (...args: Args) => read(sql, bind(args)) as Row[];
}
