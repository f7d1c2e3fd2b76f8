import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * A nullable value as `type: [T, 'null']` rather than TypeBox's `anyOf`: Fastify's response
 * serializer handles a type list directly, but must run a validator per value to pick an `anyOf`
 * branch, which costs more than the rest of a point lookup.
 */
export function nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}
