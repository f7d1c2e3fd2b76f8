/** Wire schemas of Leaf users (`research/leaf-api.md` section 2), shared by routes and OpenAPI. */
import { Type, type Static } from '@sinclair/typebox';
import { USER_SORT_FIELDS } from '../../domain/index.js';
import { pagingQuery } from '../paging.js';
import { nullable } from './nullable.js';
import { CredentialResponse } from './credentials.js';

const text = (description: string) => Type.Optional(nullable(Type.String({ maxLength: 1000, description })));

export const UserFieldsBody = Type.Object(
  {
    name: text('Display name.'),
    email: text('Contact email.'),
    phone: text('Contact phone.'),
    address: text('Postal address.'),
    externalId: text('Your own id for this user; unique per API owner.'),
  },
  { additionalProperties: true },
);
export type UserFieldsBody = Static<typeof UserFieldsBody>;

export const UserReplaceBody = Type.Intersect([Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }), UserFieldsBody]);
export type UserReplaceBody = Static<typeof UserReplaceBody>;

const userFields = {
  id: Type.String({ format: 'uuid' }),
  name: nullable(Type.String()),
  email: nullable(Type.String()),
  phone: nullable(Type.String()),
  address: nullable(Type.String()),
  externalId: nullable(Type.String()),
  apiOwnerUsername: Type.String(),
  createdTime: Type.String({ format: 'date-time' }),
  updatedTime: Type.String({ format: 'date-time' }),
};

/** The user resource, with one optional credentials property per provider (`johnDeereCredentials`, ...). */
export function userResponseSchema(credentialFields: readonly string[]) {
  const credentials = Object.fromEntries(credentialFields.map((field) => [field, Type.Optional(CredentialResponse)]));
  return Type.Object({ ...userFields, ...credentials });
}

export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export type UserIdParams = Static<typeof UserIdParams>;

export const UserListQuery = Type.Object({
  email: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  externalId: Type.Optional(Type.String()),
  ...pagingQuery,
});
export type UserListQuery = Static<typeof UserListQuery>;

export { USER_SORT_FIELDS };
