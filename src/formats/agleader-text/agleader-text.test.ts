import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError, type FileSet, type MachineLog } from '../machine-data.js';
import shapefile from '../shapefile/index.js';
import { fileSetFromDirectory, fileSetFromMemory } from '../testing/file-sets.js';
import agLeaderText from './index.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const strips = path.join(corpus, 'strips-yield/data-raw/yield_original');
const gartner = path.join(corpus, 'agridat/data-raw/gartner');

async function rows(log: MachineLog) {
  const out: { lon: number; lat: number; time: number; values: Record<string, number> }[] = [];
  for await (const b of log.points()) {
    for (let i = 0; i < b.length; i++) out.push({ lon: b.lon[i]!, lat: b.lat[i]!, time: b.time[i]!, values: Object.fromEntries(log.columns.map((c, k) => [c.property, b.values[k]![i]!])) });
  }
  return out;
}

async function openText(files: FileSet, file: string): Promise<MachineLog> {
  return (await agLeaderText.open(files, { path: file, fileFormat: 'CSV' })).logs[0]!;
}

describe.skipIf(!fs.existsSync(strips))('Ag Leader text export beside its shapefile (ISU STRIPS 2007)', () => {
  it('leaves a .txt beside the shapefile of the same records to the shapefile reader, so no point is counted twice', async () => {
    expect(await agLeaderText.detect(fileSetFromDirectory(strips))).toEqual([]);
  });

  it('claims the headerless .txt when it comes alone', async () => {
    const alone = fileSetFromMemory({ '2007-basswood.txt': fs.readFileSync(`${strips}/2007-basswood.txt`), 'notes.txt': 'field notes' });
    expect(await agLeaderText.detect(alone)).toEqual([{ path: '2007-basswood.txt', fileFormat: 'CSV' }]);
  });

  it('gives the same 2,970 records as the .shp beside it: positions, values, Unix times', async () => {
    const files = fileSetFromDirectory(strips);
    const text = await openText(files, '2007-basswood.txt');
    const shp = (await shapefile.open(files, { path: '2007-basswood.shp', fileFormat: 'SHAPEFILE' })).logs[0]!;
    expect(text.crop).toEqual(['soybeans']);
    expect(text.originalOperationData).toEqual({ originalOperationField: 'ISU' });
    const fromText = await rows(text);
    const fromShp = await rows(shp);
    expect(fromText).toHaveLength(2970);
    fromText.forEach((row, i) => {
      const other = fromShp[i]!;
      // The .shp stores doubles converted from this text: equal to the last printed digit.
      expect(row.lon).toBeCloseTo(other.lon, 9);
      expect(row.lat).toBeCloseTo(other.lat, 9);
      expect(row.time).toBe(other.time);
      for (const property of ['wetMassFlow', 'harvestMoisture', 'distance', 'equipmentWidth', 'samplingInterval', 'elevation']) {
        expect(row.values[property], `${property} of record ${i}`).toBe(other.values[property]);
      }
    });
  });
});

describe.skipIf(!fs.existsSync(gartner))('Ag Leader CSV with a header (agridat Gartner corn)', () => {
  it('reads GPS-epoch times: the harvest is on 2011-11-05', async () => {
    const files = fileSetFromDirectory(gartner);
    expect(await agLeaderText.detect(files)).toEqual([{ path: 'gartner.corn.csv', fileFormat: 'CSV' }]);
    const log = await openText(files, 'gartner.corn.csv');
    expect(log.crop).toEqual(['corn']);
    const read = await rows(log);
    expect(read).toHaveLength(4949);
    expect(new Date(read[0]!.time).toISOString().slice(0, 16)).toBe('2011-11-05T17:38');
    expect(new Set(read.map((r) => new Date(r.time).toISOString().slice(0, 10)))).toEqual(new Set(['2011-11-05']));
    expect(read[0]!.values).toMatchObject({ wetMassFlow: 16.54, equipmentWidth: 360, distance: 116, harvestMoisture: 18.5, elevation: 1030.58 });
  });
});

describe('Ag Leader text on bad input', () => {
  const good = '-93.277101,41.537136,1.94,1192018211,3,99,300,11.9,33,1,976285,"F28:ISU","L1:BASSWOOD","SOYBEANS",7,0,902.9\n';

  it('does not claim CSV files of other shapes', async () => {
    expect(await agLeaderText.detect(fileSetFromMemory({ 'a.csv': 'name,value\nx,1\n', 'b.txt': 'hello' }))).toEqual([]);
  });

  it('fails with MachineFileError on a short line, and on a file whose positions are all absurd', async () => {
    const short = await openText(fileSetFromMemory({ 'a.txt': `${good}1,2,3\n` }), 'a.txt');
    await expect(rows(short)).rejects.toThrow(/line 2 has 3 fields/);
    const absurd = good.replace('-93.277101,41.537136', '0,0');
    const log = await openText(fileSetFromMemory({ 'a.txt': good.replace('-93.277101', '-93.2') + absurd.repeat(3) }), 'a.txt');
    expect(await rows(log)).toHaveLength(1);
    expect(log.warnings).toContain('3 of 4 points have no plausible longitude/latitude and were dropped');
    const none = await openText(fileSetFromMemory({ 'a.txt': good.replace(/^[^,]+,[^,]+/, '0,0') + absurd }), 'a.txt');
    await expect(rows(none)).rejects.toBeInstanceOf(MachineFileError);
  });

  it('reads a last line without a newline and CRLF line ends', async () => {
    const log = await openText(fileSetFromMemory({ 'a.txt': good.replace('\n', '\r\n') + good.trimEnd() }), 'a.txt');
    const read = await rows(log);
    expect(read).toHaveLength(2);
    expect(read[1]!.values.elevation).toBe(902.9);
  });
});
