/** API owners (tenants) and the Leaf users that belong to them. */

export interface ApiOwner {
  id: string;
  email: string;
  createdTime: string;
}

/** The authenticated caller of an API route: every query is scoped by `ownerId`. */
export interface OwnerContext {
  ownerId: string;
  username: string;
}

export interface LeafUser {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  externalId: string | null;
  createdTime: string;
  updatedTime: string;
}

/** The writable fields of a Leaf user. */
export type LeafUserFields = Pick<LeafUser, 'name' | 'email' | 'phone' | 'address' | 'externalId'>;

export const USER_SORT_FIELDS = ['id', 'name', 'email', 'externalId', 'createdTime', 'updatedTime'] as const;
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

export interface UserFilter {
  email?: string | undefined;
  name?: string | undefined;
  externalId?: string | undefined;
}
