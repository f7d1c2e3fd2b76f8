/**
 * John Deere Operations Center shapefile exports, as public course notes and processing scripts
 * describe them (no licensed sample was found, see the corpus MANIFEST): harvest `VRYIELDVOL`
 * (dry bu/ac), `WetMass` (lb/ac), `Moisture`, `IsoTime`, `SWATHWIDTH`, `DISTANCE`, `SECTIONID`,
 * `Heading`, `Elevation`, `Speed`; seeding `VRSEEDRATE`/`SeedRate`; application `AppliedRate`.
 * Units follow the account's imperial/metric setting, which the names do not carry.
 */
import type { ColumnStyle } from '../column-style.js';

export const johnDeere: ColumnStyle = {
  id: 'john-deere',
  label: 'John Deere Operations Center export',
  signature: ['vryieldvol', 'vryieldmas', 'wetmass', 'isotime', 'swathwidth', 'sectionid', 'vrseedrate', 'vrseedrat0', 'appliedrate', 'vrapplrate', 'targetrate', 'vrtgtrate', 'heading'],
  columns: [
    { names: ['vryieldvol', 'yieldvol'], property: 'dryVolumePerArea', unit: { imperial: 'bu/ac', metric: 'm3/ha' } },
    { names: ['vryieldmas', 'drymass'], property: 'dryMassPerArea', unit: { imperial: 'lb/ac', metric: 't/ha' } },
    { names: ['wetmass', 'vrwetmass'], property: 'wetMassPerArea', unit: { imperial: 'lb/ac', metric: 't/ha' } },
    { names: ['moisture', 'vrmoisture'], property: 'harvestMoisture', unit: 'prcnt' },
    { names: ['vrseedrate', 'seedrate', 'vrseedrat0'], property: 'seedRate', unit: { imperial: 'seeds/ac', metric: 'seeds/ha' } },
    { names: ['appliedrate', 'vrapplrate', 'vrappratev'], property: 'appliedRate', unit: { imperial: 'gal/ac', metric: 'L/ha' }, assumedUnit: true },
    { names: ['targetrate', 'vrtgtrate'], property: 'appliedRateTarget', unit: { imperial: 'gal/ac', metric: 'L/ha' }, assumedUnit: true },
    { names: ['swathwidth', 'swath_wdth'], property: 'equipmentWidth', unit: { imperial: 'ft', metric: 'm' } },
    { names: ['distance'], property: 'distance', unit: { imperial: 'ft', metric: 'm' } },
    { names: ['heading', 'track'], property: 'heading', unit: 'arcdeg' },
    { names: ['speed', 'vehicspeed'], property: 'speed', unit: { imperial: 'mi/hr', metric: 'km/h' } },
    { names: ['elevation'], property: 'elevation', unit: { imperial: 'ft', metric: 'm' } },
    { names: ['sectionid'], property: 'sectionId', unit: 'count' },
  ],
  time: [{ kind: 'iso', names: ['isotime', 'time'] }],
  crop: ['crop', 'croptype', 'crop_type'],
  product: ['product', 'productnam'],
  variety: ['variety', 'varietynam'],
  field: ['field', 'fieldname'],
  farm: ['farm', 'farmname'],
  grower: ['client', 'grower'],
};
