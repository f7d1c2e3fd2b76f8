/**
 * Compiles a Kysely query once and binds new values on each call. Building and compiling a query
 * costs about twice as much as running a point lookup on SQLite, so the hottest reads use this.
 * The builder is called once with sentinel strings; their positions among the compiled parameters
 * say where each argument goes, so arguments may be used in any order, or more than once.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

export function preparedQuery<Args extends string[], Row>(
  db: Kysely<never> | Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any schema
  arity: Args['length'],
  build: (...args: Args) => Compilable<Row>,
): (...args: Args) => Promise<Row[]> {
  const sentinels = Array.from({ length: arity }, (_, i) => `\u0000furrow-prepared-${i}\u0000`) as Args;
  const compiled = build(...sentinels).compile();
  const slots = compiled.parameters.map((value) => sentinels.indexOf(value as string));
  return async (...args: Args) => {
    const parameters = compiled.parameters.map((value, i) => {
      const slot = slots[i]!;
      return slot === -1 ? value : args[slot];
    });
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  };
}
