/**
 * Leaf's Fields service and boundary uploads (leaf-api.md 7.1) on each database: growers, farms,
 * manual fields, boundary history with its alerts, validity errors in Leaf's words, geometry
 * queries, provider fields that cannot be deleted, tenant isolation, uploads of shapefile zips,
 * GeoJSON and KML, the corpus's boundary shapefiles and the corpus TaskData's 21 partfields.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { fieldsRepository } from '../../../storage/repositories/fields.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { multipartBody, zipOf } from '../operations/testing/synthetic-uploads.js';
import { writePolygonShapefile } from '../../../formats/boundaries/testing/polygon-shapefile.js';
import { createFieldsFromTaskData } from '../../../services/testing/create-fields-from-task-data.js';

const databases = await testDatabases();
const api = '/services/fields/api';
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const boundaryDir = path.join(corpus, 'strips-yield/data-raw/boundary_original');
const taskDataDir = path.join(corpus, 'isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs');

const rect = (x: number, y: number, w: number, h: number) => [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]];
const multi = (...rings: number[][][]) => ({ type: 'MultiPolygon', coordinates: [rings] });

describe.each(databases)('the Fields service on $name', (database) => {
  let h: ApiHarness;
  let userId: string;

  const post = (url: string, payload: unknown, token?: string) => h.request({ method: 'POST', url: `${api}${url}`, payload: payload as object, ...(token === undefined ? {} : { token }) });
  const get = (url: string, token?: string) => h.request({ method: 'GET', url: `${api}${url}`, ...(token === undefined ? {} : { token }) });
  const outbox = async (type: string) =>
    (await h.storage.db.selectFrom('alert_outbox').select(['event_type', 'body']).where('event_type', '=', type).orderBy('seq').execute()).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  const upload = (bytes: Uint8Array, fileName: string, user = userId) => {
    const { payload, headers } = multipartBody('file', fileName, bytes);
    return h.request({ method: 'POST', url: `/services/uploadservice/api/upload?leafUserId=${user}`, payload, headers });
  };

  beforeAll(async () => {
    h = await startApiHarness(database, { bodyLimitBytes: 16 * 1024 * 1024 });
    const hook = await h.request({
      method: 'POST',
      url: '/services/alerts/api/alerts/webhooks',
      payload: { events: ['fieldCreated', 'fieldUpdated', 'fieldBoundaryCreated', 'fieldBoundaryUpdated'], name: 'fields', url: 'http://127.0.0.1:9/hook', secret: 'fields-test-secret' },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    userId = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Grower' } })).json().id;
  });
  afterAll(async () => {
    await h?.close();
  });

  let growerId: number;
  let farmId: number;
  it('creates growers and farms with integer ids, and lists them', async () => {
    const grower = await post(`/users/${userId}/growers`, { name: 'Smith Farms' });
    expect(grower.statusCode, grower.body).toBe(201);
    growerId = grower.json().id;
    expect(Number.isInteger(growerId)).toBe(true);
    const farm = await post(`/users/${userId}/farms`, { name: 'Home', growerId });
    expect(farm.statusCode, farm.body).toBe(201);
    farmId = farm.json().id;
    expect(farm.json()).toMatchObject({ name: 'Home', growerId, leafUserId: userId, fieldIds: [] });
    expect((await get(`/growers/${growerId}`)).json()).toMatchObject({ name: 'Smith Farms', farmIds: [farmId] });
    const renamed = await h.request({ method: 'PUT', url: `${api}/users/${userId}/farms/${farmId}`, payload: { name: 'Home place', growerId } });
    expect(renamed.json().name).toBe('Home place');
    const farms = await get(`/farms?leafUserId=${userId}&growerId=${growerId}`);
    expect(farms.headers['x-total-count']).toBe('1');
    expect((await post(`/users/${userId}/farms`, { name: 'x', growerId: 999999 })).statusCode).toBe(400);
  });

  let fieldId: string;
  it('creates a manual field from a MultiPolygon, with its area and first boundary, and raises fieldCreated', async () => {
    const answer = await post(`/users/${userId}/fields`, { id: 'north-40', name: 'North 40', farmId, geometry: multi(rect(-93.3, 41.5, 0.01, 0.01)) });
    expect(answer.statusCode, answer.body).toBe(201);
    const field = answer.json();
    fieldId = field.id;
    expect(field).toMatchObject({ id: 'north-40', leafUserId: userId, name: 'North 40', type: 'ORIGINAL', status: 'PROCESSED', farmId, files: [], sources: [] });
    expect(field).not.toHaveProperty('providerName');
    expect(field.boundaries).toHaveLength(1);
    expect(field.area.unit).toBe('ha');
    // 0.01° × 0.01° at 41.5° N: about 1113 m × cos(41.5°) × 1110 m.
    expect(field.area.value).toBeGreaterThan(90);
    expect(field.area.value).toBeLessThan(95);
    expect((await post(`/users/${userId}/fields`, { id: 'north-40', geometry: multi(rect(-93.3, 41.5, 0.01, 0.01)) })).statusCode).toBe(409);
    expect(await outbox('fieldCreated')).toEqual([expect.objectContaining({ source: 'REST', leafUserId: userId, fieldId: 'north-40', type: 'fieldCreated' })]);
    expect(await outbox('fieldBoundaryCreated')).toEqual([expect.objectContaining({ leafUserId: userId, fieldId: 'north-40', boundaryId: field.boundaries[0] })]);
  });

  it('accepts a Polygon and stores it as a MultiPolygon', async () => {
    const answer = await post(`/users/${userId}/fields`, { name: 'South', geometry: { type: 'Polygon', coordinates: [rect(-93.3, 41.48, 0.01, 0.01)] } });
    expect(answer.statusCode, answer.body).toBe(201);
    expect(answer.json().geometry.type).toBe('MultiPolygon');
    expect(answer.json().id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps boundary history: PUT makes a new ACTIVE boundary, the old one INACTIVE, and raises fieldBoundaryUpdated', async () => {
    const before = (await get(`/users/${userId}/fields/${fieldId}/boundary`)).json();
    const put = await h.request({ method: 'PUT', url: `${api}/users/${userId}/fields/${fieldId}/boundary`, payload: { geometry: multi(rect(-93.3, 41.5, 0.02, 0.01)) } });
    expect(put.statusCode, put.body).toBe(200);
    const after = put.json();
    expect(after).toMatchObject({ status: 'ACTIVE', validity: 'VALID' });
    expect(after.id).not.toBe(before.id);
    expect(after.area.value / before.area.value).toBeCloseTo(2, 3);
    const list = (await get(`/users/${userId}/fields/${fieldId}/boundaries`)).json();
    expect(list.map((b: { id: string; status: string }) => [b.id, b.status])).toEqual([[after.id, 'ACTIVE'], [before.id, 'INACTIVE']]);
    expect((await get(`/users/${userId}/fields/${fieldId}/boundaries/${before.id}`)).json()).toMatchObject({ status: 'INACTIVE', geometry: before.geometry });
    expect((await get(`/users/${userId}/fields/${fieldId}`)).json()).toMatchObject({ boundaries: [after.id, before.id], geometry: after.geometry });
    expect(await outbox('fieldBoundaryUpdated')).toEqual([expect.objectContaining({ leafUserId: userId, fieldId, boundaryId: after.id })]);
    const boundaries = await h.services.fields.activeBoundaries(await h.services.apiOwners.verifyToken(h.token), userId);
    expect(boundaries.find((b) => b.fieldId === fieldId)).toMatchObject({ boundaryId: after.id, areaHectares: after.area.value });
  });

  it("refuses invalid geometries with Leaf's JTS names when automaticFixBoundary is off", async () => {
    expect((await h.request({ method: 'POST', url: `/services/config/api/configs/${userId}`, payload: { automaticFixBoundary: false } })).statusCode).toBeLessThan(300);
    const bowTie = await post(`/users/${userId}/fields`, { geometry: multi([[-93, 41], [-92.99, 41.01], [-92.99, 41], [-93, 41.01], [-93, 41]]) });
    expect(bowTie.statusCode).toBe(400);
    expect(bowTie.json()).toMatchObject({ errorKey: 'invalidGeometry' });
    expect(bowTie.json().message).toMatch(/^Invalid geometry: Self-intersection {2}at POINT \(-92\.99\d+ 41\.00\d+\)$/);
    const hole = await post(`/users/${userId}/fields`, { geometry: multi(rect(-93, 41, 0.01, 0.01), rect(-92, 41, 0.001, 0.001)) });
    expect(hole.json().message).toMatch(/^Invalid geometry: Hole lies outside shell/);
    const few = await post(`/users/${userId}/fields`, { geometry: multi([[-93, 41], [-92.99, 41], [-93, 41]]) });
    expect(few.json().message).toMatch(/^Invalid geometry: Too few distinct points in geometry component/);
    const point = await post(`/users/${userId}/fields`, { geometry: { type: 'Point', coordinates: [-93, 41] } });
    expect(point.statusCode).toBe(400);
  });

  it('repairs a self-intersecting boundary when automaticFixBoundary is on, keeping the invalid one as history', async () => {
    expect((await h.request({ method: 'PATCH', url: `/services/config/api/configs/${userId}`, payload: { automaticFixBoundary: true } })).statusCode).toBeLessThan(300);
    const answer = await post(`/users/${userId}/fields`, { name: 'Bow tie', geometry: multi([[-94, 41], [-93.99, 41.01], [-93.99, 41], [-94, 41.01], [-94, 41]]) });
    expect(answer.statusCode, answer.body).toBe(201);
    const boundaries = (await get(`/users/${userId}/fields/${answer.json().id}/boundaries`)).json();
    expect(boundaries.map((b: { status: string; validity: string; fixStatus?: string }) => [b.status, b.validity, b.fixStatus])).toEqual([
      ['ACTIVE', 'VALID', 'FIXED'],
      ['INACTIVE', 'SELF_INTERSECTION', undefined],
    ]);
    expect(boundaries[0].geometry.coordinates).toHaveLength(2);
  });

  it('finds fields by geometry with intersectionThreshold, and intersects two fields', async () => {
    const east = await post(`/users/${userId}/fields`, { id: 'east', geometry: multi(rect(-93.29, 41.5, 0.02, 0.01)) });
    expect(east.statusCode, east.body).toBe(201);
    // north-40 is now [-93.3, -93.28] × [41.5, 41.51]; east is [-93.29, -93.27]: they share half of each.
    const shared = await post(`/users/${userId}/fields/intersect`, ['north-40', 'east']);
    expect(shared.statusCode, shared.body).toBe(200);
    expect(shared.json().type).toBe('MultiPolygon');
    const xs = shared.json().coordinates.flat(2).map((p: number[]) => p[0]);
    expect(Math.min(...xs)).toBeCloseTo(-93.29, 9);
    expect(Math.max(...xs)).toBeCloseTo(-93.28, 9);
    // A query square over the east quarter of north-40 only (the part east does not cover is none; so over a tenth of east).
    const query = multi(rect(-93.272, 41.5, 0.002, 0.01));
    const loose = (await post('/fields/query/intersects', { geometry: query, intersectionThreshold: 5 })).json();
    expect(loose.map((f: { id: string }) => f.id)).toEqual(['east']);
    const strictOnField = (await post('/fields/query/intersects', { geometry: multi(rect(-93.29, 41.5, 0.002, 0.01)), intersectionThreshold: 50 })).json();
    // The query lies wholly inside both fields: 100 % of the query geometry, so both match.
    expect(strictOnField.map((f: { id: string }) => f.id).sort()).toEqual(['east', 'north-40']);
    const byShareOfField = (await post('/fields/query/intersects', { geometry: multi(rect(-93.35, 41.45, 0.2, 0.2)), intersectionThreshold: 100 })).json();
    expect(byShareOfField.map((f: { id: string }) => f.id)).toContain('east');
    const none = (await post('/fields/query/intersects', { geometry: multi(rect(10, 10, 0.01, 0.01)) })).json();
    expect(none).toEqual([]);
    const userScoped = await post(`/users/${userId}/fields/intersects`, { geometry: query });
    expect(userScoped.json().map((f: { id: string }) => f.id)).toEqual(['east']);
  });

  it('lists fields with filters and paging headers', async () => {
    const all = await get(`/fields?leafUserId=${userId}&size=2&sort=name,asc`);
    expect(all.statusCode).toBe(200);
    expect(Number(all.headers['x-total-count'])).toBeGreaterThanOrEqual(4);
    expect(all.json()).toHaveLength(2);
    expect(String(all.headers.link)).toContain('rel="next"');
    expect((await get(`/fields?farmId=${farmId}`)).json().map((f: { id: string }) => f.id)).toEqual(['north-40']);
    expect((await get('/fields?provider=JohnDeere')).json()).toEqual([]);
    expect((await get(`/users/${userId}/fields?type=MERGED`)).json()).toEqual([]);
    expect((await get('/fields?sort=area,asc')).statusCode).toBe(400);
  });

  it('PATCHes and DELETEs manual fields, and refuses both on provider fields', async () => {
    const patched = await h.request({ method: 'PATCH', url: `${api}/users/${userId}/fields/east`, payload: { name: 'East strip' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().name).toBe('East strip');
    expect(await outbox('fieldUpdated')).toEqual([expect.objectContaining({ source: 'REST', fieldId: 'east' })]);
    const owner = await h.services.apiOwners.verifyToken(h.token);
    const now = new Date().toISOString();
    await fieldsRepository(h.storage.db, h.storage.dialect).insertField({
      id: 'jd-1', ownerId: owner.ownerId, leafUserId: userId, name: 'Synced', farmId: null, type: 'ORIGINAL', status: 'PREVIEW', mergedFieldId: null, sources: [], createdTime: now, updatedTime: now,
      provider: { providerName: 'JohnDeere', providerId: 2, providerFieldId: 'b96e', providerBoundaryId: null, providerFieldName: 'The_Field', organizationId: '428214' },
    });
    const synced = (await get(`/users/${userId}/fields/jd-1`)).json();
    expect(synced).toMatchObject({ providerName: 'JohnDeere', providerFieldId: 'b96e', organizationId: '428214', status: 'PREVIEW', boundaries: [] });
    const summary = await h.request({ method: 'GET', url: `/services/integrations/api/resources?leafUserId=${userId}` });
    expect(summary.json()).toEqual({ message: 'SUCCESS', summaries: [{ provider: 'JohnDeere', leafUserId: userId, growers: 0, farms: 0, fields: 1, syncReferenceTime: now }] });
    expect((await h.request({ method: 'GET', url: '/services/integrations/api/resources', token: await h.newOwnerToken() })).json().summaries).toEqual([]);
    const enabled = await post(`/users/${userId}/fields/jd-1/enableSync`, {});
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json().status).toBe('WAITING');
    expect((await post(`/users/${userId}/fields/east/enableSync`, {})).json().status).toBe('PROCESSED');
    await fieldsRepository(h.storage.db, h.storage.dialect).insertField({
      id: 'jd-2', ownerId: owner.ownerId, leafUserId: userId, name: 'Synced 2', farmId, type: 'ORIGINAL', status: 'PREVIEW', mergedFieldId: null, sources: [], createdTime: now, updatedTime: now,
      provider: { providerName: 'JohnDeere', providerId: 2, providerFieldId: 'c07f', providerBoundaryId: null, providerFieldName: null, organizationId: '428214' },
    });
    const byGrower = await post('/growers/enableSync', { growerIds: [growerId] });
    expect(byGrower.json()).toEqual({ growerIds: [growerId], fieldsEnabled: 1 });
    expect((await get(`/users/${userId}/fields/jd-2`)).json().status).toBe('WAITING');
    expect((await post('/growers/enableSync', { growerIds: [growerId] }, await h.newOwnerToken())).json().fieldsEnabled).toBe(0);
    const refused = await h.request({ method: 'DELETE', url: `${api}/users/${userId}/fields/jd-1` });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ errorKey: 'provider_field_read_only' });
    expect((await get('/fields?provider=JohnDeere')).json().map((f: { id: string }) => f.id)).toEqual(['jd-1', 'jd-2']);
    expect((await get(`/fields?provider=Leaf&leafUserId=${userId}`)).json().map((f: { id: string }) => f.id)).not.toContain('jd-1');
    const deleted = await h.request({ method: 'DELETE', url: `${api}/users/${userId}/fields/east` });
    expect(deleted.statusCode).toBe(204);
    expect((await get(`/users/${userId}/fields/east`)).statusCode).toBe(404);
    expect((await get(`/users/${userId}/fields/east/boundaries`)).statusCode).toBe(404);
  });

  it("answers 404 for another API owner's users, fields, boundaries, growers and farms", async () => {
    const other = await h.newOwnerToken();
    const boundaryId = (await get(`/users/${userId}/fields/${fieldId}`)).json().boundaries[0];
    for (const url of [`/users/${userId}/fields/${fieldId}`, `/users/${userId}/fields/${fieldId}/boundary`, `/users/${userId}/fields/${fieldId}/boundaries/${boundaryId}`, `/growers/${growerId}`, `/users/${userId}/farms/${farmId}`, `/users/${userId}/fields`]) {
      expect((await get(url, other)).statusCode, url).toBe(404);
    }
    expect((await get('/fields', other)).json()).toEqual([]);
    expect((await post('/fields/query/intersects', { geometry: multi(rect(-93.35, 41.45, 0.2, 0.2)) }, other)).json()).toEqual([]);
    expect((await post(`/users/${userId}/fields`, { geometry: multi(rect(-93.3, 41.5, 0.01, 0.01)) }, other)).statusCode).toBe(404);
    expect((await h.request({ method: 'PUT', url: `${api}/users/${userId}/fields/${fieldId}/boundary`, payload: { geometry: multi(rect(0, 0, 1, 1)) }, token: other })).statusCode).toBe(404);
    expect((await h.request({ method: 'DELETE', url: `${api}/users/${userId}/fields/${fieldId}`, token: other })).statusCode).toBe(404);
  });

  it('answers a manual sync of a user without syncable credentials with 202, saying nothing was queued', async () => {
    const answer = await post(`/users/${userId}/fields/sync`, {});
    expect(answer.statusCode).toBe(202);
    expect(answer.json().message).toMatch(/nothing was queued/);
  });

  describe('boundary uploads', () => {
    it('makes fields from a zipped polygon shapefile in UTM, reprojected, named from the NAME column', async () => {
      const prj = fs.existsSync(path.join(boundaryDir, 'basswood1.prj')) ? fs.readFileSync(path.join(boundaryDir, 'basswood1.prj'), 'utf8') : undefined;
      const utm = prj ?? 'PROJCS["NAD_1983_UTM_Zone_15N",GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-93.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
      const { shp, shx, dbf } = writePolygonShapefile([
        { name: 'Upload A', rings: [rect(477000, 4598400, 200, 100)] },
        { name: 'Upload B', rings: [rect(478000, 4598400, 100, 100)] },
      ]);
      const answer = await upload(zipOf({ 'fields.shp': shp, 'fields.shx': shx, 'fields.dbf': dbf, 'fields.prj': utm }), 'fields.zip');
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.json()).toMatchObject({ leafUserId: userId, fileName: 'fields.zip', status: 'PROCESSED' });
      const entries = (await h.request({ method: 'GET', url: `/services/uploadservice/api/upload/${answer.json().id}/entries` })).json();
      expect(entries).toEqual([expect.objectContaining({ converterFormat: 'SHAPEFILE', status: 'FINISHED', createFieldErrorDetails: [], uploadId: answer.json().id })]);
      const created = await Promise.all(entries[0].fieldId.map(async (id: string) => (await get(`/users/${userId}/fields/${id}`)).json()));
      expect(created.map((f) => f.name)).toEqual(['Upload A', 'Upload B']);
      // 200 m × 100 m in UTM is 2 ha, give or take the projection's scale (k ≈ 0.9996).
      expect(created[0].area.value).toBeCloseTo(2, 1);
      expect(created[0].geometry.coordinates[0][0][0][0]).toBeCloseTo(-93.27, 1);
    });

    it('reports per-feature errors from GeoJSON and makes fields from KML', async () => {
      const geojson = JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { name: 'Good' }, geometry: { type: 'Polygon', coordinates: [rect(-95, 40, 0.01, 0.01)] } },
          { type: 'Feature', properties: { name: 'Crossed' }, geometry: { type: 'Polygon', coordinates: [rect(-95, 40, 0.01, 0.01), rect(-94, 40, 0.01, 0.01)] } },
        ],
      });
      const answer = await upload(new TextEncoder().encode(geojson), 'fields.geojson');
      expect(answer.json().status).toBe('PROCESSED');
      const [entry] = (await h.request({ method: 'GET', url: `/services/uploadservice/api/upload/${answer.json().id}/entries` })).json();
      expect(entry).toMatchObject({ converterFormat: 'GEOJSON', status: 'PARTIALLY_FINISHED' });
      expect(entry.fieldId).toHaveLength(1);
      expect(entry.createFieldErrorDetails).toEqual([expect.stringMatching(/feature 2 \(Crossed\): Invalid geometry: Hole lies outside shell/)]);
      const kml = `<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>Kml field</name><Polygon><outerBoundaryIs><LinearRing><coordinates>${rect(-96, 40, 0.01, 0.01).map((p) => p.join(',')).join(' ')}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>`;
      const kmz = await upload(zipOf({ 'doc.kml': kml }), 'fields.kmz');
      expect(kmz.json().status).toBe('PROCESSED');
      const list = await h.request({ method: 'GET', url: `/services/uploadservice/api/upload?leafUserId=${userId}` });
      expect(Number(list.headers['x-total-count'])).toBe(3);
      const bad = await upload(new TextEncoder().encode('hello'), 'notes.txt');
      expect(bad.json().status).toBe('FAILED');
    });

    it.skipIf(!fs.existsSync(boundaryDir))('makes a field of every polygon of the corpus boundary shapefiles (needs ../shared/corpus)', async () => {
      const files: Record<string, Uint8Array> = {};
      for (const name of fs.readdirSync(boundaryDir).filter((n) => /\.(shp|shx|dbf|prj)$/.test(n))) files[name] = fs.readFileSync(path.join(boundaryDir, name));
      const other = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Strips' } })).json().id;
      const answer = await upload(zipOf(files), 'boundary_original.zip', other);
      expect(answer.statusCode, answer.body).toBe(200);
      const entries = (await h.request({ method: 'GET', url: `/services/uploadservice/api/upload/${answer.json().id}/entries` })).json();
      expect(entries).toHaveLength(12);
      const made = entries.reduce((n: number, e: { fieldId: string[] }) => n + e.fieldId.length, 0);
      // ogrinfo counts 37 polygons in the twelve layers.
      expect(made + entries.reduce((n: number, e: { createFieldErrorDetails: string[] }) => n + e.createFieldErrorDetails.length, 0)).toBe(37);
      expect(made).toBeGreaterThan(30);
      const fields = (await get(`/users/${other}/fields?size=100`)).json();
      expect(fields).toHaveLength(made);
      for (const f of fields) {
        const b = (await get(`/users/${other}/fields/${f.id}/boundary`)).json();
        const [lon, lat] = b.geometry.coordinates[0][0][0];
        expect(lon).toBeGreaterThan(-93.3);
        expect(lon).toBeLessThan(-93.2);
        expect(lat).toBeGreaterThan(41.5);
        expect(lat).toBeLessThan(41.6);
      }
    });
  });

  it.skipIf(!fs.existsSync(path.join(taskDataDir, 'TASKDATA.XML')))('creates the 21 partfields of the corpus forage-harvester TaskData as fields (needs ../shared/corpus)', async () => {
    const other = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Forage' } })).json().id;
    const owner = await h.services.apiOwners.verifyToken(h.token);
    const created = await createFieldsFromTaskData(h.services.fields, owner, other, taskDataDir);
    expect(created).toHaveLength(21);
    expect(new Set(created.map((c) => c.sourceId)).size).toBe(21);
    for (const c of created) expect(c.areaHectares, c.name).toBeGreaterThan(0);
    expect(await h.services.fields.activeBoundaries(owner, other)).toHaveLength(21);
    // Deleting the Leaf user removes its fields and boundaries with it.
    expect((await h.request({ method: 'DELETE', url: `/services/usermanagement/api/users/${other}` })).statusCode).toBe(204);
    expect(await h.storage.db.selectFrom('field_boundaries').select('id').where('user_id', '=', other).execute()).toEqual([]);
    expect(await h.storage.db.selectFrom('fields').select('id').where('user_id', '=', other).execute()).toEqual([]);
  });
});
