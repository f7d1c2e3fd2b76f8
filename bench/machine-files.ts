/**
 * Machine-file conversion benchmark (issue 6): a yield shapefile of 1,000,000 points (and one of
 * 2,000,000, to show memory stays flat) to Leaf's standard GeoJSON and to GeoParquet with
 * `furrow convert`, against GDAL's `ogr2ogr -f GeoJSON` on the same file in the same run.
 * Targets: GeoJSON at least 5x faster than ogr2ogr, GeoParquet at least 10x faster than ogr2ogr's
 * GeoJSON (and than `ogr2ogr -f Parquet` when this GDAL has the driver), peak RSS at most 300 MB.
 *
 * The shapefile is generated once per size with ogr2ogr from a CSV (9 attributes named as Ag Leader
 * SMS exports name them, so the shapefile reader maps them: dry and wet yield, moisture, swath
 * width, distance, duration, speed, the `Dataset` start-time string and the `Product`), cached under the
 * temp dir. Every tool runs as a child process under `/usr/bin/time -v`, so each figure is wall
 * time and peak RSS of the whole process, start-up included.
 *
 * Run: `npm run bench -- machine-files` or `npx tsx bench/machine-files.ts [points...]`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cacheDir = path.join(os.tmpdir(), 'furrow-bench-machine-files');

export interface Measurement {
  readonly tool: string;
  readonly seconds: number;
  /** User plus system CPU of the whole process, every thread: what a loaded machine's other work competes with. */
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  readonly outputMb: number;
  readonly ok: boolean;
  readonly note?: string;
}

export interface SizeReport {
  readonly points: number;
  readonly shapefileMb: number;
  readonly measurements: Measurement[];
}

export interface MachineFilesReport {
  readonly gdal: string;
  readonly parquetDriver: boolean;
  readonly sizes: SizeReport[];
}

const COLUMNS = ['Yld_Vol_Dr', 'Yld_Mass_W', 'Moisture__', 'Swth_Wdth_', 'Distance_f', 'Duration_s', 'Speed_mph_', 'Dataset', 'Product'];

/** A yield shapefile of `points` points, generated once and cached. */
export function yieldShapefile(points: number): string {
  const dir = path.join(cacheDir, `yield-${points}`);
  const shp = path.join(dir, 'yield.shp');
  if (fs.existsSync(shp) && fs.existsSync(path.join(dir, 'complete'))) return shp;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, 'yield.csv');
  const fd = fs.openSync(csv, 'w');
  fs.writeSync(fd, `Longitude,Latitude,${COLUMNS.join(',')}\n`);
  // A combine going up and down 12 m passes over a field in Iowa, one point a second at 4.5 mph.
  const perPass = 400;
  const rows: string[] = [];
  for (let i = 0; i < points; i += 1) {
    const pass = Math.floor(i / perPass);
    const along = pass % 2 === 0 ? i % perPass : perPass - 1 - (i % perPass);
    const lon = -93.8 + pass * 0.00015;
    const lat = 41.85 + along * 0.000018;
    const wave = Math.sin(i / 37);
    const dry = (180 + 40 * wave).toFixed(2);
    const wet = (11_000 + 2_500 * wave).toFixed(1);
    rows.push(`${lon.toFixed(7)},${lat.toFixed(7)},${dry},${wet},${(17 + wave).toFixed(2)},30,6.6,1.0,4.5,13/09/30-16:45:42 (1234567),CORN`);
    if (rows.length === 10_000) {
      fs.writeSync(fd, `${rows.join('\n')}\n`);
      rows.length = 0;
    }
  }
  if (rows.length > 0) fs.writeSync(fd, `${rows.join('\n')}\n`);
  fs.closeSync(fd);
  // Column types for GDAL's CSV driver, so the DBF gets numeric fields like a real export.
  fs.writeFileSync(path.join(dir, 'yield.csvt'), `Real,Real,${COLUMNS.map((c) => (c === 'Dataset' ? 'String(32)' : c === 'Product' ? 'String(16)' : 'Real(12.3)')).join(',')}\n`);
  const result = spawnSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-a_srs', 'EPSG:4326', '-oo', 'X_POSSIBLE_NAMES=Longitude', '-oo', 'Y_POSSIBLE_NAMES=Latitude', '-oo', 'KEEP_GEOM_COLUMNS=NO', shp, csv], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ogr2ogr could not build the shapefile: ${result.stderr}`);
  fs.rmSync(csv);
  fs.rmSync(path.join(dir, 'yield.csvt'));
  fs.writeFileSync(path.join(dir, 'complete'), '');
  return shp;
}

