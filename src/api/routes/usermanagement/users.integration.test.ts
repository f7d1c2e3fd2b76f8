import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const base = '/services/usermanagement/api/users';

describe.each(databases)('Leaf users on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database);
  });
  afterAll(async () => h?.close());

  it('creates, reads, replaces, patches and deletes a user as Leaf documents', async () => {
    const created = await h.request({ method: 'POST', url: base, payload: { name: 'Jane Smith', email: 'jane@example.com', phone: '+15551234567', address: '123 Field Rd', externalId: 'grower-9381' } });
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15551234567', address: '123 Field Rd', externalId: 'grower-9381' });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.location).toBe(`${base}/${user.id}`);

    const got = await h.request({ method: 'GET', url: `${base}/${user.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(user);

    const replaced = await h.request({ method: 'PUT', url: base, payload: { id: user.id, name: 'Jane S.' } });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ id: user.id, name: 'Jane S.', email: null, phone: null, address: null, externalId: null });

    const patched = await h.request({ method: 'PATCH', url: `${base}/${user.id}`, payload: { email: 'js@example.com' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Jane S.', email: 'js@example.com' });

    const deleted = await h.request({ method: 'DELETE', url: `${base}/${user.id}` });
    expect(deleted.statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: `${base}/${user.id}` })).statusCode).toBe(404);
    expect((await h.request({ method: 'DELETE', url: `${base}/${user.id}` })).statusCode).toBe(404);
  });

  it('lists with filters, paging headers and sort', async () => {
    const token = await h.newOwnerToken();
    for (let i = 0; i < 25; i += 1) {
      const r = await h.request({ method: 'POST', url: base, token, payload: { name: `user ${String(i).padStart(2, '0')}`, externalId: `ext-${i}`, email: i % 2 === 0 ? 'even@example.com' : 'odd@example.com' } });
      expect(r.statusCode).toBe(201);
    }
    const first = await h.request({ method: 'GET', url: `${base}?sort=name,desc`, token });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-total-count']).toBe('25');
    expect(first.json()).toHaveLength(20);
    expect(first.json()[0].name).toBe('user 24');
    expect(first.headers.link).toContain('page=1&size=20>; rel="next"');
    expect(first.headers.link).toContain('rel="last"');

    const second = await h.request({ method: 'GET', url: `${base}?sort=name,desc&page=1`, token });
    expect(second.json().map((u: { name: string }) => u.name)).toEqual(['user 04', 'user 03', 'user 02', 'user 01', 'user 00']);

    const even = await h.request({ method: 'GET', url: `${base}?email=even@example.com&size=100`, token });
    expect(even.headers['x-total-count']).toBe('13');
    const byExternal = await h.request({ method: 'GET', url: `${base}?externalId=ext-7`, token });
    expect(byExternal.json()).toHaveLength(1);
    expect(byExternal.json()[0].name).toBe('user 07');

    const capped = await h.request({ method: 'GET', url: `${base}?size=500`, token });
    expect(capped.statusCode).toBe(200);
    expect(capped.headers.link).toContain('size=100');
  });

  it('refuses a second user with the same externalId for the same owner, but not for another owner', async () => {
    const a = await h.request({ method: 'POST', url: base, payload: { externalId: 'dup-1' } });
    expect(a.statusCode).toBe(201);
    const b = await h.request({ method: 'POST', url: base, payload: { externalId: 'dup-1' } });
    expect(b.statusCode).toBe(409);
    expect(b.json().errorKey).toBe('external_id_taken');
    const other = await h.request({ method: 'POST', url: base, token: await h.newOwnerToken(), payload: { externalId: 'dup-1' } });
    expect(other.statusCode).toBe(201);
  });

  it('hides every user of another API owner behind 404', async () => {
    const mine = (await h.request({ method: 'POST', url: base, payload: { name: 'mine' } })).json();
    const intruder = await h.newOwnerToken();
    for (const [method, url, payload] of [
      ['GET', `${base}/${mine.id}`, undefined],
      ['PATCH', `${base}/${mine.id}`, { name: 'stolen' }],
      ['PUT', base, { id: mine.id, name: 'stolen' }],
      ['DELETE', `${base}/${mine.id}`, undefined],
    ] as const) {
      const r = await h.request({ method, url, payload, token: intruder });
      expect(r.statusCode, `${method} ${url}`).toBe(404);
      expect(r.json().errorKey).toBe('not_found');
    }
    const list = await h.request({ method: 'GET', url: base, token: intruder });
    expect(list.json()).toEqual([]);
    expect((await h.request({ method: 'GET', url: `${base}/${mine.id}` })).json().name).toBe('mine');
  });
});
