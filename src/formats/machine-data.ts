/**
 * The contract between machine-file readers (one folder per format) and the writers of Furrow's
 * canonical outputs (standardGeojson, summary, units, GeoParquet). Pure: no I/O. Callers hand a
 * reader a `FileSet` (a folder on disk, a zip, nested zips) and get `MachineLog`s back, each of
 * which streams `PointBatch`es: columnar typed arrays, so decoding and writing never build one
 * object per point and memory stays bounded by the batch size, not the file size.
 */

/** Leaf's operation types (research/leaf-api.md 7.4). */
export type OperationType = 'harvested' | 'planted' | 'applied' | 'tillage';

/**
 * Unit strings, spelled as Leaf spells them in `units` (leaf-api.md 7.4 and 7.6). Readers report
 * the unit each column is in; the standard writer converts to the user's `unitMeasurement`.
 */
export type Unit =
  | 'm' | 'ft' | 'in' | 'cm' | 'mm' | 'mi'
  | 'm2' | 'ha' | 'ac'
  | 'm/s' | 'km/h' | 'mi/hr' | 'ft/s'
  | 'arcdeg'
  | 'prcnt'
  | 's'
  | 'kg' | 't' | 'lb'
  | 'kg/ha' | 't/ha' | 'lb/ac'
  | 'kg/s' | 'lb/s' | 't/h'
  | 'L' | 'm3' | 'gal' | 'bu' | 'floz'
  | 'L/ha' | 'm3/ha' | 'gal/ac' | 'bu/ac' | 'floz/ac'
  | 'seeds' | 'seeds/ha' | 'seeds/ac'
  | 'kgf' | 'lbf'
  | 'count';

/**
 * Per-point numeric properties a reader may produce, named as in Leaf's standardGeojson
 * (leaf-api.md 7.5). `workState` is Furrow's: 1 recording, 0 not (it becomes `recordingStatus`
 * "On"/"Off"); `wetMassFlow` and `wetVolumeFlow` are flows the standard step turns into per-point
 * masses and volumes from time and area. Anything else a file carries is dropped.
 */
export const POINT_PROPERTIES = [
  'area', 'distance', 'elevation', 'heading', 'speed', 'equipmentWidth', 'workState', 'sectionId',
  'xOffset', 'yOffset', 'fuelUsed',
  // planted
  'seedRate', 'seedRateTarget', 'seedDepth', 'downForce', 'downForceMargin', 'singulation', 'skips', 'doubles',
  // applied
  'appliedRate', 'appliedRateTarget',
  // harvested
  'harvestMoisture', 'wetMass', 'wetMassPerArea', 'wetVolume', 'wetVolumePerArea', 'dryMass', 'dryMassPerArea',
  'dryVolume', 'dryVolumePerArea', 'wetMassFlow', 'wetVolumeFlow', 'proteinPercentage', 'samplingInterval',
  // tillage
  'tillageDepthTarget', 'tillageDepthActual',
] as const;

export type PointProperty = (typeof POINT_PROPERTIES)[number];

/** One column of a log: which property and in what unit its values are. */
export interface PropertyColumn {
  readonly property: PointProperty;
  readonly unit: Unit;
}

/**
 * A run of consecutive points. Every array has `length` entries; missing values are NaN.
 * Coordinates are WGS 84 degrees (readers reproject); `time` is milliseconds since the Unix epoch,
 * UTC, NaN when the file carries no time for the point. Batches may reuse their arrays after the
 * consumer asks for the next batch: copy what you keep.
 */
export interface PointBatch {
  readonly length: number;
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly time: Float64Array;
  /** One array per column of the log (`MachineLog.columns`), same order, same length. */
  readonly values: readonly Float64Array[];
}

export interface Machine {
  readonly name: string;
  readonly type: 'machine' | 'implement';
  readonly serialNumber?: string;
  readonly brand?: string;
}

export interface Product {
  readonly name: string;
  readonly type?: string;
}

/**
 * One unit of machine data that becomes one Furrow file (a Leaf "file"): one ISOXML task with its
 * time logs, one shapefile layer. Metadata is known before the points are read.
 */
