/** Wire schemas of Leaf users (`research/leaf-api.md` section 2), shared by routes and OpenAPI. */
import { Type, type Static } from '@sinclair/typebox';
import { USER_SORT_FIELDS } from '../../domain/index.js';
import { pagingQuery } from '../paging.js';

const text = (description: string) => Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], { description }));

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

export const UserResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  externalId: Type.Union([Type.String(), Type.Null()]),
  apiOwnerUsername: Type.String(),
  createdTime: Type.String({ format: 'date-time' }),
  updatedTime: Type.String({ format: 'date-time' }),
});

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