/** Runs a command under /usr/bin/time -v: wall seconds and peak RSS of the process tree's largest. */
function measure(tool: string, command: string, args: string[], output: string): Measurement {
  fs.rmSync(output, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-v', command, ...args], { encoding: 'utf8', cwd: repoRoot, maxBuffer: 64 * 2 ** 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr);
  const cpu = (label: string) => Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(result.stderr)?.[1] ?? Number.NaN);
  const ok = result.status === 0;
  return {
    tool,
    seconds,
    cpuSeconds: cpu('User') + cpu('System'),
    maxRssMb: rss === null ? Number.NaN : Number(rss[1]) / 1024,
    outputMb: sizeOf(output) / 2 ** 20,
    ok,
    note: ok ? lastLine(result.stdout) : `exit ${result.status}: ${lastLine(result.stderr.split('\tCommand being timed')[0] ?? '')}`,
  };
}

function sizeOf(target: string): number {
  if (!fs.existsSync(target)) return 0;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.slice(0, 300) ?? '';

export function run(sizes: readonly number[] = [1_000_000, 2_000_000]): MachineFilesReport {
  const version = spawnSync('ogr2ogr', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const parquetDriver = /Parquet/.test(spawnSync('ogrinfo', ['--formats'], { encoding: 'utf8' }).stdout);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-bench-convert-'));
  // Furrow as users run it: the compiled build (`npm start` and `npx furrow` run dist/), not the
  // TypeScript loader, whose start-up (about 0.6 s) would be timed too.
  const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', cwd: repoRoot });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr || build.stdout}`);
  const cli = path.join(repoRoot, 'dist/src/cli.js');
  const reports: SizeReport[] = [];
  try {
    for (const points of sizes) {
      const shp = yieldShapefile(points);
      const shapefileMb = ['.shp', '.shx', '.dbf'].reduce((sum, ext) => sum + sizeOf(shp.replace(/\.shp$/, ext)), 0) / 2 ** 20;
      const measurements: Measurement[] = [];
      const furrow = (to: string) => measure(`furrow convert --to ${to}`, process.execPath, [cli, 'convert', shp, '--to', to, '--out', path.join(work, to)], path.join(work, to));
      measurements.push(measure('ogr2ogr -f GeoJSON', 'ogr2ogr', ['-f', 'GeoJSON', path.join(work, 'gdal.geojson'), shp], path.join(work, 'gdal.geojson')));
      if (parquetDriver) measurements.push(measure('ogr2ogr -f Parquet', 'ogr2ogr', ['-f', 'Parquet', path.join(work, 'gdal.parquet'), shp], path.join(work, 'gdal.parquet')));
      measurements.push(measure('furrow shapefile reader only (decode, no output)', process.execPath, ['--import', 'tsx', 'bench/machine-files.ts', '--read-only', shp], path.join(work, 'none')));
      measurements.push(furrow('geojson'));
      measurements.push(furrow('geoparquet'));
      reports.push({ points, shapefileMb, measurements });
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { gdal: version, parquetDriver, sizes: reports };
}

export function format(report: MachineFilesReport): string {
  const lines = [`${report.gdal}; GDAL Parquet driver: ${report.parquetDriver ? 'yes' : 'no (not built into this GDAL)'}`, ''];
  for (const size of report.sizes) {
    const baseline = size.measurements.find((m) => m.tool === 'ogr2ogr -f GeoJSON');
    lines.push(`### ${size.points.toLocaleString('en-US')} points (shapefile ${size.shapefileMb.toFixed(0)} MB)`, '');
    lines.push('| tool | wall s | speed-up vs ogr2ogr GeoJSON | CPU s | peak RSS MB | output MB | note |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const m of size.measurements) {
      const ratio = baseline !== undefined && m.ok ? (baseline.seconds / m.seconds).toFixed(2) : '-';
      lines.push(`| ${m.tool} | ${m.seconds.toFixed(2)} | ${ratio} | ${m.cpuSeconds.toFixed(2)} | ${m.maxRssMb.toFixed(0)} | ${m.outputMb.toFixed(0)} | ${m.ok ? '' : 'FAILED '}${(m.note ?? '').replace(/\|/g, '/')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The reader's share of the time: decode every point of the shapefile and drop it. */
async function readOnly(shp: string): Promise<void> {
  const { openFileSet } = await import('../src/services/file-sources.js');
  const { detectDatasets, formatOf } = await import('../src/formats/registry.js');
  const opened = await openFileSet(shp);
  let points = 0;
  for (const dataset of (await detectDatasets(opened.files)).filter((d) => d.path === opened.selected)) {
    for (const log of (await formatOf(dataset).open(opened.files, dataset)).logs) for await (const batch of log.points()) points += batch.length;
  }
  opened.close();
  process.stdout.write(`decoded ${points.toLocaleString('en-US')} points\n`);
}

if (process.argv[2] === '--read-only') {
  await readOnly(process.argv[3]!);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  process.stdout.write(`${format(run(sizes.length > 0 ? sizes : undefined))}\n`);
}