export interface MachineLog {
  /** Leaf's `fileFormat`: ISO11783, SHAPEFILE, ... */
  readonly fileFormat: string;
  /** A name a person recognises: the task's designator, the layer's file name. */
  readonly name: string;
  /** Null when the file does not say; the standard step then reports `unsupported operation type`. */
  readonly operationType: OperationType | null;
  /** What the file itself called the operation, when it did. */
  readonly originalOperationType?: string;
  /** Lower-case crop names as in Leaf's crops table (`corn`, `soybeans`), when known. */
  readonly crop?: readonly string[];
  readonly varieties?: readonly string[];
  readonly products?: readonly Product[];
  readonly machinery?: readonly Machine[];
  /** Field, farm and grower names the file carries (Leaf's `originalOperationData`). */
  readonly originalOperationData?: {
    readonly originalOperationField?: string;
    readonly originalOperationFarm?: string;
    readonly originalOperationGrower?: string;
  };
  readonly columns: readonly PropertyColumn[];
  /** Things a person should know that did not stop the conversion (e.g. "no .prj: WGS 84 assumed"). */
  readonly warnings: readonly string[];
  /** Streams the points. Throws `MachineFileError` when the data turns out to be broken. */
  points(): AsyncIterable<PointBatch>;
}

/** A field boundary a file carries (ISOXML partfields), as a GeoJSON MultiPolygon in WGS 84. */
export interface FileBoundary {
  readonly name: string;
  readonly sourceId: string;
  readonly geometry: { readonly type: 'MultiPolygon'; readonly coordinates: number[][][][] };
}

/** One file inside a `FileSet`. Paths use `/`, relative to the set's root, original case. */
export interface FileEntry {
  readonly path: string;
  /** Uncompressed size in bytes as declared (a zip's central directory, the file system). */
  readonly size: number;
  /** The bytes, in chunks. Implementations enforce their own limits (zip-bomb ratio, size). */
  stream(): AsyncIterable<Uint8Array>;
  /**
   * Random access to the bytes, where the set has it cheaply (a file on disk, a stored zip entry).
   * Formats that must seek (GeoPackage's SQLite pages) use it instead of buffering `stream()`.
   * The caller closes it.
   */
  open?(): Promise<ByteSource & { close(): void }>;
}

/** Random access to the bytes of one file (a zip on disk, an upload in the blob store). */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A folder of files: a directory on disk, a zip (nested zips expanded), or files in memory. */
export interface FileSet {
  readonly entries: readonly FileEntry[];
  /** What a person should know about the set itself (a repaired zip, a skipped unsafe name). */
  readonly warnings?: readonly string[];
}

/** What a format found in a set: enough to name it without reading the points. */
export interface DetectedDataset {
  /** The entry that anchors the dataset (TASKDATA.XML, the .shp). */
  readonly path: string;
  readonly fileFormat: string;
  /** Set by recognisers of formats Furrow cannot read: the status message to show. */
  readonly unsupported?: string;
  /**
   * Every entry the dataset reads (the anchor's siblings, a TASKDATA folder's logs), when more than
   * the anchor. The registry lets each entry belong to one dataset only (the first format to claim it).
   */
  readonly entries?: readonly string[];
}

export interface ReadOptions {
  /** Points per batch; readers may yield fewer. */
  readonly batchSize?: number;
}

/** A machine-file format: one folder under src/formats, one line in the formats registry. */
export interface MachineFormat {
  readonly id: string;
  /** Leaf's `fileFormat` value for files of this format. */
  readonly fileFormat: string;
  /** Cheap: names, sizes and at most a few header bytes. Never reads points. */
  detect(files: FileSet): Promise<DetectedDataset[]>;
  /** The logs of one detected dataset, with their boundaries when the format carries them. */
  open(files: FileSet, dataset: DetectedDataset, options?: ReadOptions): Promise<{ logs: MachineLog[]; boundaries: FileBoundary[] }>;
}

/** Stable codes for what can go wrong in a machine file; the message names the problem. */
export type MachineFileErrorCode =
  | 'unsupported_file_format'
  | 'no_machine_data'
  | 'corrupt_file'
  | 'missing_file'
  | 'archive_limit_exceeded'
  | 'unsupported_operation_type'
  | 'no_points_passed_filter';

/** Thrown by readers and writers; the pipeline records `message` as the failed step's status. */
export class MachineFileError extends Error {
  constructor(
    readonly code: MachineFileErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'MachineFileError';
  }
}
