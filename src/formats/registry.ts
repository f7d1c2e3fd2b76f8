/**
 * Every machine-file format Furrow knows, readable or only recognised. A new format is one folder
 * under src/formats plus one line here; `registry.test.ts` fails when either is missing.
 */
import type { DetectedDataset, FileSet, MachineFormat } from './machine-data.js';
import agLeaderText from './agleader-text/index.js';
import geopackage from './geopackage/index.js';
import isoxml from './isoxml/index.js';
import shapefile from './shapefile/index.js';
import unsupported from './unsupported/index.js';

/**
 * In order of precedence: when two formats claim the same file, the earlier one gets it. Readers
 * go before the recogniser of unsupported formats, so a readable export beside a proprietary
 * folder is still read.
 */
export const MACHINE_FORMATS: readonly MachineFormat[] = [isoxml, shapefile, agLeaderText, geopackage, unsupported];

/** A detected dataset and the id of the format that detected it. */
export interface RegisteredDataset extends DetectedDataset {
  readonly format: string;
}

/**
 * The datasets of a set, each entry claimed by at most one: a dataset whose anchor (or any entry
 * it reads) an earlier dataset already claimed is dropped, so an ISOXML set's prescription
 * shapefiles are not also read as a shapefile export.
 */
export function detectDatasets(files: FileSet): Promise<RegisteredDataset[]> {
  return detectDatasetsWith(MACHINE_FORMATS, files);
}

/** `detectDatasets` over a given list of formats, in order of precedence. */
export async function detectDatasetsWith(formats: readonly MachineFormat[], files: FileSet): Promise<RegisteredDataset[]> {
  const claimed = new Set<string>();
  const datasets: RegisteredDataset[] = [];
  for (const format of formats) {
    for (const dataset of await format.detect(files)) {
      const entries = dataset.entries ?? [dataset.path];
      if (claimed.has(dataset.path) || entries.some((path) => claimed.has(path))) continue;
      entries.forEach((path) => claimed.add(path));
      claimed.add(dataset.path);
      datasets.push({ ...dataset, format: format.id });
    }
  }
  return datasets;
}

/** The format that reads a dataset from `detectDatasets`. */
export function formatOf(dataset: RegisteredDataset): MachineFormat {
  const format = MACHINE_FORMATS.find((f) => f.id === dataset.format);
  if (format === undefined) throw new Error(`No registered format "${dataset.format}"; expected one of ${MACHINE_FORMATS.map((f) => f.id).join(', ')}.`);
  return format;
}
