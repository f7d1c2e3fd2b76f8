/**
 * The few kinds of property a credential body has, so every provider's schema says the same
 * thing the same way: a required value is a non-empty string, and `clientEnvironment` is one
 * enum with an optional default.
 */
import { Type } from '@sinclair/typebox';
import { ENVIRONMENTS, type Environment } from './provider.js';

/**
 * [I] Upper bounds: Cognito refresh tokens run to about 1,800 characters and keys may be PEM text,
 * so secrets get 8 KiB; identifiers and names get 1,000 characters.
 */
const SECRET_MAX_LENGTH = 8192;
const TEXT_MAX_LENGTH = 1000;

/** A secret body property (encrypted at rest). Empty strings are refused: a blank secret is a missing one. */
export function secretString(description: string) {
  return Type.String({ minLength: 1, maxLength: SECRET_MAX_LENGTH, description });
}

/** A non-secret body property, stored and shown as is. */
export function publicString(description: string) {
  return Type.String({ minLength: 1, maxLength: TEXT_MAX_LENGTH, description });
}

/**
 * `clientEnvironment`: `STAGE` or `PRODUCTION`. An enum rather than a union of literals, so a bad
 * value gets one error naming the allowed values. Give `default` where the docs say the
 * provider defaults (and wrap it in `Type.Optional`).
 */
export function clientEnvironment(options: { default?: Environment } = {}) {
  const description = options.default === undefined ? 'STAGE or PRODUCTION.' : `STAGE or PRODUCTION; ${options.default} when left out.`;
  return Type.Unsafe<Environment>({
    type: 'string',
    enum: [...ENVIRONMENTS],
    description,
    ...(options.default === undefined ? {} : { default: options.default }),
  });
}
