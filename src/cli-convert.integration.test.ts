/**
 * `furrow convert` as a user runs it: a child process on real files (synthetic ones generated here
 * with GDAL and the zip writer, and corpus sets when ../shared/corpus is present), checking the
 * files written, the summary line and the exit code; the progress bar in-process with a fake TTY.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConvert } from './cli-convert.js';
import { writeZip } from './formats/archive/testing/write-zip.js';

const cli = new URL('./cli.ts', import.meta.url).pathname;
const repoRoot = path.resolve(path.dirname(cli), '..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const hasCorpus = fs.existsSync(path.join(corpus, 'MANIFEST.md'));
const hasGdal = spawnSync('ogr2ogr', ['--version']).status === 0;
let work: string;

function convert(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, 'convert', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' }, // eslint-disable-line no-restricted-syntax -- the child needs a PATH
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** An Ag Leader SMS-style yield shapefile of `n` points, made with GDAL from a CSV. */
function smsShapefile(dir: string, name: string, n: number): string {
  const csv = path.join(dir, `${name}.csv`);
  const rows = Array.from({ length: n }, (_, i) => `${(-93.8 + i * 0.00002).toFixed(6)},41.85,${180 + (i % 7)},17.5,30,4.5,1.0,13/09/30-16:45:42 (1234),CORN`);
  fs.writeFileSync(csv, `Longitude,Latitude,Yld_Vol_Dr,Moisture__,Swth_Wdth_,Speed_mph_,Duration_s,Dataset,Product\n${rows.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, `${name}.csvt`), 'Real,Real,Real,Real,Real,Real,Real,String,String\n');
  const shp = path.join(dir, `${name}.shp`);
  const result = spawnSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-a_srs', 'EPSG:4326', '-oo', 'X_POSSIBLE_NAMES=Longitude', '-oo', 'Y_POSSIBLE_NAMES=Latitude', '-oo', 'KEEP_GEOM_COLUMNS=NO', shp, csv], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  fs.rmSync(csv);
  fs.rmSync(path.join(dir, `${name}.csvt`));
  return shp;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-cli-convert-'));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('furrow convert', () => {
  it.skipIf(!hasGdal)('converts the shapefile it is given, not its siblings, into one GeoJSON named after it', () => {
    const dir = path.join(work, 'shapes');
    fs.mkdirSync(dir);
    const shp = smsShapefile(dir, 'north field', 250);
    smsShapefile(dir, 'south field', 10);
    const out = path.join(work, 'out-shapes');
    const { status, stdout } = convert(shp, '--to', 'geojson', '--out', out);
    expect(status, stdout).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['north field.geojson']);
    const geojson = JSON.parse(fs.readFileSync(path.join(out, 'north field.geojson'), 'utf8')) as { type: string; features: { geometry: { type: string } }[] };
    expect(geojson.type).toBe('FeatureCollection');
    expect(geojson.features[0]!.geometry.type).toBe('Point');
    // Offline, every point the file holds comes out.
    expect(geojson.features.length).toBe(250);
    expect(stdout.trim()).toBe(`Converted 1 log (250 points) to ${out}/*.geojson.`);
    // With --cleanup, Leaf's default rules apply, as in the service: the first point (no
    // distance travelled yet, so no mass) may go.
    const cleaned = path.join(work, 'out-cleaned');
    const again = convert(shp, '--to', 'geojson', '--out', cleaned, '--cleanup');
    expect(again.status, again.stdout).toBe(0);
    const kept = (JSON.parse(fs.readFileSync(path.join(cleaned, 'north field.geojson'), 'utf8')) as { features: unknown[] }).features.length;
    expect(kept).toBeGreaterThanOrEqual(249);
    expect(kept).toBeLessThanOrEqual(250);
  });

  it.skipIf(!hasGdal)('converts every log of a zip to GeoParquet that DuckDB reads back', async () => {
    const dir = path.join(work, 'zipped');
    fs.mkdirSync(dir);
    const files = ['a', 'b'].flatMap((name, i) => {
      smsShapefile(dir, name, 100 * (i + 1));
      return ['.shp', '.shx', '.dbf', '.prj'].map((ext) => ({ name: `exports/${name}${ext}`, data: fs.readFileSync(path.join(dir, `${name}${ext}`)) }));
    });
    const zip = path.join(work, 'upload.zip');
    fs.writeFileSync(zip, writeZip([{ name: 'inner.zip', data: writeZip(files) }]));
    const out = path.join(work, 'out-parquet');
    const { status, stdout } = convert(zip, '--to', 'geoparquet', '--out', out, '--units', 'metric');
    expect(status, stdout).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['a.parquet', 'b.parquet']);
    const duckdb = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = await duckdb.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${out}/*.parquet')`);
    const n = rows.getRowObjects()[0]!.n as number;
    expect(n).toBeGreaterThanOrEqual(298);
    expect(n).toBeLessThanOrEqual(300);
    expect(stdout).toMatch(new RegExp(`^Converted 2 logs \\(${n} points\\)`));
  });

  it.skipIf(!hasCorpus)('converts the good tasks of an ISOXML set, names the broken ones, and exits 0', () => {
    const out = path.join(work, 'out-potatoes');
    const { status, stdout } = convert(path.join(corpus, 'pyagriculture11783/Potatoes/TaskData'), '--out', out);
    expect(status, stdout).toBe(0);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.geojson'))).toHaveLength(1);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(stdout.trim()).toMatch(/^Converted 1 log \(\d[\d,]* points\) .*; 1 failed: Potatis 2016: .+\.$/);
  });

  it('exits 1 with the reason when nothing is machine data', () => {
    const dir = path.join(work, 'nothing');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'readme.txt'), 'hello');
    const { status, stdout } = convert(dir, '--out', path.join(work, 'out-nothing'));
    expect(status).toBe(1);
    expect(stdout).toMatch(/^Converted 0 logs \(0 points\) .*; 1 failed: .*no machine data found/);
  });

  it('exits 1 naming the format when the data is proprietary', () => {
    const dir = path.join(work, 'card/GS3_2630/profile/RCD/EIC');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'global.ver'), 'x');
    const { status, stdout } = convert(path.join(work, 'card'), '--out', path.join(work, 'out-card'));
    expect(status).toBe(1);
    expect(stdout).toMatch(/John Deere GS3 data \(GS3_2630\/profile\/RCD\/EIC\/global\.ver\) is a proprietary format with no public specification/);
  });

  it('exits 1 with corrupt_file wording for a truncated zip', () => {
    const zip = writeZip([{ name: 'TASKDATA/TASKDATA.XML', data: '<ISO11783_TaskData/>'.repeat(50) }]);
    const file = path.join(work, 'truncated.zip');
    fs.writeFileSync(file, zip.subarray(0, zip.length - 30));
    const { status, stdout } = convert(file, '--out', path.join(work, 'out-truncated'));
    expect(status).toBe(1);
    expect(stdout).toMatch(/1 failed: .*truncated\.zip.*truncated or not a zip/);
  });

  it('exits 2 with usage for a bad --to', () => {
    const { status, stderr } = convert(work, '--to', 'kml');
    expect(status).toBe(2);
    expect(stderr).toMatch(/--to must be geojson or geoparquet; got "kml"/);
  });

  it.skipIf(!hasGdal)('draws a progress bar on a terminal only', async () => {
    const dir = path.join(work, 'progress');
    fs.mkdirSync(dir);
    const shp = smsShapefile(dir, 'p', 3000);
    const capture = (isTTY: boolean) => {
      let text = '';
      return { isTTY, write: (chunk: string) => ((text += chunk), true), text: () => text } as unknown as NodeJS.WritableStream & { isTTY: boolean; text(): string };
    };
    const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
    const tty = capture(true);
    // Batches arrive faster than the 100 ms redraw interval; a slow sink spreads them out.
    const report = await runConvert({ input: shp, to: 'geojson', out: path.join(work, 'out-progress'), units: 'DEFAULT', progress: tty, summary: quiet, redrawMs: 0 });
    expect(report.points).toBeGreaterThan(2900);
    expect(tty.text()).toMatch(/\r\[[#.]{24}\] [\d,]+ points, [\d.]+\/[\d.]+ MB read/);
    const pipe = capture(false);
    await runConvert({ input: shp, to: 'geojson', out: path.join(work, 'out-progress-2'), units: 'DEFAULT', progress: pipe, summary: quiet, redrawMs: 0 });
    expect(pipe.text()).toBe('');
  });
});
