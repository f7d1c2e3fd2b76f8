/**
 * Every machine-data file and set in ../shared/corpus, through the whole pipeline: open the path
 * (zip, folder, or a file with its siblings) -> detectDatasets -> the format's open -> convertLog to
 * a counting sink. Each case states what MANIFEST.md says the data is: how many points and which
 * operation, or the named failure (a missing or corrupt binary log, no machine data at all).
 * Point counts are the records counted by MANIFEST's independent decoder (or the isoxml npm
 * library where MANIFEST gives none) less the records with no position (0,0, no fix), which are
 * not points; a converted log's points are `pointCount + droppedCount` with cleanup off, so a
 * reader that loses or invents records fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfiguration } from '../domain/configurations.js';
import { openFileSet } from '../services/file-sources.js';
import { convertLog } from './convert.js';
import { MachineFileError, type OperationType } from './machine-data.js';
import { MACHINE_FORMATS, detectDatasets, formatOf } from './registry.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const hasCorpus = fs.existsSync(path.join(corpus, 'MANIFEST.md'));

interface Outcome {
  /** Logs converted (standardGeojson processed), their points and operation types. */
  converted: { name: string; points: number; operationType: OperationType | null }[];
  /** Datasets or logs that failed, with the code (when thrown) and the message. */
  failed: { what: string; code?: string; message: string }[];
  /** True when no format found anything, or every dataset said `no_machine_data`. */
  noMachineData: boolean;
  /** For logs named in `unreadable`: what reading their points threw. */
  unreadable: { name: string; code?: string; message: string }[];
}

/** A log whose points must fail to read (a corrupt binary log), whatever else fails first. */
interface Unreadable {
  readonly log: RegExp;
  readonly code: string;
  readonly message: RegExp;
}

type Expectation =
  | {
      readonly kind: 'converts';
      /** Number of converted logs. */
      readonly logs: number;
      /** Sum of the converted logs' points. */
      readonly points: number;
      /** The distinct operation types of the converted logs, sorted. */
      readonly operationTypes: readonly (OperationType | null)[];
      /** Failures that must also be reported (a missing or corrupt log beside good ones), in any order. */
      readonly failures?: readonly RegExp[];
      readonly unreadable?: readonly Unreadable[];
    }
  | { readonly kind: 'fails'; readonly failures: readonly RegExp[]; readonly unreadable?: readonly Unreadable[] }
  | { readonly kind: 'no_machine_data' };

interface CorpusCase {
  /** Relative to ../shared/corpus: a zip, a folder, or a file (opened with its siblings). */
  readonly path: string;
  /** The format folders that must be registered for the case to run; otherwise it is a todo. */
  readonly readers: readonly string[];
  readonly what: string;
  readonly expect: Expectation;
}

const ISO = ['isoxml'];
const SHP = ['shapefile'];
const TEXT = ['agleader-text'];
const GPKG = ['geopackage'];
const dotnet = 'isoxml-dotnet/testdata';
const adapt = 'adapt-isov4plugin/TestUtilities/Datacards';
const strips = 'strips-yield/data-raw';
const lesson = 'data-harvesting-for-agriculture/_episodes_rmd/data';

