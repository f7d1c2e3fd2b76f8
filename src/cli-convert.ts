/**
 * `furrow convert <file-or-folder> --to geojson|geoparquet [--out dir] [--units ...]`: the
 * machine-files pipeline offline, one output file per log, a progress bar on a terminal and a
 * one-line summary at the end. Needs no configuration and no database.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { UnitMeasurement } from './domain/configurations.js';
import { defaultConfiguration } from './domain/configurations.js';
import { convertLog, type OutputSink } from './formats/convert.js';
import { MachineFileError, type FileSet, type MachineLog, type PointBatch } from './formats/machine-data.js';
import { detectDatasets, formatOf } from './formats/registry.js';
import { openFileSet } from './services/file-sources.js';

export interface ConvertOptions {
  readonly input: string;
  readonly to: 'geojson' | 'geoparquet';
  readonly out: string;
  readonly units: UnitMeasurement;
  /**
   * Apply Leaf's default cleanup rules (the service's default). Off by default offline: a file
   * converted on its own should show every point it holds, and the defaults drop every point of
   * a log that names no crop (`crop NE unknown`), which many ISOXML sets do not.
   */
  readonly cleanup?: boolean;
  /** Where the progress bar and summary go (stderr and stdout of the process by default). */
  readonly progress?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly summary?: NodeJS.WritableStream;
  /** Minimum time between redraws of the progress bar (100 ms). */
  readonly redrawMs?: number;
}

export interface ConvertReport {
  files: string[];
  points: number;
  failed: { name: string; reason: string }[];
  skipped: { name: string; reason: string }[];
}

const EXTENSION = { geojson: '.geojson', geoparquet: '.parquet' } as const;

/** Parses the command's flags; returns a message naming the bad one. */
export function parseConvertOptions(positionals: string[], values: { to?: string; out?: string; units?: string; cleanup?: boolean }): ConvertOptions | string {
  const input = positionals[1];
  if (input === undefined) return 'furrow convert needs a file or folder: furrow convert <file-or-folder> --to geojson|geoparquet [--out dir] [--units METRIC|IMPERIAL|DEFAULT] [--cleanup]';
  const to = values.to ?? 'geojson';
  if (to !== 'geojson' && to !== 'geoparquet') return `--to must be geojson or geoparquet; got "${to}".`;
  const units = (values.units ?? 'DEFAULT').toUpperCase();
  if (units !== 'METRIC' && units !== 'IMPERIAL' && units !== 'DEFAULT') return `--units must be METRIC, IMPERIAL or DEFAULT; got "${values.units}".`;
  return { input, to, out: values.out ?? '.', units, cleanup: values.cleanup === true };
}

/** Converts every log found under `options.input`; never throws for bad data, only reports it. */
export async function runConvert(options: ConvertOptions): Promise<ConvertReport> {
  const progressStream = options.progress ?? process.stderr;
  const summaryStream = options.summary ?? process.stdout;
  const report: ConvertReport = { files: [], points: 0, failed: [], skipped: [] };
  const standard = { unitMeasurement: options.units, cleanupStandardGeojson: options.cleanup === true, cleanupRules: defaultConfiguration().cleanupRules };
  const bar = new ProgressBar(progressStream, options.redrawMs ?? 100);
  let opened;
  try {
    opened = await openFileSet(options.input);
  } catch (error) {
    if (!(error instanceof MachineFileError)) throw error;
    report.failed.push({ name: options.input, reason: error.message });
    summaryStream.write(`${summarise(report, options)}\n`);
    return report;
  }
  try {
    const files = countingBytes(opened.files, bar);
    bar.totalBytes = files.entries.reduce((sum, e) => sum + e.size, 0);
    let datasets = await detectDatasets(files);
    if (opened.selected !== undefined) {
      const selected = opened.selected;
      datasets = datasets.filter((d) => d.path === selected || (d.entries ?? []).includes(selected));
    }
    if (datasets.length === 0) report.failed.push({ name: options.input, reason: 'no machine data found (no TASKDATA.XML, point shapefile or other file Furrow reads)' });
    fs.mkdirSync(options.out, { recursive: true });
    const names = new Set<string>();
    for (const dataset of datasets) {
      let logs: MachineLog[];
      try {
        logs = (await formatOf(dataset).open(files, dataset)).logs;
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw error;
        (error.code === 'no_machine_data' ? report.skipped : report.failed).push({ name: dataset.path, reason: error.message });
        continue;
      }
      if (logs.length === 0) report.skipped.push({ name: dataset.path, reason: 'no machine data' });
      for (const log of logs) {
        const target = path.join(options.out, uniqueFileName(log.name, EXTENSION[options.to], names));
        const file = fileSink(`${target}.partial`);
        // Only the asked-for output: convertLog skips the GeoJSON entirely without its sink.
        const sinks = options.to === 'geojson' ? { standardGeojson: file } : { standardGeoparquet: file };
        let result;
        try {
          // Outputs formatted on a worker thread, overlapping the reading (a second core halves the time).
          result = await convertLog(countingPoints(log, bar), standard, sinks, { threads: true });
        } finally {
          await file.close();
        }
        const failed = Object.entries(result.status).find(([, step]) => step.status === 'failed');
        if (failed !== undefined || result.pointCount === 0) {
          fs.rmSync(`${target}.partial`, { force: true });
          report.failed.push({ name: log.name, reason: failed?.[1].message ?? 'no points' });
          continue;
        }
        fs.renameSync(`${target}.partial`, target);
        report.files.push(target);
        report.points += result.pointCount;
      }
    }
  } finally {
    opened.close();
    bar.clear();
  }
  summaryStream.write(`${summarise(report, options)}\n`);
  return report;
}

