import { describe, expect, it } from 'vitest';
import { detectColumnStyle, operationTypeOf, resolveColumns, unitSystemOf } from './column-style.js';
import { COLUMN_STYLES } from './column-styles/index.js';

const styleOf = (names: string[]) => detectColumnStyle(COLUMN_STYLES, names)?.id ?? null;
const operationOf = (names: string[]) => {
  const style = detectColumnStyle(COLUMN_STYLES, names);
  return style === null ? null : operationTypeOf(resolveColumns(style, names).map((c) => c.property));
};

describe('export styles from column names', () => {
  it('tells the styles apart by their names', () => {
    expect(styleOf(['ID', 'LONGITUDE', 'LATITUDE', 'FLOW', 'TIME', 'CYCLES', 'DISTANCE', 'SWATH', 'MOISTURE', 'PASS', 'SERIAL'])).toBe('ag-leader-raw');
    expect(styleOf(['Field', 'Dataset', 'Product', 'Distance_f', 'Track_deg_', 'Duration_s', 'Yld_Vol_Dr'])).toBe('ag-leader-sms');
    expect(styleOf(['VRYIELDVOL', 'WetMass', 'Moisture', 'IsoTime', 'SWATHWIDTH', 'SECTIONID'])).toBe('john-deere');
    expect(styleOf(['yield', 'moisture', 'speed_mph', 'elevation_ft'])).toBe('climate');
    expect(styleOf(['NAME', 'AREA'])).toBeNull();
  });

  it('derives the operation from the mapped columns: yield, seed rate, applied rate', () => {
    expect(operationOf(['Yld_Vol_Dr', 'Moisture__', 'Duration_s'])).toBe('harvested');
    expect(operationOf(['Rt_Apd_Ct_', 'Tgt_Rate_k', 'Duration_s', 'Speed_mph_'])).toBe('planted');
    expect(operationOf(['Rt_Apd_Ms_', 'Swth_Wdth_', 'Distance_f', 'Speed_mph_'])).toBe('applied');
    expect(operationOf(['VRSEEDRATE', 'IsoTime', 'SECTIONID'])).toBe('planted');
  });

  it('reads units from surviving suffixes and applies them to truncated names', () => {
    expect(unitSystemOf(['Speed_km_h', 'Elevation_', 'Swth_Wdth_'])).toBe('metric');
    expect(unitSystemOf(['Speed_mph_', 'Crop_Flw_M', 'Swth_Wdth_'])).toBe('imperial');
    const sms = COLUMN_STYLES.find((s) => s.id === 'ag-leader-sms')!;
    const metric = resolveColumns(sms, ['Speed_km_h', 'Swth_Wdth_', 'Elevation_', 'Tgt_Rate_k', 'Distance_m']);
    expect(metric.map((c) => [c.property, c.unit, c.scale])).toEqual([
      ['seedRateTarget', 'seeds/ha', 1000],
      ['equipmentWidth', 'm', 1],
      ['distance', 'm', 1],
      ['speed', 'km/h', 1],
      ['elevation', 'm', 1],
    ]);
  });
});
