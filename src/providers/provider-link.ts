/**
 * How a grower connects a provider through a page Furrow serves (Magic Link, the widget; SPEC
 * section 10): the API owner's application for the provider (Leaf's "app key", leaf-api.md 6.2),
 * and either the provider's OAuth authorization-code step or a form for what the grower types.
 * Each provider folder says this in its `link.ts`; the pages and services never name a provider.
 */
import type { TObject } from '@sinclair/typebox';
import type { TokenSet } from '../domain/index.js';
import type { AdapterContext, Environment } from './provider.js';

/** An app key's body as stored (decrypted): the properties of the provider's `appKey.schema`. */
export type AppKeyFields = Readonly<Record<string, unknown>>;

/** The API owner's provider application (leaf-api.md 6.2). */
export interface AppKeyDefinition {
  /** Leaf's create/update body; unknown properties are ignored, as elsewhere. */
  schema: TObject;
  /** Properties that are shown on GET; every other property is a secret, encrypted and never returned. */
  publicFields: readonly string[];
  /**
   * The app key of a sandbox account, from the credential body the sandbox hands out (its
   * `credentialBody`), so the sandbox can seed app keys for its emulators.
   */
  fromSandboxCredential(body: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** The authorization-code step (RFC 6749 section 4.1), with PKCE where the provider supports it (RFC 7636). */
export interface OAuthLinkFlow {
  kind: 'oauth';
  /** The provider documents PKCE S256, so the authorize request carries a challenge. */
  pkce: boolean;
  /** The provider page the grower is sent to (a full-page redirect, never a pop-up). */
  authorizeUrl(appKey: AppKeyFields, request: { redirectUri: string; state: string; codeChallenge: string | undefined }, ctx: AdapterContext): string;
  /** Exchanges the code the provider sent back for the grower's tokens. Throws `ProviderError`. */
  exchangeCode(appKey: AppKeyFields, request: { code: string; redirectUri: string; codeVerifier: string | undefined }, ctx: AdapterContext): Promise<TokenSet>;
  /** The credentials POST body (the provider's `credentialSchema`) from the app key and the tokens. */
  credentialBody(appKey: AppKeyFields, tokens: TokenSet, environment: Environment): Record<string, unknown>;
}

/** A field the grower types on the form of a provider without OAuth. */
export interface LinkFormField {
  /** The credential body property it fills. */
  name: string;
  /** The label shown (English; the page adds the provider name). */
  label: string;
  /** Typed into a password input, never echoed back on the page. */
  secret: boolean;
}

/** A form for providers without a grower-facing OAuth step (Sentera, Raven Slingshot, Agvance, Stara). */
export interface FormLinkFlow {
  kind: 'form';
  fields: readonly LinkFormField[];
  /** The credentials POST body from the app key (absent when the provider has none) and what the grower typed. */
  credentialBody(appKey: AppKeyFields | undefined, form: Readonly<Record<string, string>>, environment: Environment): Record<string, unknown>;
}

/** A provider's part in Magic Link and the widget. */
export interface ProviderLink {
  /** Absent when the provider needs no application of the API owner (Sentera: the grower's login is all). */
  appKey?: AppKeyDefinition | undefined;
  connect: OAuthLinkFlow | FormLinkFlow;
}

/** The properties of `fields` named in `names` that are non-empty strings (or string lists). */
export function pickFields(fields: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    const value = fields[name];
    if ((typeof value === 'string' && value !== '') || Array.isArray(value)) picked[name] = value;
  }
  return picked;
}

/** A string property of an app key (schemas require them, so a missing one is a programming error). */
export function appKeyString(appKey: AppKeyFields, name: string): string {
  const value = appKey[name];
  if (typeof value !== 'string') throw new Error(`the app key has no ${name}; its schema should have required it`);
  return value;
}

/** `url` with RFC 7636's S256 challenge added, when there is one. */
export function withCodeChallenge(url: string, codeChallenge: string | undefined): string {
  if (codeChallenge === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('code_challenge', codeChallenge);
  parsed.searchParams.set('code_challenge_method', 'S256');
  return parsed.toString();
}

/** The scopes an app key names (`scopes`, the provider's own scope names), else the provider's defaults. */
export function appKeyScopes(appKey: AppKeyFields, defaults: readonly string[]): readonly string[] {
  const scopes = appKey['scopes'];
  return Array.isArray(scopes) && scopes.length > 0 && scopes.every((s) => typeof s === 'string') ? (scopes as string[]) : defaults;
}