function summarise(report: ConvertReport, options: ConvertOptions): string {
  const n = report.files.length;
  const parts = [`Converted ${n} log${n === 1 ? '' : 's'} (${report.points.toLocaleString('en-US')} points) to ${n === 0 ? options.out : `${options.out}/*${EXTENSION[options.to]}`}`];
  if (report.failed.length > 0) parts.push(`${report.failed.length} failed: ${report.failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`);
  if (report.skipped.length > 0) parts.push(`${report.skipped.length} without machine data: ${report.skipped.map((s) => s.name).join(', ')}`);
  return `${parts.join('; ')}.`;
}

/** A file name from a log name, unique within this run (two tasks may share a name). */
function uniqueFileName(logName: string, extension: string, taken: Set<string>): string {
  // A shapefile layer's log is named after its file: `north.shp` becomes `north.geojson`.
  const stem = logName.replace(/\.(shp|csv|txt|gpkg|xml)$/i, '');
  // eslint-disable-next-line no-control-regex -- control characters are what this strips
  const base = stem.replace(/[/\\:*?"<>|\u0000-\u001f]+/g, '_').replace(/^\.+/, '_').trim().slice(0, 120) || 'log';
  let name = `${base}${extension}`;
  for (let i = 2; taken.has(name.toLowerCase()); i += 1) name = `${base}-${i}${extension}`;
  taken.add(name.toLowerCase());
  return name;
}

/** A sink that writes through a file stream, waiting when the stream asks it to. */
function fileSink(file: string): OutputSink & { close(): Promise<void> } {
  const stream = fs.createWriteStream(file);
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  return {
    write(chunk) {
      if (failure !== undefined) throw failure;
      if (stream.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        stream.once('error', onError);
        stream.once('drain', () => {
          stream.off('error', onError);
          resolve();
        });
      });
    },
    close: () => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))),
  };
}

function countingBytes(files: FileSet, bar: ProgressBar): FileSet {
  return {
    ...files,
    entries: files.entries.map((entry) => ({
      path: entry.path,
      size: entry.size,
      stream: async function* () {
        for await (const chunk of entry.stream()) {
          bar.add(0, chunk.length);
          yield chunk;
        }
      },
    })),
  };
}

function countingPoints(log: MachineLog, bar: ProgressBar): MachineLog {
  async function* points(): AsyncIterable<PointBatch> {
    for await (const batch of log.points()) {
      bar.add(batch.length, 0);
      yield batch;
    }
  }
  return new Proxy(log, { get: (target, property) => (property === 'points' ? points : Reflect.get(target, property, target)) });
}

/** A one-line bar on a terminal, `\r`-redrawn at most every `redrawMs`; silent otherwise. */
class ProgressBar {
  totalBytes = 0;
  private points = 0;
  private bytes = 0;
  private drawnAt = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly redrawMs: number,
  ) {}

  add(points: number, bytes: number): void {
    this.points += points;
    this.bytes += bytes;
    const now = Date.now();
    if (this.stream.isTTY !== true || now - this.drawnAt < this.redrawMs) return;
    this.drawnAt = now;
    const fraction = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.points.toLocaleString('en-US')} points, ${mb(this.bytes)}/${mb(this.totalBytes)} MB read`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
  }
}
