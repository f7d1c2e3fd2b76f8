import { describe, expect, it } from 'vitest';
import { chooseEpoch, dateInName, epochSecondsToMs } from './epoch-seconds.js';

const now = Date.UTC(2025, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

describe('Unix or GPS epoch seconds', () => {
  it('reads the agridat Gartner value as GPS time: 2011-11-05, not 2001-10-31', () => {
    const choice = chooseEpoch(1004549898, { dates: [], writtenAt: null, now });
    expect(choice.epoch).toBe('gps');
    // GPS ran 15 s ahead of UTC in 2011.
    expect(iso(epochSecondsToMs(1004549898, 'gps'))).toBe('2011-11-05T17:38:03.000Z');
  });

  it('reads the ISU STRIPS values as Unix time', () => {
    expect(chooseEpoch(1192018211, { dates: [], writtenAt: Date.UTC(2011, 6, 29), now }).epoch).toBe('unix');
    expect(chooseEpoch(1347998285, { dates: [], writtenAt: null, now }).epoch).toBe('unix');
  });

  it('lets a date the file carries overrule the value range', () => {
    // 1004549898 as Unix is 2001-10-31: a D column saying so wins over the before-2005 rule.
    const choice = chooseEpoch(1004549898, { dates: [Date.UTC(2001, 9, 31)], writtenAt: null, now });
    expect(choice).toEqual({ epoch: 'unix', reason: 'matches the date 2001-10-31 the file carries' });
    expect(chooseEpoch(1347998285, { dates: [Date.UTC(2022, 8, 23)], writtenAt: null, now }).epoch).toBe('gps');
  });

  it('never picks a reading later than the file was written', () => {
    expect(chooseEpoch(1347998285, { dates: [], writtenAt: Date.UTC(2013, 0, 3), now: Date.UTC(2030, 0, 1) }).epoch).toBe('unix');
  });

  it('finds yy/mm/dd-HH:MM:SS dates in Ag Leader load and dataset names, as UTC', () => {
    expect(iso(dateInName('L0:12/09/18-19:52:15')!)).toBe('2012-09-18T19:52:15.000Z');
    expect(iso(dateInName('13/09/30-16:45:42 (2007713498)')!)).toBe('2013-09-30T16:45:42.000Z');
    expect(dateInName('L1:BASSWOOD')).toBeNull();
  });
});
