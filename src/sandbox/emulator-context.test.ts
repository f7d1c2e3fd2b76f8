import { describe, expect, it } from 'vitest';
import { basicCredentials, bearerToken, stringParameters } from './emulator-context.js';
import { parseForm } from './sandbox-routes.js';

describe('reading credentials off requests', () => {
  it('decodes HTTP Basic client credentials form-encoded as RFC 6749 section 2.3.1 says', () => {
    const header = `Basic ${Buffer.from('my%20client:s%3Acret+x').toString('base64')}`;
    expect(basicCredentials(header)).toEqual({ clientId: 'my client', clientSecret: 's:cret x' });
    expect(basicCredentials(`Basic ${Buffer.from('id:a:b').toString('base64')}`)).toEqual({ clientId: 'id', clientSecret: 'a:b' });
    for (const bad of [undefined, '', 'Bearer abc', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from('%zz:x').toString('base64')}`]) {
      expect(basicCredentials(bad), String(bad)).toBeUndefined();
    }
  });

  it('reads a bearer token, and nothing from other schemes', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('form and query values', () => {
  it('keeps repeated form names as lists and never sets a prototype', () => {
    const form = parseForm('organization=1&organization=2&state=x&__proto__=polluted');
    expect(form).toEqual({ organization: ['1', '2'], state: 'x', ['__proto__']: 'polluted' });
    expect(Object.getPrototypeOf(form)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('takes the first of repeated values and drops non-strings', () => {
    expect(stringParameters({ a: ['1', '2'], b: 'x', c: 3 })).toEqual({ a: '1', b: 'x' });
    expect(stringParameters(undefined)).toEqual({});
  });
});
