import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import unsupported from './index.js';

const set = (...paths: string[]) => fileSetFromMemory(Object.fromEntries(paths.map((p) => [p, 'proprietary bytes'])));

describe('the unsupported-formats recogniser', () => {
  const cases: { what: string; paths: string[]; fileFormat: string; anchor: string; message: RegExp }[] = [
    {
      what: 'a John Deere GS3 profile, by its global.ver',
      paths: ['USB/GS3_2630/profile/RCD/EIC/global.ver', 'USB/GS3_2630/profile/RCD/EIC/Data/abc.fdd', 'USB/GS3_2630/profile/RCD/EIC/Data/abc.fdl'],
      fileFormat: 'JD_GS3',
      anchor: 'USB/GS3_2630/profile/RCD/EIC/global.ver',
      message: /^John Deere GS3 data \(USB\/GS3_2630\/profile\/RCD\/EIC\/global\.ver, 3 files\) is a proprietary format with no public specification; export it as shapefile or ISOXML from John Deere Operations Center/,
    },
    {
      what: 'a John Deere GS2 card, by its RCD .fdd/.fdl files',
      paths: ['card/RCD/EIC/a.fdd', 'card/RCD/EIC/a.fdl', 'card/RCD/b.FDD'],
      fileFormat: 'JD_GS2',
      anchor: 'card/RCD',
      message: /^John Deere GS2 data \(card\/RCD, 3 files\)/,
    },
    { what: 'a John Deere Gen4 log', paths: ['JD-Data/log/2024-05-01.jdl'], fileFormat: 'JD_GEN4', anchor: 'JD-Data/log/2024-05-01.jdl', message: /^John Deere Gen4 display log \(JD-Data\/log\/2024-05-01\.jdl\)/ },
    { what: 'a 20|20 Gen3 file', paths: ['2020/field.2020'], fileFormat: 'PRECISION_PLANTING_2020', anchor: '2020/field.2020', message: /Precision Planting 20\|20 data .* Climate FieldView/ },
    { what: 'a 20|20 Gen1 harvest map', paths: ['harvest_0012.dat'], fileFormat: 'PRECISION_PLANTING_2020', anchor: 'harvest_0012.dat', message: /Precision Planting/ },
    { what: 'a 20|20 liquid map', paths: ['x/liquid_map_2.DAT'], fileFormat: 'PRECISION_PLANTING_2020', anchor: 'x/liquid_map_2.DAT', message: /Precision Planting/ },
    { what: 'a 20|20 field map', paths: ['field_map_1.dat'], fileFormat: 'PRECISION_PLANTING_2020', anchor: 'field_map_1.dat', message: /Precision Planting/ },
    { what: 'a CNH CN1 folder', paths: ['Farm.cn1/index.vy1', 'Farm.cn1/data/1.vy1'], fileFormat: 'CN1', anchor: 'Farm.cn1/index.vy1', message: /^CNH Industrial CN1 data \(Farm\.cn1\/index\.vy1, 2 files\)/ },
    { what: 'an Ag Leader .yld', paths: ['logs/corn.yld'], fileFormat: 'AGLEADER_YLD', anchor: 'logs/corn.yld', message: /Ag Leader SMS/ },
    { what: 'an Ag Leader .ilf', paths: ['logs/run.ILF'], fileFormat: 'AGLEADER_YLD', anchor: 'logs/run.ILF', message: /Ag Leader SMS/ },
    { what: 'an Ag Leader .agdata', paths: ['x.agdata'], fileFormat: 'AGDATA', anchor: 'x.agdata', message: /Ag Leader agdata file/ },
    { what: 'a Trimble AgData folder', paths: ['AgData/Fields/a.agf', 'AgData/Fields/a.agi', 'AgData/b.agm'], fileFormat: 'TRIMBLE_AGDATA', anchor: 'AgData', message: /^Trimble AgData folder \(AgData, 3 files\)/ },
  ];

  for (const c of cases) {
    it(`recognises ${c.what} and names it in the status`, async () => {
      const datasets = await unsupported.detect(set(...c.paths, 'readme.txt'));
      expect(datasets).toHaveLength(1);
      expect(datasets[0]).toMatchObject({ fileFormat: c.fileFormat, path: c.anchor });
      expect(datasets[0]!.unsupported).toMatch(c.message);
      expect([...(datasets[0]!.entries ?? [])].sort()).toEqual([...c.paths].sort());
    });
  }

  it('claims a GS3 profile once, not also as GS2 files', async () => {
    const datasets = await unsupported.detect(set('GS3_2630/profile/RCD/EIC/global.ver', 'GS3_2630/profile/RCD/EIC/x.fdd'));
    expect(datasets.map((d) => d.fileFormat)).toEqual(['JD_GS3']);
  });

  it('recognises nothing in shapefiles, ISOXML or ordinary .dat files', async () => {
    expect(await unsupported.detect(set('TASKDATA/TASKDATA.XML', 'TASKDATA/TLG00001.bin', 'yield.shp', 'yield.dbf', 'data.dat', 'harvest.csv'))).toEqual([]);
  });

  it('refuses to open what it recognised, with the same message', async () => {
    const files = set('x/field.2020');
    const [dataset] = await unsupported.detect(files);
    const error = await unsupported.open(files, dataset!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MachineFileError);
    expect(error).toMatchObject({ code: 'unsupported_file_format', message: dataset!.unsupported });
  });
});
