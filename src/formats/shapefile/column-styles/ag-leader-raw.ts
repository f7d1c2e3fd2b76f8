/**
 * Ag Leader yield monitor records as written by the display's comma-delimited export and by
 * shapefiles built from it (e.g. ISU STRIPS 2007/2012): FLOW lb/s, TIME s, CYCLES s, DISTANCE in,
 * SWATH in, MOISTURE %, ALTITUDE ft. SPEED and DRY_BU_AC are columns desktop tools derive.
 * STATUS (header and GPS bits) is not mapped: its bit layout is not publicly documented.
 */
import type { ColumnStyle } from '../column-style.js';

export const agLeaderRaw: ColumnStyle = {
  id: 'ag-leader-raw',
  label: 'Ag Leader yield monitor export',
  signature: ['flow', 'cycles', 'swath', 'moisture', 'pass', 'serial', 'load', 'load_id', 'load_name', 'altitude', 'gps', 'pdop', 'status'],
  columns: [
    { names: ['flow'], property: 'wetMassFlow', unit: 'lb/s' },
    { names: ['moisture'], property: 'harvestMoisture', unit: 'prcnt' },
    { names: ['swath'], property: 'equipmentWidth', unit: 'in' },
    { names: ['distance'], property: 'distance', unit: 'in' },
    { names: ['cycles'], property: 'samplingInterval', unit: 's' },
    { names: ['speed'], property: 'speed', unit: 'mi/hr' },
    { names: ['altitude'], property: 'elevation', unit: 'ft' },
    { names: ['dry_bu_ac'], property: 'dryVolumePerArea', unit: 'bu/ac' },
  ],
  time: [{ kind: 'epoch-seconds', names: ['time'] }],
  crop: ['crop', 'grain_type'],
  field: ['field'],
  dateHints: ['load', 'load_name'],
};