const CORPUS_CASES: readonly CorpusCase[] = [
  // 1a isoxml-js
  { path: 'isoxml-js/data/2021-04-09T15_33_26_taskdata.zip', readers: ISO, what: 'a Topcon tractor log split into XFR files (207 records; speed and attitude, no work DDIs)', expect: { kind: 'fails', failures: [/unsupported operation type/] } },
  { path: 'isoxml-js/data/task_with_grid.zip', readers: ISO, what: 'a prescription grid with no time log', expect: { kind: 'no_machine_data' } },
  { path: 'isoxml-js/data/task_full.zip', readers: ISO, what: 'a synthetic schema-coverage task set with no time log', expect: { kind: 'no_machine_data' } },
  { path: 'isoxml-js/data/task_with_warnings.zip', readers: ISO, what: 'a small task set with no time log', expect: { kind: 'no_machine_data' } },
  { path: 'isoxml-js/data/test1.zip', readers: ISO, what: 'a small task set with no time log', expect: { kind: 'no_machine_data' } },
  { path: 'isoxml-js/data/grid-without-binary.zip', readers: ISO, what: 'a grid whose binary is missing, and no time log', expect: { kind: 'no_machine_data' } },
  { path: 'isoxml-js/data/duplicate-xmlid.zip', readers: ISO, what: 'TASKDATA two folders deep with a duplicated id, no time log', expect: { kind: 'no_machine_data' } },
  { path: 'isoxml-js/data/test.geojson', readers: [], what: 'a prescription-zone GeoJSON (not machine data)', expect: { kind: 'no_machine_data' } },
  // 1b isoxml-dotnet
  { path: `${dotnet}/TimeLogs/ValidTimeLogs`, readers: ISO, what: 'forage-harvester yield, 19 tasks over 21 time logs', expect: { kind: 'converts', logs: 19, points: 61_314, operationTypes: ['harvested'] } },
  { path: `${dotnet}/TimeLogs/TotalsTests`, readers: ISO, what: 'a KRONE forage-harvester task over 3 time logs, one with no DLVs', expect: { kind: 'converts', logs: 1, points: 314 + 27 + 4_336, operationTypes: ['harvested'] } },
  { path: `${dotnet}/ExternalFiles/AFE.zip`, readers: ISO, what: 'Topcon planter, one task over 3 time logs with >200 DLVs per header', expect: { kind: 'converts', logs: 1, points: 3 * 3_633, operationTypes: ['planted'] } },
  { path: `${dotnet}/LoadFromStream/Another-single-ACP.zip`, readers: ISO, what: 'CNH fertiliser, sprayer and seeding logs (15 tasks with one time log each); 3 planting tasks log no seed rate (no 000C; TLG00004 and TLG00008 no rate DDI at all)', expect: { kind: 'converts', logs: 12, points: 4_879 - (1_114 + 12 + 214), operationTypes: ['applied'], failures: [/missing required properties: seedRate/, /missing required properties: seedRate/, /missing required properties: seedRate/] } },
  { path: `${dotnet}/LoadFromStream/AllFieldsMoved_Or_Simplified_Out.zip`, readers: ISO, what: 'GreenDB tillage logs', expect: { kind: 'converts', logs: 2, points: 8_599 + 3_863, operationTypes: ['tillage'] } },
  {
    path: `${dotnet}/LoadFromStream/CorruptStream.zip`,
    readers: ISO,
    // Records per log from the isoxml npm library; the shipped CSV decodes agree except that they
    // omit the last record of TLG0002, TLG0011 and TLG0014. 4,700 records of "Quaderballen 1"
    // (all of TLG0008-0011, 583 of TLG0012) sit at 0,0 with position status 15 (not available).
    // A baler logs bales, not yield: every task fails the standard step. The records the good logs
    // would give: 11,713 + 1,815 + 3,394, 10,155 + 13,516, and 14,218 - 4,700 for "Quaderballen 1".
    what: 'a KRONE baler set inside a zip with 500,000 junk bytes (no yield DDIs); TLG0006 and TLG0007 are internally corrupt',
    expect: {
      kind: 'fails',
      failures: Array.from({ length: 5 }, () => /missing required properties: wetMass/),
      unreadable: [
        { log: /^Quaderballen 43$/, code: 'corrupt_file', message: /TLG0006\.bin is corrupt/ },
        { log: /^Quaderballen 44$/, code: 'corrupt_file', message: /TLG0007\.bin is corrupt/ },
      ],
    },
  },
  { path: `${dotnet}/LoadFromStream/SingleDPD.zip`, readers: ISO, what: 'ISOXML v3 Kverneland log whose header logs seed count per area (000B-000D)', expect: { kind: 'converts', logs: 1, points: 373, operationTypes: ['planted'] } },
  { path: `${dotnet}/LoadFromStream/MultiSubFolder.zip`, readers: ISO, what: 'the same log six folders deep with spaces in the names', expect: { kind: 'converts', logs: 1, points: 373, operationTypes: ['planted'] } },
  { path: `${dotnet}/LoadFromStream/MultiFields.zip`, readers: ISO, what: 'partfield boundaries only', expect: { kind: 'no_machine_data' } },
  { path: `${dotnet}/CodingData/Partfields`, readers: ISO, what: '13 partfield boundaries only', expect: { kind: 'no_machine_data' } },
  { path: `${dotnet}/Grid/Type1`, readers: ISO, what: 'a type-1 prescription grid only', expect: { kind: 'no_machine_data' } },
  { path: `${dotnet}/Grid/Type2`, readers: ISO, what: 'a type-2 prescription grid only', expect: { kind: 'no_machine_data' } },
  { path: `${dotnet}/Grid/Type2_ReadValue`, readers: ISO, what: 'a type-2 prescription grid with known values only', expect: { kind: 'no_machine_data' } },
  // 1c ADAPT ISOv4Plugin datacards
  { path: `${adapt}/Agco-MicroTrak.zip`, readers: ISO, what: 'AGCO C100 + MicroTrak sprayer, one task over 3 logs beside AGCO side files; 26 records at 0,0', expect: { kind: 'converts', logs: 1, points: 2_459 + 373 + 1_677 - 26, operationTypes: ['applied'] } },
  { path: `${adapt}/agco c100 tc & jd sprayer 900.zip`, readers: ISO, what: 'AGCO C100 driving a JD 900 sprayer: all three logs belong to task PostSprayMod (GRDs also as shapefiles)', expect: { kind: 'converts', logs: 1, points: 4 + 1_837 + 139, operationTypes: ['applied'] } },
  { path: `${adapt}/agco c100 tc & jd sprayer 900-short.zip`, readers: ISO, what: 'the same with TLG00015 removed', expect: { kind: 'converts', logs: 1, points: 4 + 139, operationTypes: ['applied'] } },
  { path: `${adapt}/KV.zip`, readers: ISO, what: 'Kverneland test devices: 4 tasks, 6 records with no GNSS fix and no DLVs', expect: { kind: 'fails', failures: Array.from({ length: 4 }, () => /none has a GNSS position|missing required properties: appliedRate/) } },
  // 1d pyAgriculture11783
  { path: 'pyagriculture11783/Combiner/TaskData', readers: ISO, what: 'AGCO IDEAL combine grain yield; TLG00002.bin is absent', expect: { kind: 'converts', logs: 2, points: 86_774 + 64_145, operationTypes: ['harvested'], failures: [/TLG00002/] } },
  { path: 'pyagriculture11783/Potatoes/TaskData', readers: ISO, what: 'Trimble FmX potato harvester; TLG00000.bin and TLG00001.bin are empty', expect: { kind: 'converts', logs: 1, points: 257 + 363, operationTypes: ['harvested'], failures: [/TLG0000[01]/] } },
  // 2a STRIPS yield
  { path: `${strips}/yield_original/2007-basswood.shp`, readers: SHP, what: 'Ag Leader raw yield shapefile, soybeans', expect: { kind: 'converts', logs: 1, points: 2_970, operationTypes: ['harvested'] } },
  { path: `${strips}/yield_original/2012-basswood.shp`, readers: SHP, what: 'Ag Leader raw yield shapefile with no .prj, corn', expect: { kind: 'converts', logs: 1, points: 4_240, operationTypes: ['harvested'] } },
  { path: `${strips}/yield_original/2013-orbweaver-south.shp`, readers: SHP, what: 'Ag Leader SMS export shapefile, soybeans', expect: { kind: 'converts', logs: 1, points: 858, operationTypes: ['harvested'] } },
  { path: `${strips}/yield_original/2007-basswood.txt`, readers: TEXT, what: 'Ag Leader comma-delimited text export, soybeans', expect: { kind: 'converts', logs: 1, points: 2_970, operationTypes: ['harvested'] } },
  { path: `${strips}/yield_original/2012-basswood.txt`, readers: TEXT, what: 'Ag Leader comma-delimited text export, corn', expect: { kind: 'converts', logs: 1, points: 4_240, operationTypes: ['harvested'] } },
  { path: `${strips}/boundary_original`, readers: SHP, what: '12 watershed boundary polygon layers', expect: { kind: 'no_machine_data' } },
  // 2b lesson GeoPackages
  { path: `${lesson}/asapplied.gpkg`, readers: GPKG, what: 'NH3 as-applied GeoPackage', expect: { kind: 'converts', logs: 1, points: 9_913, operationTypes: ['applied'] } },
  { path: `${lesson}/asplanted.gpkg`, readers: GPKG, what: 'corn as-planted GeoPackage', expect: { kind: 'converts', logs: 1, points: 6_382, operationTypes: ['planted'] } },
  { path: `${lesson}/boundary.gpkg`, readers: GPKG, what: 'a field boundary GeoPackage', expect: { kind: 'no_machine_data' } },
  { path: `${lesson}/trial.gpkg`, readers: GPKG, what: 'trial-design plot polygons', expect: { kind: 'no_machine_data' } },
  { path: `${lesson}/abline.gpkg`, readers: GPKG, what: 'a guidance AB line', expect: { kind: 'no_machine_data' } },
  // 2c agridat
  { path: 'agridat/data-raw/gartner/gartner.corn.csv', readers: TEXT, what: 'Ag Leader CSV export with GPS-epoch time, corn', expect: { kind: 'converts', logs: 1, points: 4_949, operationTypes: ['harvested'] } },
  // 3-4 not machine data
  { path: 'fiboa-specification/examples', readers: [], what: 'fiboa field boundaries (GeoJSON and GeoParquet)', expect: { kind: 'no_machine_data' } },
  { path: 'adapt-standardplugin/StandardPluginTests/expected/vector', readers: [], what: 'an ADAPT Standard prescription (JSON + GeoParquet)', expect: { kind: 'no_machine_data' } },
  { path: 'adapt-standardplugin/StandardPluginTests/expected/raster', readers: [], what: 'an ADAPT Standard raster prescription (JSON + GeoTIFF)', expect: { kind: 'no_machine_data' } },
  { path: 'adapt-standardplugin/StandardPluginTests/expected/manual', readers: [], what: 'an ADAPT Standard catalog (JSON)', expect: { kind: 'no_machine_data' } },
  { path: 'adapt-standard', readers: [], what: 'the ADAPT vocabulary JSON files', expect: { kind: 'no_machine_data' } },
];

