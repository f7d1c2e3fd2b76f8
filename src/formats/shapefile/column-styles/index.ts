/** Every export style a shapefile's columns are matched against, most specific first. */
import type { ColumnStyle } from '../column-style.js';
import { agLeaderRaw } from './ag-leader-raw.js';
import { agLeaderSms } from './ag-leader-sms.js';
import { climate } from './climate.js';
import { johnDeere } from './john-deere.js';
import { raven } from './raven.js';
import { trimble } from './trimble.js';

export const COLUMN_STYLES: readonly ColumnStyle[] = [agLeaderSms, agLeaderRaw, johnDeere, climate, trimble, raven];
