import { maskSecret } from '../domain/index.js';
import type { Provider } from './provider.js';

/**
 * A credential body as GET shows it (SPEC section 3): public fields as they are, client secrets and
 * keys masked to their last four characters, tokens and passwords left out. Fields the provider
 * does not declare are left out too, so nothing stored by mistake is ever shown.
 */
export function credentialView(provider: Pick<Provider, 'publicFields' | 'secretFields'>, fields: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const name of provider.publicFields) {
    if (fields[name] !== undefined) view[name] = fields[name];
  }
  for (const [name, display] of Object.entries(provider.secretFields)) {
    const value = fields[name];
    if (display === 'masked' && typeof value === 'string') view[name] = maskSecret(value);
  }
  return view;
}
