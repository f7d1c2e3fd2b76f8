/**
 * Every provider Furrow serves. Routes, schemas, sync and the sandbox are driven from this list;
 * `provider.contract.test.ts` fails when a provider folder is missing from it.
 */
import { agLeader } from './ag-leader/index.js';
import { agvance } from './agvance/index.js';
import { claas } from './claas/index.js';
import { climateFieldView } from './climate-field-view/index.js';
import { cnhi } from './cnhi/index.js';
import { johnDeere } from './john-deere/index.js';
import { panorama } from './panorama/index.js';
import type { Provider } from './provider.js';
import { ravenSlingshot } from './raven-slingshot/index.js';
import { raven } from './raven/index.js';
import { sentera } from './sentera/index.js';
import { stara } from './stara/index.js';
import { trimble } from './trimble/index.js';

/** The providers by id, in the order of SPEC section 4. */
export const providers = {
  'john-deere': johnDeere,
  claas,
  'climate-field-view': climateFieldView,
  cnhi,
  trimble,
  'ag-leader': agLeader,
  raven,
  'raven-slingshot': ravenSlingshot,
  stara,
  sentera,
  agvance,
  panorama,
} satisfies Record<string, Provider>;

export type ProviderId = keyof typeof providers;

/** Every provider id, in registry order. */
export const providerIds = Object.keys(providers) as ProviderId[];

/** True for a registered provider id (the stem of `<id>-credentials`). */
export function isProviderId(id: string): id is ProviderId {
  return Object.hasOwn(providers, id);
}

/** The provider with this id, or `undefined`. */
export function providerById(id: string): Provider | undefined {
  return isProviderId(id) ? providers[id] : undefined;
}

/** The provider Leaf's other APIs call `apiName` (e.g. `JohnDeere` in `/organizations/{provider}`), or `undefined`. */
export function providerByApiName(apiName: string): Provider | undefined {
  return Object.values(providers).find((provider) => provider.apiName === apiName);
}
