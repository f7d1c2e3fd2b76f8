/**
 * Ag Leader SMS exports. SMS names columns "Yld Vol(Dry)(bu/ac)", "Speed(mph)", ... and the dBASE
 * 10-character limit truncates them to `Yld_Vol_Dr`, `Speed_mph_`; where the unit was cut off the
 * unit system of the surviving suffixes decides it (see `unitSystemOf`). The same names appear in
 * SMS yield, as-planted and as-applied layers (ISU STRIPS 2013, DIFM GeoPackages).
 */
import type { ColumnStyle } from '../column-style.js';

export const agLeaderSms: ColumnStyle = {
  id: 'ag-leader-sms',
  label: 'Ag Leader SMS export',
  signature: [
    'yld_vol_dr', 'yld_vol_we', 'yld_mass_w', 'yld_mass_d', 'crop_flw_m', 'crop_flw_v', 'moisture__', 'swth_wdth_', 'distance_f', 'distance_m',
    'duration_s', 'track_deg_', 'speed_mph_', 'speed_km_h', 'elevation_', 'rt_apd_ms_', 'rt_apd_ct_', 'rt_apd_vol', 'tgt_rate_k', 'work_state',
    'dataset', 'obj__id', 'pass_num', 'area_count', 'diff_statu', 'y_offset_f', 'prod_ac_hr',
  ],
  columns: [
    { names: ['yld_mass_w'], property: 'wetMassPerArea', unit: { imperial: 'lb/ac', metric: 't/ha' } },
    { names: ['yld_vol_we'], property: 'wetVolumePerArea', unit: { imperial: 'bu/ac', metric: 'm3/ha' } },
    { names: ['yld_mass_d'], property: 'dryMassPerArea', unit: { imperial: 'lb/ac', metric: 't/ha' } },
    { names: ['yld_vol_dr'], property: 'dryVolumePerArea', unit: { imperial: 'bu/ac', metric: 'm3/ha' } },
    { names: ['crop_flw_m'], property: 'wetMassFlow', unit: { imperial: 'lb/s', metric: 'kg/s' } },
    { names: ['moisture__', 'moisture'], property: 'harvestMoisture', unit: 'prcnt' },
    { names: ['rt_apd_ct_'], property: 'seedRate', unit: { imperial: 'seeds/ac', metric: 'seeds/ha' } },
    { names: ['tgt_rate_k'], property: 'seedRateTarget', unit: { imperial: 'seeds/ac', metric: 'seeds/ha' }, scale: 1000 },
    { names: ['rt_apd_ms_'], property: 'appliedRate', unit: { imperial: 'lb/ac', metric: 'kg/ha' } },
    { names: ['rt_apd_vol', 'rt_apd_vl_'], property: 'appliedRate', unit: { imperial: 'gal/ac', metric: 'L/ha' } },
    { names: ['tgt_rate_m', 'tgt_rate_l'], property: 'appliedRateTarget', unit: { imperial: 'lb/ac', metric: 'kg/ha' } },
    { names: ['tgt_rate_g', 'tgt_rate_v'], property: 'appliedRateTarget', unit: { imperial: 'gal/ac', metric: 'L/ha' } },
    { names: ['df_margin_'], property: 'downForceMargin', unit: { imperial: 'lbf', metric: 'kgf' } },
    { names: ['swth_wdth_'], property: 'equipmentWidth', unit: { imperial: 'ft', metric: 'm' } },
    { names: ['distance_f'], property: 'distance', unit: 'ft' },
    { names: ['distance_m'], property: 'distance', unit: 'm' },
    { names: ['duration_s'], property: 'samplingInterval', unit: 's' },
    { names: ['track_deg_'], property: 'heading', unit: 'arcdeg' },
    { names: ['speed_mph_'], property: 'speed', unit: 'mi/hr' },
    { names: ['speed_km_h'], property: 'speed', unit: 'km/h' },
    { names: ['elevation_'], property: 'elevation', unit: { imperial: 'ft', metric: 'm' } },
    { names: ['y_offset_f'], property: 'yOffset', unit: 'ft' },
    { names: ['x_offset_f'], property: 'xOffset', unit: 'ft' },
    { names: ['work_state'], property: 'workState', unit: 'count', kind: 'flag' },
  ],
  time: [{ kind: 'dataset-duration', dataset: ['dataset'], duration: ['duration_s'] }],
  crop: ['product'],
  product: ['product'],
  variety: ['product'],
  field: ['field'],
  farm: ['farm'],
  grower: ['grower', 'client'],
  dateHints: ['date', 'time', 'dataset'],
};
