import { describe, expect, it } from 'vitest';
import { isFurrowError } from './errors.js';
import { isSettableOrganizationStatus, parseSettableOrganizationStatus, syncedOrganizationStatus } from './organizations.js';

describe('the status a sync gives an organization (leaf-api.md 3.5)', () => {
  it('a new connected organization is SELECTED under ALL and PREVIEW under SELECTED_ONLY', () => {
    expect(syncedOrganizationStatus(undefined, true, 'ALL')).toEqual({ status: 'SELECTED', reason: 'new_follows_configuration' });
    expect(syncedOrganizationStatus(undefined, true, 'SELECTED_ONLY')).toEqual({ status: 'PREVIEW', reason: 'new_follows_configuration' });
  });

  it('an organization the application is not connected to is BLOCKED, whatever it was', () => {
    for (const current of [undefined, 'SELECTED', 'PREVIEW', 'BLOCKED'] as const) {
      expect(syncedOrganizationStatus(current, false, 'ALL')).toEqual({ status: 'BLOCKED', reason: 'not_connected' });
    }
  });

  it('a BLOCKED organization connected since follows the configuration, as a new one does', () => {
    expect(syncedOrganizationStatus('BLOCKED', true, 'SELECTED_ONLY')).toEqual({ status: 'PREVIEW', reason: 'reconnected_follows_configuration' });
    expect(syncedOrganizationStatus('BLOCKED', true, 'ALL')).toEqual({ status: 'SELECTED', reason: 'reconnected_follows_configuration' });
  });

  it('keeps SELECTED and PREVIEW on a connected organization, even when the configuration says otherwise', () => {
    expect(syncedOrganizationStatus('PREVIEW', true, 'ALL')).toEqual({ status: 'PREVIEW', reason: 'kept' });
    expect(syncedOrganizationStatus('SELECTED', true, 'SELECTED_ONLY')).toEqual({ status: 'SELECTED', reason: 'kept' });
  });

  it('lets PATCH set SELECTED and PREVIEW only', () => {
    expect(['SELECTED', 'PREVIEW', 'BLOCKED', 'selected'].map(isSettableOrganizationStatus)).toEqual([true, true, false, false]);
    expect(parseSettableOrganizationStatus('PREVIEW', 'params.status')).toBe('PREVIEW');
  });

  it('refuses any other status with a 400 naming the allowed values and the field', () => {
    for (const value of ['BLOCKED', 'selected', 42, undefined]) {
      let thrown: unknown;
      try {
        parseSettableOrganizationStatus(value, 'body.status');
      } catch (error) {
        thrown = error;
      }
      expect(isFurrowError(thrown, 'validation_failed')).toBe(true);
      expect((thrown as Error).message).toContain('expected one of SELECTED, PREVIEW');
      expect((thrown as { fieldErrors: unknown }).fieldErrors).toEqual([{ field: 'body.status', message: 'must be one of SELECTED, PREVIEW' }]);
    }
  });
});
