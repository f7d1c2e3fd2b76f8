import { describe, expect, it } from 'vitest';
import { SKIPPED_OUT_OF_RANGE, SKIPPED_PREVIEW, decideFile, monthsBefore } from './sync-files.js';

const now = Date.UTC(2026, 10, 29, 12);
const rules = { notBefore: monthsBefore(now, 12), previewFields: new Set(['preview-1', 'preview-2']) };
const file = (over: Partial<{ version: string; createdTime: string | undefined; fieldIds: string[] }> = {}) => ({ version: 'v1', createdTime: '2026-06-01T00:00:00Z', fieldIds: ['f1'], ...over });

describe('deciding whether a listed provider file is fetched', () => {
  it('fetches a file never seen, and one whose version changed', () => {
    expect(decideFile(file(), undefined, rules)).toEqual({ fetch: true, reason: 'new' });
    expect(decideFile(file({ version: 'v2' }), { version: 'v1', localId: 'batch' }, rules)).toEqual({ fetch: true, reason: 'changed' });
  });

  it('leaves a file known at the same version alone, even one left out as too old', () => {
    expect(decideFile(file(), { version: 'v1', localId: 'batch' }, rules)).toEqual({ fetch: false, reason: 'unchanged' });
    expect(decideFile(file({ createdTime: '2020-01-01T00:00:00Z' }), { version: 'v1', localId: SKIPPED_OUT_OF_RANGE }, rules)).toEqual({ fetch: false, reason: 'unchanged' });
  });

  it('leaves out a file created before the processing range reaches back, and keeps one without a creation time', () => {
    expect(decideFile(file({ createdTime: '2025-11-28T00:00:00Z' }), undefined, rules)).toEqual({ fetch: false, reason: 'out-of-range' });
    expect(decideFile(file({ createdTime: '2025-11-30T00:00:00Z' }), undefined, rules)).toEqual({ fetch: true, reason: 'new' });
    expect(decideFile(file({ createdTime: undefined }), undefined, rules)).toEqual({ fetch: true, reason: 'new' });
  });

  it('holds back a file whose fields are all in PREVIEW, and decides it again once listed later', () => {
    expect(decideFile(file({ fieldIds: ['preview-1', 'preview-2'] }), undefined, rules)).toEqual({ fetch: false, reason: 'preview' });
    expect(decideFile(file({ fieldIds: ['preview-1', 'f1'] }), undefined, rules)).toEqual({ fetch: true, reason: 'new' });
    expect(decideFile(file({ fieldIds: [] }), undefined, rules)).toEqual({ fetch: true, reason: 'new' });
    // Its fields enabled since: the same version is fetched, as a new file.
    expect(decideFile(file({ fieldIds: ['preview-1'] }), { version: 'v1', localId: SKIPPED_PREVIEW }, { ...rules, previewFields: new Set() })).toEqual({ fetch: true, reason: 'new' });
  });

  it('counts the range in calendar months', () => {
    expect(new Date(monthsBefore(Date.UTC(2026, 2, 31), 1)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(new Date(monthsBefore(Date.UTC(2026, 10, 29), 12)).toISOString()).toBe('2025-11-29T00:00:00.000Z');
  });
});
