/**
 * The standard step of one log, batch by batch (`convertLog` runs it in process, or on a worker
 * thread for a GeoParquet-only conversion): standardise the reader's columns, apply the cleanup
 * rules, add the kept points to the summary, hand the swaths to the coverage raster and the batch to
 * the output writers. One instance per log, batches in order.
 */
import type { CleanupRules, UnitMeasurement } from '../../domain/configurations.js';
import type { OperationType, PointBatch } from '../machine-data.js';
import { PointFilter, type DropCounts } from './cleanup.js';
import type { CoverageOutline } from './coverage.js';
import { Standardizer, type LogMetadata, type StandardBatch, type StandardField, type StandardText } from './standardize.js';
import { SummaryAccumulator, type SummaryState } from './summary.js';

/** Everything the stage needs to start, plain data (it can cross to another thread). */
export interface StageSetup {
  readonly log: LogMetadata;
  readonly operationType: OperationType;
  readonly unitMeasurement: UnitMeasurement;
  /** Null when cleanup is off. */
  readonly cleanupRules: CleanupRules | null;
}

/** An output writer (standardGeojson or GeoParquet), in process or on a thread. */
export interface BatchWriter {
  write(batch: StandardBatch, keep: Uint8Array): Promise<void>;
  finish(): Promise<unknown>;
}

/** Where the swaths go: a `CoverageGrid`, or one on another thread. */
export interface SwathSink {
  addSwaths(prevLon: Float64Array, prevLat: Float64Array, lon: Float64Array, lat: Float64Array, width: Float64Array, covered: Uint8Array, n: number): void | Promise<void>;
  finish(): CoverageOutline | Promise<CoverageOutline>;
}

/** What the stage found, beside what it wrote. */
export interface StageResult {
  /** Points read, kept or not. */
  readonly read: number;
  readonly drops: DropCounts;
  readonly summary: SummaryState;
  readonly coverage: CoverageOutline;
}

/** Which points drove a swath: kept, not recording "Off", moved, with a width. */
function markCovered(keep: Uint8Array, recording: Float64Array, stepMetres: Float64Array, widthMetres: Float64Array, covered: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) covered[i] = keep[i] === 1 && recording[i] !== 0 && stepMetres[i]! > 0 && widthMetres[i]! > 0 ? 1 : 0;
}

export class StandardStage {
  readonly standardizer: Standardizer;
  readonly summary: SummaryAccumulator;
  private readonly filter: PointFilter;
  private keep = new Uint8Array(0);
  private covered = new Uint8Array(0);
  private read = 0;

  private readonly writers: readonly BatchWriter[];

  /** `writers` makes the output writers once the schema is known. */
  constructor(setup: StageSetup, writers: (fields: readonly StandardField[], text: StandardText) => readonly BatchWriter[], private readonly coverage: SwathSink) {
    this.standardizer = new Standardizer(setup.log, setup.operationType, setup.unitMeasurement);
    const { fields, text } = this.standardizer;
    this.filter = new PointFilter(fields, text, setup.cleanupRules);
    this.summary = new SummaryAccumulator(fields);
    this.writers = writers(fields, text);
  }

  async add(points: PointBatch): Promise<void> {
    const batch = this.standardizer.convert(points);
    this.read += batch.length;
    if (this.keep.length < batch.length) {
      this.keep = new Uint8Array(batch.length);
      this.covered = new Uint8Array(batch.length);
    }
    const { keep, covered } = this;
    this.filter.apply(batch, keep);
    this.summary.add(batch, keep);
    markCovered(keep, batch.recording, batch.stepMetres, batch.widthMetres, covered, batch.length);
    await this.coverage.addSwaths(batch.prevLon, batch.prevLat, batch.lon, batch.lat, batch.widthMetres, covered, batch.length);
    for (const writer of this.writers) await writer.write(batch, keep);
  }

  /** Traces the coverage (on its thread, if it has one, while) the writers finish. */
  async finish(): Promise<StageResult> {
    const tracing = Promise.resolve(this.coverage.finish());
    tracing.catch(() => undefined); // a writer's error, if any, is the one reported
    for (const writer of this.writers) await writer.finish();
    const coverage = await tracing;
    return { read: this.read, drops: this.filter.drops, summary: this.summary.state(), coverage };
  }
}
