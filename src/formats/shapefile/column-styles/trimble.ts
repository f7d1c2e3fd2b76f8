/**
 * Trimble (Farm Works, FmX/GFX coverage logs) shapefile exports, from public descriptions (no
 * licensed sample found): `Yld_Bu_Ac`, `Moist_Pct`, `AppRate`/`TgtRate`, `SeedRate`, `Swath_Ft`,
 * `Speed_Mph`, `Elev_Ft`, and a `DateTime` text column.
 */
import type { ColumnStyle } from '../column-style.js';

export const trimble: ColumnStyle = {
  id: 'trimble',
  label: 'Trimble export',
  signature: ['yld_bu_ac', 'moist_pct', 'apprate', 'tgtrate', 'seedrate', 'swath_ft', 'speed_mph', 'elev_ft', 'datetime', 'wetwt_lb'],
  columns: [
    { names: ['yld_bu_ac'], property: 'dryVolumePerArea', unit: 'bu/ac' },
    { names: ['wetwt_lb'], property: 'wetMass', unit: 'lb' },
    { names: ['moist_pct'], property: 'harvestMoisture', unit: 'prcnt' },
    { names: ['seedrate'], property: 'seedRate', unit: 'seeds/ac' },
    { names: ['apprate'], property: 'appliedRate', unit: 'gal/ac', assumedUnit: true },
    { names: ['tgtrate'], property: 'appliedRateTarget', unit: 'gal/ac', assumedUnit: true },
    { names: ['swath_ft'], property: 'equipmentWidth', unit: 'ft' },
    { names: ['speed_mph'], property: 'speed', unit: 'mi/hr' },
    { names: ['elev_ft'], property: 'elevation', unit: 'ft' },
  ],
  time: [{ kind: 'iso', names: ['datetime'] }],
  crop: ['crop'],
  product: ['product'],
  variety: ['variety'],
  field: ['field'],
  farm: ['farm'],
  grower: ['client', 'grower'],
};
