/**
 * The proprietary machine-data formats Furrow recognises by their file layout but never reads:
 * none has a public specification (SPEC section 7; Leaf's supported-formats list, leaf-api.md 7.7).
 * Each is data: how to group its files into datasets, and what to tell the person who uploaded it.
 */

export interface ProprietaryFormat {
  /** Leaf's `fileFormat` where Leaf names it (`CN1`, `AGDATA`), else a descriptive constant. */
  readonly fileFormat: string;
  /** What a person calls it. */
  readonly name: string;
  /** Where to get a format Furrow reads. */
  readonly exportAdvice: string;
  /**
   * Groups the matching paths of a set into datasets: the key names the group (and anchors it),
   * or undefined when the path is not this format's.
   */
  readonly group: (path: string) => string | undefined;
}

const lower = (path: string) => path.toLowerCase();
const parent = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
/** The path up to and including the last folder named `name` (case-insensitive), if any. */
function upToFolder(path: string, name: string): string | undefined {
  const parts = path.split('/');
  for (let i = parts.length - 2; i >= 0; i -= 1) if (parts[i]!.toLowerCase() === name) return parts.slice(0, i + 1).join('/');
  return undefined;
}

const OPERATIONS_CENTER = 'export it as shapefile or ISOXML from John Deere Operations Center';

export const PROPRIETARY_FORMATS: readonly ProprietaryFormat[] = [
  {
    fileFormat: 'JD_GS3',
    name: 'John Deere GS3 data',
    exportAdvice: OPERATIONS_CENTER,
    // GS3_2630/profile/RCD/EIC/global.ver anchors a GS3 2630 profile; the whole profile is its data.
    group: (path) => upToFolder(path, 'gs3_2630'),
  },
  {
    fileFormat: 'JD_GS2',
    name: 'John Deere GS2 data',
    exportAdvice: OPERATIONS_CENTER,
    group: (path) => (/\.(fdd|fdl)$/i.test(path) ? upToFolder(path, 'rcd') : undefined),
  },
  {
    fileFormat: 'JD_GEN4',
    name: 'John Deere Gen4 display log',
    exportAdvice: OPERATIONS_CENTER,
    group: (path) => (/\.jdl$/i.test(path) ? path : undefined),
  },
  {
    fileFormat: 'PRECISION_PLANTING_2020',
    name: 'Precision Planting 20|20 data',
    exportAdvice: 'export it as shapefile from Climate FieldView or Precision Planting Panorama',
    group: (path) => {
      const name = lower(path).split('/').pop()!;
      return name.endsWith('.2020') || /^(harvest|field_map|liquid_map)_.*\.dat$/.test(name) ? path : undefined;
    },
  },
  {
    fileFormat: 'CN1',
    name: 'CNH Industrial CN1 data',
    exportAdvice: 'export it as ISOXML or shapefile from the display or from CNH AFS Connect / FieldOps',
    // A CN1 dataset is a `<name>.cn1` folder holding `index.vy1` and the logs beside it.
    group: (path) => {
      const parts = path.split('/');
      for (let i = parts.length - 2; i >= 0; i -= 1) if (/\.cn1$/i.test(parts[i]!)) return parts.slice(0, i + 1).join('/');
      return undefined;
    },
  },
  {
    fileFormat: 'AGLEADER_YLD',
    name: 'Ag Leader yield or log file',
    exportAdvice: 'export it as shapefile or ISOXML from Ag Leader SMS',
    group: (path) => (/\.(yld|ilf)$/i.test(path) ? path : undefined),
  },
  {
    fileFormat: 'AGDATA',
    name: 'Ag Leader agdata file',
    exportAdvice: 'export it as shapefile or ISOXML from Ag Leader SMS',
    group: (path) => (/\.(agdata|agsetup)$/i.test(path) ? path : undefined),
  },
  {
    fileFormat: 'TRIMBLE_AGDATA',
    name: 'Trimble AgData folder',
    exportAdvice: 'export it as shapefile from Trimble Ag Software (Farmer Pro) or the display',
    group: (path) => (/\.ag[fimtuv]$/i.test(path) ? (upToFolder(path, 'agdata') ?? parent(path)) : undefined),
  },
];

/** The status message for a dataset of an unsupported format. */
export function unsupportedMessage(format: ProprietaryFormat, anchor: string, fileCount: number): string {
  const what = fileCount > 1 ? `${anchor}, ${fileCount} files` : anchor;
  return `${format.name} (${what}) is a proprietary format with no public specification; ${format.exportAdvice}, then upload that.`;
}
