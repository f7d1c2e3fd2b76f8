/**
 * Every class of bad input gets the right 4xx problem+json naming the problem, and changes nothing.
 */
import { SignJWT } from 'jose';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../keys/index.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from './testing/api-harness.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, errorKey: string) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, errorKey });
  expect(typeof body.detail).toBe('string');
  expect(typeof body.requestId).toBe('string');
  return body as { detail: string; fieldErrors?: { field: string; message: string }[] };
}

describe.each(databases)('bad input on $name', (database) => {
  let h: ApiHarness;
  let existing: { id: string; name: string };
  const countUsers = async () => Number((await h.storage.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    h = await startApiHarness(database, { bodyLimitBytes: 64 * 1024 });
    existing = (await h.request({ method: 'POST', url: users, payload: { name: 'keep me' } })).json();
  });
  afterAll(async () => h?.close());

  it('malformed JSON: 400 malformed_json, nothing stored', async () => {
    const before = await countUsers();
    for (const payload of ['{"name": "x"', '{name: x}', '[', 'nul']) {
      const r = await h.request({ method: 'POST', url: users, payload, headers: { 'content-type': 'application/json' } });
      expectProblem(r, 400, 'malformed_json');
    }
    const empty = await h.request({ method: 'POST', url: users, payload: '', headers: { 'content-type': 'application/json' } });
    expectProblem(empty, 400, 'malformed_json');
    expect(await countUsers()).toBe(before);
  });

  it('prototype pollution attempts are refused', async () => {
    const r = await h.request({ method: 'POST', url: users, payload: '{"name":"x","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } });
    expect(r.statusCode).toBe(400);
  });

  it('wrong types: 400 validation_failed naming every field, never coerced', async () => {
    const before = await countUsers();
    const r = await h.request({ method: 'POST', url: users, payload: { name: 42, email: true, externalId: { a: 1 } } });
    const body = expectProblem(r, 400, 'validation_failed');
    const fields = body.fieldErrors?.map((f) => f.field) ?? [];
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.email', 'body.externalId']));
    const notObject = await h.request({ method: 'POST', url: users, payload: '[1,2]', headers: { 'content-type': 'application/json' } });
    expectProblem(notObject, 400, 'validation_failed');
    expect(await countUsers()).toBe(before);
  });

  it('missing required fields: 400 naming the field', async () => {
    const put = await h.request({ method: 'PUT', url: users, payload: { name: 'no id' } });
    expect(expectProblem(put, 400, 'validation_failed').fieldErrors).toEqual([{ field: 'body.id', message: 'is required' }]);
    const auth = await h.request({ method: 'POST', url: '/api/authenticate', token: null, payload: { username: 'a@b.c' } });
    expect(expectProblem(auth, 400, 'validation_failed').fieldErrors?.map((f) => f.field)).toEqual(['body.password']);
  });

  it('oversized bodies: 413 body_too_large, nothing stored', async () => {
    const before = await countUsers();
    const r = await h.request({ method: 'POST', url: users, payload: { name: 'x'.repeat(100 * 1024) } });
    expectProblem(r, 413, 'body_too_large');
    expect(await countUsers()).toBe(before);
  });

  it('a body that is not JSON: 415 unsupported_media_type', async () => {
    const r = await h.request({ method: 'POST', url: users, payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(r, 415, 'unsupported_media_type');
  });

  it('unknown fields are ignored, as Leaf does', async () => {
    const r = await h.request({ method: 'POST', url: users, payload: { name: 'with extras', favouriteTractor: 'red', nested: { deep: [1] } } });
    expect(r.statusCode).toBe(201);
    expect(r.json()).not.toHaveProperty('favouriteTractor');
    expect(r.json().name).toBe('with extras');
  });

  it('bad paging values: 400 invalid_paging naming the parameter', async () => {
    for (const [query, field] of [
      ['page=-1', 'query.page'],
      ['page=abc', 'query.page'],
      ['size=0', 'query.size'],
      ['size=1.5', 'query.size'],
      ['sort=password,asc', 'query.sort'],
      ['sort=name,sideways', 'query.sort'],
    ] as const) {
      const r = await h.request({ method: 'GET', url: `${users}?${query}` });
      const body = expectProblem(r, 400, 'invalid_paging');
      expect(body.fieldErrors?.map((f) => f.field), query).toContain(field);
    }
  });

  it('bad tokens: 401 with WWW-Authenticate, for missing, garbage, expired and foreign tokens', async () => {
    const missing = await h.request({ method: 'GET', url: users, token: null });
    expectProblem(missing, 401, 'authentication_required');
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expectProblem(await h.request({ method: 'GET', url: users, token: 'not-a-jwt' }), 401, 'invalid_token');
    expectProblem(await h.request({ method: 'GET', url: users, headers: { authorization: 'Basic dXNlcjpwYXNz' }, token: null }), 401, 'invalid_token');

    const now = Math.floor(Date.now() / 1000);
    const sign = (key: Buffer, exp: number) =>
      new SignJWT({ username: 'x@example.com' }).setProtectedHeader({ alg: 'HS256' }).setSubject(crypto.randomUUID()).setIssuer('furrow').setIssuedAt(now - 100).setExpirationTime(exp).sign(crypto.createSecretKey(key));
    const expired = await sign(deriveKey(h.masterKey, 'jwt'), now - 10);
    expect(expectProblem(await h.request({ method: 'GET', url: users, token: expired }), 401, 'invalid_token').detail).toContain('expired');
    const foreign = await sign(deriveKey(crypto.randomBytes(32), 'jwt'), now + 3600);
    expectProblem(await h.request({ method: 'GET', url: users, token: foreign }), 401, 'invalid_token');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', username: 'y', iss: 'furrow', exp: now + 100 })).toString('base64url')}.`;
    expectProblem(await h.request({ method: 'GET', url: users, token: unsigned }), 401, 'invalid_token');
  });

  it('wrong password and unknown user: the same 401 bad_credentials', async () => {
    const email = `owner-${crypto.randomUUID()}@example.com`;
    await h.services.apiOwners.create(email, 'a long password');
    const wrong = await h.request({ method: 'POST', url: '/api/authenticate', token: null, payload: { username: email, password: 'nope nope' } });
    const unknown = await h.request({ method: 'POST', url: '/api/authenticate', token: null, payload: { username: 'nobody@example.com', password: 'nope nope' } });
    expect(expectProblem(wrong, 401, 'bad_credentials').detail).toBe(expectProblem(unknown, 401, 'bad_credentials').detail);
  });

  it("another owner's ids: 404, and the data is untouched", async () => {
    const intruder = await h.newOwnerToken();
    expectProblem(await h.request({ method: 'PATCH', url: `${users}/${existing.id}`, token: intruder, payload: { name: 'pwned' } }), 404, 'not_found');
    expectProblem(await h.request({ method: 'DELETE', url: `${users}/${existing.id}`, token: intruder }), 404, 'not_found');
    expect((await h.request({ method: 'GET', url: `${users}/${existing.id}` })).json().name).toBe('keep me');
  });

  it('unknown routes: 404 route_not_found problem+json', async () => {
    expectProblem(await h.request({ method: 'GET', url: '/services/nothing/api/here' }), 404, 'route_not_found');
    expectProblem(await h.request({ method: 'GET', url: '/nope', token: null }), 404, 'route_not_found');
  });

  it('an id in the path and a different id in the body: 400 id_mismatch', async () => {
    expectProblem(await h.request({ method: 'PATCH', url: `${users}/${existing.id}`, payload: { id: crypto.randomUUID(), name: 'x' } }), 400, 'id_mismatch');
    expect((await h.request({ method: 'GET', url: `${users}/${existing.id}` })).json().name).toBe('keep me');
  });
});
