/**
 * The Fields service's hook for other services (`onFieldsChanged`), on each database: called once
 * per committed change with the fields concerned, after the commit (the change is visible to it),
 * never for a change that was refused, and unable to undo a change by failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnerContext } from '../domain/index.js';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { fieldsRepository } from '../storage/repositories/fields.js';
import { usersRepository } from '../storage/repositories/users.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import { fieldsService, type FieldsService } from './fields.js';

const databases = await testDatabases();
const square = (x: number, y: number, d: number) => ({ type: 'MultiPolygon', coordinates: [[[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]] });

describe.each(databases)('the fields-changed hook on $name', (database) => {
  let h: ApiHarness;
  let owner: OwnerContext;
  let userId: string;
  let service: FieldsService;
  const calls: { userId: string; fieldIds: string[]; activeSeen: string[] }[] = [];
  let failHook = false;

  beforeAll(async () => {
    h = await startApiHarness(database);
    owner = await h.services.apiOwners.verifyToken(h.token);
    userId = (await h.services.users.create(owner, { name: 'Hooked' })).id;
    service = fieldsService({
      fields: fieldsRepository(h.storage.db, h.storage.dialect),
      users: usersRepository(h.storage.db, h.storage.dialect),
      configurations: h.services.configurations,
      alerts: h.services.alerts,
      onFieldsChanged: async (_owner, changedUser, fieldIds) => {
        // Reads outside the transaction: only possible once it committed.
        const active = await service.activeBoundaries(owner, changedUser);
        calls.push({ userId: changedUser, fieldIds, activeSeen: active.map((b) => b.boundaryId) });
        if (failHook) throw new Error('operations are down');
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is called after a field is created, with the committed boundary visible', async () => {
    const { field, boundary } = await service.createField(owner, userId, { id: 'f1', geometry: square(-93, 41, 0.01) });
    expect(calls).toEqual([{ userId, fieldIds: [field.id], activeSeen: [boundary!.id] }]);
  });

  it('is called for a new boundary by PUT and by PATCH, not for a rename', async () => {
    calls.length = 0;
    const put = await service.replaceBoundary(owner, userId, 'f1', square(-93, 41, 0.02));
    await service.patchField(owner, userId, 'f1', { name: 'renamed' });
    const patched = await service.patchField(owner, userId, 'f1', { geometry: square(-93, 41, 0.03) });
    expect(calls.map((c) => c.fieldIds)).toEqual([['f1'], ['f1']]);
    expect(calls[0]!.activeSeen).toEqual([put.id]);
    expect(calls[1]!.activeSeen).toEqual([patched.boundary!.id]);
    expect((await service.listBoundaries(owner, userId, 'f1')).map((b) => b.status)).toEqual(['ACTIVE', 'INACTIVE', 'INACTIVE']);
  });

  it('is not called for a refused change, and its failure does not undo a committed one', async () => {
    calls.length = 0;
    await expect(service.replaceBoundary(owner, userId, 'f1', { type: 'Point', coordinates: [0, 0] })).rejects.toMatchObject({ code: 'invalidGeometry' });
    expect(calls).toEqual([]);
    failHook = true;
    await service.deleteField(owner, userId, 'f1');
    failHook = false;
    expect(calls).toEqual([{ userId, fieldIds: ['f1'], activeSeen: [] }]);
    await expect(service.getField(owner, userId, 'f1')).rejects.toMatchObject({ code: 'not_found' });
  });
});
