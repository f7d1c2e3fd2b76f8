/**
 * Wire schemas of Leaf configurations (`research/leaf-api.md` §4), generated from the domain's key
 * table so the OpenAPI document and the response serializer list every key with its type.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import {
  CLEANUP_NUMBER_OPERATORS,
  CLEANUP_RULE_PROPERTIES,
  CLEANUP_TEXT_OPERATORS,
  CONFIGURATION_KEY_ALIASES,
  CONFIGURATION_KEY_NAMES,
  CONFIGURATION_KEYS,
  MAX_CLEANUP_RULES_PER_PROPERTY,
  MAX_CLEANUP_TEXT_LENGTH,
  type ValueSchema,
} from '../../domain/index.js';

const enumOf = (values: readonly string[], options: object = {}) => Type.Unsafe<string>({ type: 'string', enum: [...values], ...options });

function cleanupRulesSchema(options: object): TSchema {
  const rule = (kind: 'number' | 'text') =>
    Type.Object(
      kind === 'number'
        ? { operator: enumOf(CLEANUP_NUMBER_OPERATORS), value: Type.Number() }
        : { operator: enumOf(CLEANUP_TEXT_OPERATORS), value: Type.String({ maxLength: MAX_CLEANUP_TEXT_LENGTH }) },
      { additionalProperties: false },
    );
  const properties = Object.fromEntries(
    Object.entries(CLEANUP_RULE_PROPERTIES).map(([name, kind]) => [name, Type.Optional(Type.Array(rule(kind), { maxItems: MAX_CLEANUP_RULES_PER_PROPERTY }))]),
  );
  return Type.Object(properties, { additionalProperties: false, ...options });
}

const colorRampSchema = (options: object) =>
  Type.Record(Type.String({ pattern: '^(?:(?:100|[1-9]?\\d)(?:\\.\\d+)?%|nv)$' }), Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 3, maxItems: 4 }), options);

/** JSON Schema of one value; `partial` makes object properties optional (request bodies). */
function valueSchema(schema: ValueSchema, partial: boolean, options: object = {}): TSchema {
  switch (schema.type) {
    case 'boolean':
      return Type.Boolean(options);
    case 'number': {
      const limits = {
        ...(schema.minimum === undefined ? {} : { minimum: schema.minimum }),
        ...(schema.maximum === undefined ? {} : { maximum: schema.maximum }),
        ...(schema.exclusiveMinimum === undefined ? {} : { exclusiveMinimum: schema.exclusiveMinimum }),
        ...options,
      };
      return schema.integer === true ? Type.Integer(limits) : Type.Number(limits);
    }
    case 'enum':
      return enumOf(schema.values, options);
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties).map(([name, inner]) => [name, partial ? Type.Optional(valueSchema(inner, partial)) : valueSchema(inner, partial)]),
      );
      return Type.Object(properties, { additionalProperties: false, ...options });
    }
    case 'cleanupRules':
      return cleanupRulesSchema(options);
    case 'colorRamp':
      return colorRampSchema(options);
  }
}

function responseProperties(): Record<string, TSchema> {
  const properties: Record<string, TSchema> = {};
  for (const key of CONFIGURATION_KEY_NAMES) {
    const { schema, description, historical } = CONFIGURATION_KEYS[key];
    properties[key] = valueSchema(schema, false, { description: historical === true ? `${description} (From older Leaf docs; kept for compatibility.)` : description });
  }
  return properties;
}

/** `GET/PATCH /configs` and `/configs/{leafUserId}`: every key, with its effective value. */
export const ConfigurationResponse = Type.Object({
  apiOwnerUsername: Type.String({ description: "The API owner's username (email)." }),
  leafUserId: Type.String({ description: 'The Leaf user this configuration applies to; empty for the API owner.' }),
  ...responseProperties(),
});

function bodyProperties(nullable: boolean): Record<string, TSchema> {
  const property = (schema: ValueSchema, description: string) =>
    Type.Optional(
      nullable
        ? Type.Union([valueSchema(schema, true), Type.Null()], { description: `${description} null: inherit the API owner's value again.` })
        : valueSchema(schema, true, { description }),
    );
  const properties: Record<string, TSchema> = {};
  for (const key of CONFIGURATION_KEY_NAMES) {
    const { schema, description, default: fallback } = CONFIGURATION_KEYS[key];
    properties[key] = property(schema, `${description} Furrow's default: ${JSON.stringify(fallback)}.`);
  }
  for (const [alias, key] of Object.entries(CONFIGURATION_KEY_ALIASES)) {
    properties[alias] = property(CONFIGURATION_KEYS[key].schema, `Another spelling of ${key}, accepted and stored as ${key}.`);
  }
  return properties;
}

/** `PATCH /configs`: the keys to change; values cannot be null. Unknown keys are ignored. */
export const OwnerConfigurationBody = Type.Object(bodyProperties(false), { additionalProperties: true });

/** `POST/PATCH /configs/{leafUserId}`: the keys to set; null makes a key inherited again. */
export const UserConfigurationBody = Type.Object(bodyProperties(true), { additionalProperties: true });

export const LeafUserIdParams = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 200 }) });
export type LeafUserIdParams = { leafUserId: string };
