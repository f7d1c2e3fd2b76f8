import { describe, expect, it } from 'vitest';
import { attachedFields, groupFiles, matchOperations, type GroupableFile, type GroupingSettings } from './field-operations-grouping.js';

const DEFAULTS: GroupingSettings = {
  fieldsAttachIntersection: 0.01,
  splitOperationsByField: true,
  splitOperationsByProvider: false,
  splitOperationsByTillType: false,
  operationsMergeRange: 5,
  operationsMergeRangeHarvested: 21,
};
const DAY = 86_400_000;
const T0 = Date.parse('2024-09-01T08:00:00Z');

function file(id: string, day: number, overrides: Partial<GroupableFile> = {}): GroupableFile {
  return { id, operationType: 'planted', provider: 'Other', crop: 'corn', tillType: '', start: T0 + day * DAY, end: T0 + day * DAY + 3_600_000, fields: [{ fieldId: 'A', share: 1 }], ...overrides };
}

describe('grouping files into field operations', () => {
  it('merges two files of the same field and crop three days apart into one operation', () => {
    const groups = groupFiles([file('f1', 0), file('f2', 3)], DEFAULTS);
    expect(groups.map((g) => g.fileIds)).toEqual([['f1', 'f2']]);
  });

  it('keeps two files eight days apart as two operations under the default five-day range', () => {
    const groups = groupFiles([file('f1', 0), file('f2', 8)], DEFAULTS);
    expect(groups.map((g) => g.fileIds)).toEqual([['f1'], ['f2']]);
  });

  it('uses operationsMergeRangeHarvested for harvest: eight days apart is one harvest, thirty is two', () => {
    const harvest = (id: string, day: number) => file(id, day, { operationType: 'harvested' });
    expect(groupFiles([harvest('h1', 0), harvest('h2', 8)], DEFAULTS).map((g) => g.fileIds)).toEqual([['h1', 'h2']]);
    expect(groupFiles([harvest('h1', 0), harvest('h2', 30)], DEFAULTS).map((g) => g.fileIds)).toEqual([['h1'], ['h2']]);
    expect(groupFiles([harvest('h1', 0), harvest('h2', 8)], { ...DEFAULTS, operationsMergeRangeHarvested: 2 })).toHaveLength(2);
  });

  it('chains files: each within the range of the span so far joins, whatever order they arrive in', () => {
    const files = [file('c', 8), file('a', 0), file('b', 4)];
    expect(groupFiles(files, DEFAULTS).map((g) => g.fileIds)).toEqual([['a', 'b', 'c']]);
    expect(groupFiles([...files].reverse(), DEFAULTS)).toEqual(groupFiles(files, DEFAULTS));
  });

  it('separates operation types and crops, and providers and till types only when their switches are on', () => {
    const files = [file('corn', 0), file('soy', 1, { crop: 'soybeans' }), file('applied', 1, { operationType: 'applied' }), file('jd', 2, { provider: 'JohnDeere' })];
    expect(groupFiles(files, DEFAULTS).map((g) => g.fileIds)).toEqual([['applied'], ['corn', 'jd'], ['soy']]);
    expect(groupFiles(files, { ...DEFAULTS, splitOperationsByProvider: true }).map((g) => g.fileIds).sort()).toEqual([['applied'], ['corn'], ['jd'], ['soy']]);
    const tilled = [file('disk', 0, { operationType: 'tillage', tillType: 'Disk' }), file('chisel', 1, { operationType: 'tillage', tillType: 'Chisel' })];
    expect(groupFiles(tilled, DEFAULTS)).toHaveLength(1);
    expect(groupFiles(tilled, { ...DEFAULTS, splitOperationsByTillType: true })).toHaveLength(2);
  });

  it('puts a file over two fields into each field operation, or into one operation with both fields when not split by field', () => {
    const both = file('both', 0, { fields: [{ fieldId: 'A', share: 0.6 }, { fieldId: 'B', share: 0.4 }] });
    const byField = groupFiles([both, file('onlyB', 1, { fields: [{ fieldId: 'B', share: 1 }] })], DEFAULTS);
    expect(byField.map((g) => [g.fieldIds, g.fileIds])).toEqual([[['A'], ['both']], [['B'], ['both', 'onlyB']]]);
    const whole = groupFiles([both], { ...DEFAULTS, splitOperationsByField: false });
    expect(whole.map((g) => g.fieldIds)).toEqual([['A', 'B']]);
  });

  it('attaches a file to a field only when its share reaches fieldsAttachIntersection percent', () => {
    const f = file('f', 0, { fields: [{ fieldId: 'A', share: 0.95 }, { fieldId: 'B', share: 0.05 }] });
    expect(attachedFields(f, 0.01)).toEqual(['A', 'B']);
    expect(attachedFields(f, 10)).toEqual(['A']);
    expect(groupFiles([file('none', 0, { fields: [] })], DEFAULTS)).toEqual([]);
  });
});

describe('matching regrouped files with existing operations', () => {
  it('keeps the id of the operation sharing most files, and reports the ones left over as removed', () => {
    const groups = groupFiles([file('f1', 0), file('f2', 3), file('f3', 20)], DEFAULTS);
    const key = groups[0]!.groupKey;
    const { matches, removed } = matchOperations(
      [
        { id: 'op-old-1', groupKey: key, files: ['f1'] },
        { id: 'op-old-2', groupKey: key, files: ['f2'] },
        { id: 'op-gone', groupKey: key, files: ['f9'] },
      ],
      groups,
    );
    expect(matches.map((m) => [m.operationId, m.group.fileIds])).toEqual([
      ['op-old-1', ['f1', 'f2']],
      [undefined, ['f3']],
    ]);
    expect(removed.sort()).toEqual(['op-gone', 'op-old-2']);
  });
});
