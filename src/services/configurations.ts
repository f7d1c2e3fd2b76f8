/**
 * Leaf configurations of one API owner and of its Leaf users, with Leaf's inheritance: a key set on
 * a user stays when the owner's value changes later; a key not set follows the owner.
 */
import {
  FurrowError,
  applyConfigurationChanges,
  checkConfigurationChanges,
  nowIso,
  ownerConfiguration,
  userConfiguration,
  type ConfigurationChanges,
  type ConfigurationLevel,
  type ConfigurationValues,
  type OwnerContext,
} from '../domain/index.js';
import type { ConfigurationsRepository } from '../storage/repositories/configurations.js';
import type { UsersRepository } from '../storage/repositories/users.js';

export interface ConfigurationsService {
  /** Every key: Furrow's defaults with the owner's changes. */
  getOwner(owner: OwnerContext): Promise<ConfigurationValues>;
  /** Changes the given keys; null is refused (Leaf: owner values "cannot be deleted or set to null"). */
  patchOwner(owner: OwnerContext, input: unknown): Promise<ConfigurationValues>;
  /** Every key as it applies to the user: the user's values, the owner's for the rest. */
  getUser(owner: OwnerContext, leafUserId: string): Promise<ConfigurationValues>;
  /** Creates the user's configuration with the given keys (all optional); 409 if one exists. */
  createUser(owner: OwnerContext, leafUserId: string, input: unknown): Promise<ConfigurationValues>;
  /** Changes the given keys of the user; null removes the user's value so it is inherited again. */
  patchUser(owner: OwnerContext, leafUserId: string, input: unknown): Promise<ConfigurationValues>;
  /** Removes the user's configuration; the user then inherits every key from the owner. */
  deleteUser(owner: OwnerContext, leafUserId: string): Promise<void>;
}

/** The checked changes of a request body (absent body: no change), or 400 naming every bad key. */
function checkedChanges(input: unknown, level: ConfigurationLevel): ConfigurationChanges {
  const checked = checkConfigurationChanges(input ?? {}, level);
  if (checked.ok) return checked.changes;
  const fieldErrors = checked.problems.map((p) => ({ field: p.path === '' ? 'body' : `body.${p.path}`, message: p.message }));
  throw new FurrowError('configuration_invalid', `Invalid configuration, nothing was changed: ${fieldErrors.map((f) => `${f.field} ${f.message}`).join('; ')}.`, { fieldErrors });
}

/** The configurations use cases; `users` answers whether a Leaf user id is this owner's. */
export function configurationsService(deps: { configurations: ConfigurationsRepository; users: UsersRepository; clock?: () => number }): ConfigurationsService {
  const { configurations } = deps;
  const clock = deps.clock ?? Date.now;

  // Another owner's user ids answer exactly like ids that do not exist.
  async function requireUser(owner: OwnerContext, leafUserId: string): Promise<void> {
    if ((await deps.users.get(owner.ownerId, leafUserId)) === undefined) throw new FurrowError('not_found', `No Leaf user with id ${leafUserId}.`);
  }

  async function ownerValues(owner: OwnerContext): Promise<ConfigurationValues> {
    return ownerConfiguration(await configurations.getOwner(owner.ownerId));
  }

  return {
    getOwner: ownerValues,

    async patchOwner(owner, input) {
      const changes = checkedChanges(input, 'owner');
      const overrides = await configurations.updateOwner(owner.ownerId, nowIso(clock), (current) => applyConfigurationChanges(current, changes, ownerConfiguration(current)));
      return ownerConfiguration(overrides);
    },

    async getUser(owner, leafUserId) {
      await requireUser(owner, leafUserId);
      return userConfiguration(await ownerValues(owner), (await configurations.getUser(owner.ownerId, leafUserId)) ?? {});
    },

    // POST on a user that already has a configuration is 409, not a replace: a replace would drop
    // the user's other values, silently turning frozen keys back into inherited ones. Leaf is
    // silent on this; PATCH (or DELETE then POST) says what is meant.
    async createUser(owner, leafUserId, input) {
      await requireUser(owner, leafUserId);
      const changes = checkedChanges(input, 'user');
      const inherited = await ownerValues(owner);
      const overrides = applyConfigurationChanges({}, changes, inherited);
      if ((await configurations.insertUser(owner.ownerId, leafUserId, overrides, nowIso(clock))) === 'exists') {
        throw new FurrowError('configuration_exists', `Leaf user ${leafUserId} already has a configuration; change it with PATCH, or DELETE it first to start again.`);
      }
      return userConfiguration(inherited, overrides);
    },

    // PATCH on a user without a configuration creates one: the result is the same as POST with
    // that body, and the caller's intent is unambiguous.
    async patchUser(owner, leafUserId, input) {
      await requireUser(owner, leafUserId);
      const changes = checkedChanges(input, 'user');
      const inherited = await ownerValues(owner);
      const overrides = await configurations.updateUser(owner.ownerId, leafUserId, nowIso(clock), (current) =>
        applyConfigurationChanges(current, changes, userConfiguration(inherited, current)),
      );
      return userConfiguration(inherited, overrides);
    },

    async deleteUser(owner, leafUserId) {
      await requireUser(owner, leafUserId);
      if (!(await configurations.deleteUser(owner.ownerId, leafUserId))) {
        throw new FurrowError('not_found', `Leaf user ${leafUserId} has no configuration to delete; it already inherits every value from the API owner.`);
      }
    },
  };
}
