/**
 * Raven (Viper, Slingshot) as-applied shapefiles, from public descriptions (no licensed sample
 * found): `ActualRate`/`TargetRate` per product, `Speed`, `Width`, `Product`, `TimeStamp`. Raven
 * logs liquid rates in gal/ac by default; the unit is not in the names, so it is assumed.
 */
import type { ColumnStyle } from '../column-style.js';

export const raven: ColumnStyle = {
  id: 'raven',
  label: 'Raven export',
  signature: ['actualrate', 'targetrate', 'act_rate', 'tgt_rate', 'timestamp', 'width', 'product', 'boomstatus'],
  columns: [
    { names: ['actualrate', 'act_rate'], property: 'appliedRate', unit: 'gal/ac', assumedUnit: true },
    { names: ['targetrate', 'tgt_rate'], property: 'appliedRateTarget', unit: 'gal/ac', assumedUnit: true },
    { names: ['speed'], property: 'speed', unit: 'mi/hr' },
    { names: ['width'], property: 'equipmentWidth', unit: 'ft' },
    { names: ['boomstatus'], property: 'workState', unit: 'count', kind: 'flag' },
  ],
  time: [{ kind: 'iso', names: ['timestamp'] }],
  product: ['product'],
  field: ['field'],
  farm: ['farm'],
  grower: ['grower'],
};