const OPTIONS = { unitMeasurement: 'DEFAULT' as const, cleanupStandardGeojson: false, cleanupRules: defaultConfiguration().cleanupRules };

/** Runs one corpus path through the pipeline the service and `furrow convert` use. */
async function runPipeline(target: string, unreadable: readonly Unreadable[] = []): Promise<Outcome> {
  const outcome: Outcome = { converted: [], failed: [], noMachineData: false, unreadable: [] };
  const opened = await openFileSet(target);
  try {
    let datasets = await detectDatasets(opened.files);
    if (opened.selected !== undefined) datasets = datasets.filter((d) => d.path === opened.selected || (d.entries ?? []).includes(opened.selected!));
    let datasetsWithoutData = 0;
    for (const dataset of datasets) {
      let logs;
      try {
        logs = (await formatOf(dataset).open(opened.files, dataset)).logs;
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw error;
        if (error.code === 'no_machine_data') datasetsWithoutData += 1;
        else outcome.failed.push({ what: dataset.path, code: error.code, message: error.message });
        continue;
      }
      if (logs.length === 0) datasetsWithoutData += 1;
      for (const log of logs) {
        if (unreadable.some((u) => u.log.test(log.name))) {
          try {
            for await (const batch of log.points()) void batch;
          } catch (error) {
            if (!(error instanceof MachineFileError)) throw error;
            outcome.unreadable.push({ name: log.name, code: error.code, message: error.message });
          }
        }
        let bytes = 0;
        const result = await convertLog(log, OPTIONS, { standardGeojson: { write: (chunk) => void (bytes += chunk.length) } });
        const failedStep = Object.entries(result.status).find(([, step]) => step.status === 'failed');
        if (failedStep === undefined && result.status.standardGeojson?.status === 'processed') {
          expect(bytes, `${log.name} wrote its standardGeojson`).toBeGreaterThan(0);
          outcome.converted.push({ name: log.name, points: result.pointCount + result.droppedCount, operationType: result.operationType });
        } else {
          outcome.failed.push({ what: log.name, message: failedStep?.[1].message ?? JSON.stringify(result.status) });
        }
      }
    }
    outcome.noMachineData = datasets.length === datasetsWithoutData && outcome.converted.length === 0 && outcome.failed.length === 0;
  } finally {
    opened.close();
  }
  return outcome;
}

