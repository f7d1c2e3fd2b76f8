// Keys are paths Furrow builds from its own ids; anything else is a bug, refused before it
// reaches a file system or an object store.
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Returns `key` when it is a plain relative path of safe segments; throws otherwise. */
export function checkBlobKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) throw new Error(`Invalid blob key "${key}"`);
  return key;
}
