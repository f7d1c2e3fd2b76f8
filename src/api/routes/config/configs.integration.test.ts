import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGURATION_KEY_NAMES, defaultConfiguration } from '../../../domain/index.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const configs = '/services/config/api/configs';
const users = '/services/usermanagement/api/users';

describe.each(databases)('Leaf configurations on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database);
  });
  afterAll(async () => h?.close());

  /** A fresh API owner (so tests never share owner values) and one of its users. */
  async function ownerWithUser(): Promise<{ token: string; userId: string }> {
    const token = await h.newOwnerToken();
    const created = await h.request({ method: 'POST', url: users, token, payload: { name: 'grower' } });
    expect(created.statusCode).toBe(201);
    return { token, userId: created.json().id };
  }

  it("answers GET /configs with every key at Furrow's defaults, apiOwnerUsername and an empty leafUserId", async () => {
    const token = await h.newOwnerToken();
    const r = await h.request({ method: 'GET', url: configs, token });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.apiOwnerUsername).toMatch(/^owner-.*@example\.com$/);
    expect(body.leafUserId).toBe('');
    expect(Object.keys(body)).toEqual(['apiOwnerUsername', 'leafUserId', ...CONFIGURATION_KEY_NAMES]);
    expect(body).toEqual({ apiOwnerUsername: body.apiOwnerUsername, leafUserId: '', ...defaultConfiguration() });
  });

  it('changes owner values with PATCH and keeps the others', async () => {
    const token = await h.newOwnerToken();
    const r = await h.request({
      method: 'PATCH',
      url: configs,
      token,
      payload: {
        fieldsAutoSync: false,
        fieldsAttachIntersection: 2.5,
        unitMeasurement: 'METRIC',
        cleanupRules: { wetMass: [{ operator: 'GT', value: 10 }] },
        operationsImageAttributeCreation: { harvested: { wetMass: true } },
        cropOptional: { standardGeoJson: { planted: { crop: 'optional' } } },
      },
    });
    expect(r.statusCode).toBe(200);
    const got = (await h.request({ method: 'GET', url: configs, token })).json();
    expect(got).toEqual(r.json());
    expect(got).toMatchObject({ fieldsAutoSync: false, fieldsAttachIntersection: 2.5, unitMeasurement: 'METRIC', customDataSync: false, operationsMergeRange: 5 });
    expect(got.cleanupRules).toEqual({ wetMass: [{ operator: 'GT', value: 10 }] });
    expect(got.operationsImageAttributeCreation.harvested).toMatchObject({ wetMass: true, speed: false });
    expect(got.cropOptional).toEqual({ standardGeoJson: { planted: { crop: 'optional' } } });

    // A later partial change of a nested object keeps the flags set before.
    await h.request({ method: 'PATCH', url: configs, token, payload: { operationsImageAttributeCreation: { planted: { seedRate: true } } } });
    const again = (await h.request({ method: 'GET', url: configs, token })).json();
    expect(again.operationsImageAttributeCreation.harvested.wetMass).toBe(true);
    expect(again.operationsImageAttributeCreation.planted.seedRate).toBe(true);
  });

  it('refuses null on an owner PATCH, naming the key, and changes nothing', async () => {
    const token = await h.newOwnerToken();
    const r = await h.request({ method: 'PATCH', url: configs, token, payload: { fieldsAutoSync: false, unitMeasurement: null } });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json().errorKey).toBe('configuration_invalid');
    expect(r.json().fieldErrors).toEqual([{ field: 'body.unitMeasurement', message: 'cannot be null: API-owner configurations can be changed but not removed or set to null' }]);
    expect((await h.request({ method: 'GET', url: configs, token })).json().fieldsAutoSync).toBe(true);
  });

  it('refuses wrong types and out-of-range values with one field error per key, and changes nothing', async () => {
    const token = await h.newOwnerToken();
    const before = (await h.request({ method: 'GET', url: configs, token })).json();
    const r = await h.request({
      method: 'PATCH',
      url: configs,
      token,
      payload: {
        fieldsAutoSync: 'false',
        operationsMergeRange: '5',
        fieldsAttachIntersection: 101,
        organizationDataSync: 'SOME',
        cleanupRules: { crop: [{ operator: 'GT', value: 'corn' }] },
        operationsImageAttributeCreation: { harvested: { wetMass: 1 } },
        customDataSync: false,
      },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().errorKey).toBe('configuration_invalid');
    expect(r.json().fieldErrors.map((f: { field: string }) => f.field)).toEqual([
      'body.fieldsAutoSync',
      'body.operationsMergeRange',
      'body.fieldsAttachIntersection',
      'body.organizationDataSync',
      'body.cleanupRules.crop[0].operator',
      'body.operationsImageAttributeCreation.harvested.wetMass',
    ]);
    expect((await h.request({ method: 'GET', url: configs, token })).json()).toEqual(before);
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const payload of ['[1, 2]', '"fieldsAutoSync"', '42']) {
      const r = await h.request({ method: 'PATCH', url: configs, payload, headers: { 'content-type': 'application/json' } });
      expect(r.statusCode, payload).toBe(400);
      expect(r.json().errorKey, payload).toBe('validation_failed');
      expect(r.json().fieldErrors, payload).toEqual([{ field: 'body', message: 'must be object' }]);
    }
  });

  it('ignores unknown keys and accepts organizationsDataSync as organizationDataSync', async () => {
    const token = await h.newOwnerToken();
    const r = await h.request({ method: 'PATCH', url: configs, token, payload: { organizationsDataSync: 'SELECTED_ONLY', someFutureKey: { a: 1 }, apiOwnerUsername: 'someone-else' } });
    expect(r.statusCode).toBe(200);
    expect(r.json().organizationDataSync).toBe('SELECTED_ONLY');
    expect(r.json()).not.toHaveProperty('organizationsDataSync');
    expect(r.json()).not.toHaveProperty('someFutureKey');
    expect(r.json().apiOwnerUsername).not.toBe('someone-else');
  });

  it('keeps historical keys Leaf still accepts', async () => {
    const token = await h.newOwnerToken();
    const ramp = { '0%': [255, 0, 0], '100%': [0, 255, 0], nv: [0, 0, 0, 0] };
    const r = await h.request({ method: 'PATCH', url: configs, token, payload: { geoimagesShape: 'ROUND', geoimagesColorRamp: ramp, summaryGeometry: 'CONVEX_HULL' } });
    expect(r.statusCode).toBe(200);
    expect((await h.request({ method: 'GET', url: configs, token })).json()).toMatchObject({ geoimagesShape: 'ROUND', geoimagesColorRamp: ramp, summaryGeometry: 'CONVEX_HULL' });
  });

  it("gives a user without a configuration the owner's values, with leafUserId set", async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'PATCH', url: configs, token, payload: { fieldsAutoSync: false } });
    const r = await h.request({ method: 'GET', url: `${configs}/${userId}`, token });
    expect(r.statusCode).toBe(200);
    const owner = (await h.request({ method: 'GET', url: configs, token })).json();
    expect(r.json()).toEqual({ ...owner, leafUserId: userId });
  });

  it('creates a user configuration with POST; missing keys are inherited; a second POST is 409', async () => {
    const { token, userId } = await ownerWithUser();
    const created = await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { unitMeasurement: 'IMPERIAL', operationsMergeRange: 3 } });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`${configs}/${userId}`);
    expect(created.json()).toMatchObject({ leafUserId: userId, unitMeasurement: 'IMPERIAL', operationsMergeRange: 3, fieldsAutoSync: true });
    expect((await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json()).toEqual(created.json());

    const again = await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { unitMeasurement: 'METRIC' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().errorKey).toBe('configuration_exists');
    expect((await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json().unitMeasurement).toBe('IMPERIAL');

    const empty = await ownerWithUser();
    const bare = await h.request({ method: 'POST', url: `${configs}/${empty.userId}`, token: empty.token });
    expect(bare.statusCode).toBe(201);
  });

  it("keeps a value set on the user when the owner's value changes, while unset values follow the owner", async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { unitMeasurement: 'IMPERIAL', operationsImageAttributeCreation: { harvested: { speed: true } } } });
    await h.request({
      method: 'PATCH',
      url: configs,
      token,
      payload: { unitMeasurement: 'METRIC', fieldsAutoSync: false, operationsImageAttributeCreation: { harvested: { wetMass: true } } },
    });
    const user = (await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json();
    expect(user.unitMeasurement).toBe('IMPERIAL');
    expect(user.fieldsAutoSync).toBe(false);
    // The user's image flags were set as a whole key, so the owner's later flag does not leak in.
    expect(user.operationsImageAttributeCreation.harvested).toMatchObject({ speed: true, wetMass: false });
  });

  it('changes user values with PATCH, where null makes a value inherited again', async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { unitMeasurement: 'IMPERIAL', fieldsAutoSync: false } });
    const patched = await h.request({ method: 'PATCH', url: `${configs}/${userId}`, token, payload: { unitMeasurement: null, operationsProcessingRange: 24 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ unitMeasurement: 'DEFAULT', fieldsAutoSync: false, operationsProcessingRange: 24 });

    await h.request({ method: 'PATCH', url: configs, token, payload: { unitMeasurement: 'METRIC' } });
    expect((await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json().unitMeasurement).toBe('METRIC');
  });

  it('creates the configuration on a PATCH for a user that has none', async () => {
    const { token, userId } = await ownerWithUser();
    const r = await h.request({ method: 'PATCH', url: `${configs}/${userId}`, token, payload: { zonesAutoSync: true } });
    expect(r.statusCode).toBe(200);
    expect(r.json().zonesAutoSync).toBe(true);
    expect((await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: {} })).statusCode).toBe(409);
  });

  it('refuses wrong types on a user PATCH and changes nothing', async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { fieldsAutoSync: false } });
    const r = await h.request({ method: 'PATCH', url: `${configs}/${userId}`, token, payload: { fieldsAutoSync: true, operationsOutliersLimit: 'three' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().errorKey).toBe('configuration_invalid');
    expect(r.json().fieldErrors).toEqual([{ field: 'body.operationsOutliersLimit', message: 'must be a number greater than 0 (standard deviations), found string "three"' }]);
    expect((await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json().fieldsAutoSync).toBe(false);
  });

  it('deletes a user configuration, after which the user inherits everything', async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { unitMeasurement: 'IMPERIAL' } });
    const deleted = await h.request({ method: 'DELETE', url: `${configs}/${userId}`, token });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    const owner = (await h.request({ method: 'GET', url: configs, token })).json();
    expect((await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json()).toEqual({ ...owner, leafUserId: userId });
    const twice = await h.request({ method: 'DELETE', url: `${configs}/${userId}`, token });
    expect(twice.statusCode).toBe(404);
    expect(twice.json().errorKey).toBe('not_found');
    expect((await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { fieldsAutoSync: false } })).statusCode).toBe(201);
  });

  it("answers 404 for another owner's user and for unknown ids, on every user route", async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { unitMeasurement: 'IMPERIAL' } });
    const intruder = await h.newOwnerToken();
    for (const [id, who] of [
      [userId, intruder],
      ['00000000-0000-0000-0000-000000000000', token],
    ] as const) {
      for (const [method, payload] of [
        ['GET', undefined],
        ['POST', { unitMeasurement: 'METRIC' }],
        ['PATCH', { unitMeasurement: 'METRIC' }],
        ['DELETE', undefined],
      ] as const) {
        const r = await h.request({ method, url: `${configs}/${id}`, payload, token: who });
        expect(r.statusCode, `${method} ${id}`).toBe(404);
        expect(r.json().errorKey).toBe('not_found');
      }
    }
    expect((await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json().unitMeasurement).toBe('IMPERIAL');
  });

  it("keeps each owner's values apart", async () => {
    const a = await h.newOwnerToken();
    const b = await h.newOwnerToken();
    await h.request({ method: 'PATCH', url: configs, token: a, payload: { fieldsAutoSync: false } });
    expect((await h.request({ method: 'GET', url: configs, token: b })).json().fieldsAutoSync).toBe(true);
  });

  it('removes the configuration with the user', async () => {
    const { token, userId } = await ownerWithUser();
    await h.request({ method: 'POST', url: `${configs}/${userId}`, token, payload: { fieldsAutoSync: false } });
    expect((await h.request({ method: 'DELETE', url: `${users}/${userId}`, token })).statusCode).toBe(204);
    expect(await h.services.configurations.getOwner({ ownerId: 'none', username: 'none' })).toEqual(defaultConfiguration());
    const rows = await h.storage.db.selectFrom('user_configurations').select('user_id').where('user_id', '=', userId).execute();
    expect(rows).toEqual([]);
  });

  it('never loses a change when PATCHes to different keys race', async () => {
    const { token, userId } = await ownerWithUser();
    const keys = ['implementsAutoSync', 'machinesAutoSync', 'operatorsAutoSync', 'productsAutoSync', 'zonesAutoSync', 'syncPartnerData'] as const;
    const results = await Promise.all([
      ...keys.map((key) => h.request({ method: 'PATCH', url: configs, token, payload: { [key]: true } })),
      ...keys.map((key) => h.request({ method: 'PATCH', url: `${configs}/${userId}`, token, payload: { [key]: true } })),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 200));
    const owner = (await h.request({ method: 'GET', url: configs, token })).json();
    const user = (await h.request({ method: 'GET', url: `${configs}/${userId}`, token })).json();
    for (const key of keys) {
      expect(owner[key], `owner ${key}`).toBe(true);
      expect(user[key], `user ${key}`).toBe(true);
    }
  });

  it('describes every key in the OpenAPI document', async () => {
    const doc = (await h.request({ method: 'GET', url: '/openapi.json', token: null })).json();
    const get = doc.paths['/services/config/api/configs'].get.responses['200'].content['application/json'].schema;
    const patch = doc.paths['/services/config/api/configs/{leafUserId}'].patch.requestBody.content['application/json'].schema;
    for (const key of CONFIGURATION_KEY_NAMES) {
      expect(get.properties[key]?.description, key).toBeTruthy();
      expect(patch.properties[key], key).toBeDefined();
    }
    expect(patch.properties.organizationsDataSync).toBeDefined();
    expect(get.properties.fieldsAttachIntersection).toMatchObject({ type: 'number', minimum: 0, maximum: 100 });
  });
});
