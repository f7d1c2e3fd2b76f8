/**
 * Leaf's `cleanupRules` (research/leaf-api.md §4) applied to standardGeojson points. A point is kept
 * when it passes every rule of every property the log has; a rule on a property the log does not
 * produce (Leaf's harvest rules on a planting log) does not apply, and a point missing a value the
 * log otherwise has fails that property's rules, as a comparison with nothing is not true.
 * Numeric rules compare the value in the output unit (the one the user sees). `products` rules
 * compare each product's rate, which Furrow knows per point only for single-product logs.
 */
import type { CleanupRule, CleanupRuleProperty, CleanupRules } from '../../domain/configurations.js';
import type { StandardBatch, StandardField, StandardText } from './standardize.js';

/**
 * One property's rules over a batch: clears `keep[i]` where a point still kept fails, and returns
 * how many it dropped. Whole-batch loops, one call per rule and batch, so the comparisons compile
 * to a tight loop instead of a closure call per point and rule.
 */
interface CompiledRule {
  readonly property: CleanupRuleProperty;
  readonly apply: (batch: StandardBatch, keep: Uint8Array) => number;
}

/** How many points each property's rules dropped (the first failing property counts). */
export type DropCounts = Partial<Record<CleanupRuleProperty | 'position', number>>;

function compareText(rule: CleanupRule, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (rule.operator === 'EQ') return value === rule.value;
  if (rule.operator === 'NE') return value !== rule.value;
  return false;
}

/**
 * The point filter of one log. `apply` marks `keep[i] = 0` for the points that fail and counts them;
 * positions missing or outside ±180°/±90° are always dropped (a GeoJSON Point needs coordinates).
 */
export class PointFilter {
  readonly drops: DropCounts = {};
  private readonly rules: readonly CompiledRule[];
  /** A text rule on a log-wide value (crop) that fails drops every point. */
  private readonly failsAll?: CleanupRuleProperty;

  constructor(fields: readonly StandardField[], text: StandardText, rules: CleanupRules | null) {
    const compiled: CompiledRule[] = [];
    let failsAll: CleanupRuleProperty | undefined;
    for (const [property, list] of Object.entries(rules ?? {}) as [CleanupRuleProperty, CleanupRule[]][]) {
      if (list.length === 0) continue;
      if (property === 'crop') {
        if (text.crop !== undefined && !list.every((rule) => compareText(rule, text.crop))) failsAll ??= 'crop';
        continue;
      }
      if (property === 'recordingStatus') {
        if (!text.hasRecordingStatus) continue;
        const acceptsOff = list.every((rule) => compareText(rule, 'Off'));
        const acceptsOn = list.every((rule) => compareText(rule, 'On'));
        compiled.push({
          property,
          apply: (batch, keep) => {
            const recording = batch.recording;
            let dropped = 0;
            for (let i = 0; i < batch.length; i++) {
              if (keep[i] !== 1) continue;
              const r = recording[i]!;
              if (r === 1 ? acceptsOn : r === 0 ? acceptsOff : false) continue;
              keep[i] = 0;
              dropped++;
            }
            return dropped;
          },
        });
        continue;
      }
      const fieldName = property === 'products' ? (text.productRateFromAppliedRate ? 'appliedRate' : undefined) : property;
      const index = fields.findIndex((f) => f.name === fieldName);
      if (index < 0) continue;
      // A value passes when it is within every bound; NaN is within none.
      let above = -Infinity;
      let aboveOrEqual = true;
      let below = Infinity;
      let belowOrEqual = true;
      let never = false;
      for (const rule of list) {
        // `value > limit` coerced a non-number limit the same way; one that is not a number fails every value.
        const limit = Number(rule.value);
        if (Number.isNaN(limit)) never = true;
        else if (rule.operator === 'GT' || rule.operator === 'GTE') {
          const inclusive = rule.operator === 'GTE';
          if (limit > above || (limit === above && !inclusive)) {
            above = limit;
            aboveOrEqual = inclusive;
          }
        } else if (rule.operator === 'LT' || rule.operator === 'LTE') {
          const inclusive = rule.operator === 'LTE';
          if (limit < below || (limit === below && !inclusive)) {
            below = limit;
            belowOrEqual = inclusive;
          }
        } else never = true;
      }
      compiled.push({
        property,
        apply: (batch, keep) => {
          const values = batch.values[index]!;
          let dropped = 0;
          for (let i = 0; i < batch.length; i++) {
            if (keep[i] !== 1) continue;
            const v = values[i]!;
            if (!never && (aboveOrEqual ? v >= above : v > above) && (belowOrEqual ? v <= below : v < below)) continue;
            keep[i] = 0;
            dropped++;
          }
          return dropped;
        },
      });
    }
    this.rules = compiled;
    if (failsAll !== undefined) this.failsAll = failsAll;
  }

  /** Fills `keep` (1 kept, 0 dropped) for the batch and returns how many were kept. */
  apply(batch: StandardBatch, keep: Uint8Array): number {
    const { lon, lat } = batch;
    let dropped = 0;
    for (let i = 0; i < batch.length; i++) {
      const x = lon[i]!;
      const y = lat[i]!;
      // NaN fails both comparisons, so this also drops missing positions.
      if (x >= -180 && x <= 180 && y >= -90 && y <= 90) keep[i] = 1;
      else {
        keep[i] = 0;
        dropped++;
      }
    }
    if (dropped > 0) this.drops.position = (this.drops.position ?? 0) + dropped;
    let kept = batch.length - dropped;
    if (this.failsAll !== undefined) {
      if (kept > 0) this.drops[this.failsAll] = (this.drops[this.failsAll] ?? 0) + kept;
      keep.fill(0, 0, batch.length);
      return 0;
    }
    // Rule by rule in order: a point is counted against the first property whose rules it fails.
    for (const rule of this.rules) {
      if (kept === 0) break;
      const n = rule.apply(batch, keep);
      if (n > 0) {
        this.drops[rule.property] = (this.drops[rule.property] ?? 0) + n;
        kept -= n;
      }
    }
    return kept;
  }
}