const registered = new Set(MACHINE_FORMATS.map((f) => f.id));

describe('the corpus through the pipeline', () => {
  it.skipIf(!hasCorpus)('has a case for every file in MANIFEST.md (../shared/corpus is needed)', () => {
    const covered = (file: string) => CORPUS_CASES.some((c) => file === c.path || file.startsWith(`${c.path}/`) || path.dirname(file) === path.dirname(c.path));
    const files = fs.readdirSync(corpus, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.relative(corpus, path.join(d.parentPath, d.name)));
    expect(files.filter((f) => f !== 'MANIFEST.md' && !covered(f))).toEqual([]);
  });

  for (const c of CORPUS_CASES) {
    const missing = c.readers.filter((id) => !registered.has(id));
    const title = `${c.path}: ${c.what} ${describeExpectation(c.expect)}`;
    if (missing.length > 0) {
      it.todo(`${title} (needs the ${missing.join(', ')} reader)`);
      continue;
    }
    it.skipIf(!hasCorpus)(title, async () => {
      const e = c.expect;
      const outcome = await runPipeline(path.join(corpus, c.path), e.kind === 'no_machine_data' ? [] : e.unreadable);
      const report = JSON.stringify(outcome, null, 1);
      if (e.kind === 'no_machine_data') {
        expect(outcome.noMachineData, report).toBe(true);
        return;
      }
      const messages = outcome.failed.map((f) => f.message);
      for (const failure of e.failures ?? []) expect(messages.some((m) => failure.test(m)), `a failure matching ${failure}: ${report}`).toBe(true);
      expect(outcome.failed.length, report).toBe(e.failures?.length ?? 0);
      for (const u of e.unreadable ?? []) {
        expect(outcome.unreadable.find((r) => u.log.test(r.name)), `reading ${u.log} fails: ${report}`).toMatchObject({ code: u.code, message: expect.stringMatching(u.message) });
      }
      if (e.kind === 'fails') {
        expect(outcome.converted, report).toEqual([]);
        return;
      }
      expect(outcome.converted.length, report).toBe(e.logs);
      expect(outcome.converted.reduce((sum, log) => sum + log.points, 0), report).toBe(e.points);
      expect([...new Set(outcome.converted.map((log) => log.operationType))].sort(), report).toEqual([...e.operationTypes].sort());
    }, 120_000);
  }
});

function describeExpectation(e: Expectation): string {
  if (e.kind === 'no_machine_data') return 'is no machine data';
  if (e.kind === 'fails') return `fails (${[...new Set(e.failures.map(String))].join(', ')})${e.unreadable === undefined ? '' : `, and ${e.unreadable.map((u) => u.message).join(', ')} when read`}`;
  const failures = e.failures === undefined ? '' : `, and reports ${[...new Set(e.failures.map(String))].join(', ')} as failed`;
  return `converts ${e.logs} log${e.logs === 1 ? '' : 's'} with ${e.points} points (${e.operationTypes.join(', ')})${failures}`;
}
