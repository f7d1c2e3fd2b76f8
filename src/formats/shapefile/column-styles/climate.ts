/**
 * Climate FieldView exports: lower-case snake-case names with the unit as a suffix
 * (`speed_mph`, `elevation_ft`, `yield_bu_ac`), plus short names (`yield`, `moisture`,
 * `seed_rate`). No licensed sample was found; names follow public descriptions of the export.
 */
import type { ColumnStyle } from '../column-style.js';

export const climate: ColumnStyle = {
  id: 'climate',
  label: 'Climate FieldView export',
  signature: ['yield', 'yield_bu_ac', 'yld_bu_ac', 'moisture', 'speed_mph', 'elevation_ft', 'seed_rate', 'seeding_rate', 'target_rate', 'applied_rate', 'swath_ft', 'width_ft', 'heading', 'timestamp', 'mass_lb_ac'],
  columns: [
    { names: ['yield_bu_ac', 'yld_bu_ac', 'yield', 'yield_vol'], property: 'dryVolumePerArea', unit: 'bu/ac' },
    { names: ['mass_lb_ac', 'wet_mass'], property: 'wetMassPerArea', unit: 'lb/ac' },
    { names: ['moisture', 'moisture_pct'], property: 'harvestMoisture', unit: 'prcnt' },
    { names: ['seed_rate', 'seeding_rate', 'seed_rate_ac'], property: 'seedRate', unit: 'seeds/ac' },
    { names: ['applied_rate', 'app_rate'], property: 'appliedRate', unit: 'gal/ac', assumedUnit: true },
    { names: ['speed_mph', 'speed'], property: 'speed', unit: 'mi/hr' },
    { names: ['elevation_ft', 'elevation'], property: 'elevation', unit: 'ft' },
    { names: ['swath_ft', 'width_ft'], property: 'equipmentWidth', unit: 'ft' },
    { names: ['distance_ft'], property: 'distance', unit: 'ft' },
    { names: ['heading'], property: 'heading', unit: 'arcdeg' },
  ],
  time: [
    { kind: 'iso', names: ['timestamp', 'time_utc', 'datetime'] },
    { kind: 'epoch-seconds', names: ['epoch', 'unix_time'] },
  ],
  crop: ['crop', 'crop_name'],
  product: ['product', 'hybrid'],
  variety: ['hybrid', 'variety'],
  field: ['field', 'field_name'],
  farm: ['farm', 'farm_name'],
  grower: ['grower'],
};
