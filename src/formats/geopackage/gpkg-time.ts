/**
 * Where a GeoPackage layer's point times come from: the shapefile reader's rules (the column
 * style's `time` rules, then the same fallback names), applied to SQLite's typed values instead of
 * dBASE text. Epoch seconds are told apart (Unix or GPS) by `chooseEpoch` with the dates the first
 * row carries and the layer's `gpkg_contents.last_change` as hints, as the shapefile reader uses
 * its D columns and dBASE header date.
 */
import type { TimeRule } from '../shapefile/column-style.js';
import { chooseEpoch, dateInName, type Epoch } from '../shapefile/epoch-seconds.js';
import type { RecordReader } from './sqlite-record.js';

/** The shapefile reader's fallback when no style rule matches (shapefile-log.ts keeps its copy private). */
export const FALLBACK_TIME: readonly TimeRule[] = [
  { kind: 'iso', names: ['isotime', 'timestamp', 'datetime', 'date_time'] },
  { kind: 'epoch-seconds', names: ['time', 'gps_time', 'utc_time'] },
];

export type TimePlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'epoch'; readonly index: number; readonly epoch: Epoch; readonly reason: string }
  | { readonly kind: 'iso'; readonly index: number }
  | { readonly kind: 'dataset-duration'; readonly dataset: number; readonly duration: number };

const ISO_DATE = /^(\d{4})[-/](\d{2})[-/](\d{2})/;

/** A calendar date (UTC midnight ms) in free text: "2017-04-18", "13/09/30-16:45:42 (serial)"; null when none. */
export function dateInText(text: string): number | null {
  const inName = dateInName(text);
  if (inName !== null) return inName;
  const iso = ISO_DATE.exec(text.trim());
  return iso === null ? null : Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
}

/**
 * `recordIndexOf(names)` gives the record position of the first of `names` the table has, or -1;
 * `first` holds the first row (null for an empty table).
 */
export function planTime(
  rules: readonly TimeRule[],
  recordIndexOf: (names: readonly string[]) => number,
  first: RecordReader | null,
  hints: { dates: readonly number[]; writtenAt: number | null; now: number },
): TimePlan {
  for (const rule of rules) {
    if (rule.kind === 'dataset-duration') {
      const dataset = recordIndexOf(rule.dataset);
      const duration = recordIndexOf(rule.duration);
      if (dataset >= 0 && duration >= 0 && first?.isText(dataset) === true) return { kind: 'dataset-duration', dataset, duration };
      continue;
    }
    const index = recordIndexOf(rule.names);
    if (index < 0 || first === null) continue;
    if (rule.kind === 'iso') {
      if (first.isText(index)) return { kind: 'iso', index };
      continue;
    }
    if (first.isText(index)) continue;
    const sample = first.number(index);
    // Plain seconds of day or small counters are not epoch times.
    if (!(sample > 1e8)) continue;
    const choice = chooseEpoch(sample, hints);
    return { kind: 'epoch', index, epoch: choice.epoch, reason: choice.reason };
  }
  return { kind: 'none' };
}
