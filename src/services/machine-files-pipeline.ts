/**
 * The formats pipeline as the machine-files service uses it: open an upload (a zip, nested zips
 * expanded, or one bare file), find its datasets, open a dataset's logs, convert one log. A seam
 * so the service reads as a sequence of steps and tests can count what ran.
 */
import { openZip, type ArchiveLimits } from '../formats/archive/zip.js';
import type { ConversionResult, OutputSink, StandardOptions } from '../formats/convert.js';
import { MachineFileError, type ByteSource, type DetectedDataset, type FileSet, type MachineLog } from '../formats/machine-data.js';
import { MACHINE_FORMATS, detectDatasets } from '../formats/registry.js';

export interface MachineFilePipeline {
  /** The files of an upload: a zip is expanded; anything else is one file named `fileName`. */
  openUpload(source: ByteSource, fileName: string): Promise<FileSet>;
  detectDatasets(files: FileSet): Promise<DetectedDataset[]>;
  /** The logs of one detected dataset; throws `MachineFileError` when the dataset cannot be read. */
  openDataset(files: FileSet, dataset: DetectedDataset): Promise<MachineLog[]>;
  convertLog(log: MachineLog, options: StandardOptions, sinks: { standardGeojson: OutputSink; standardGeoparquet?: OutputSink }): Promise<ConversionResult>;
}

const ZIP_MAGIC = [0x50, 0x4b];

/** The real pipeline over the formats registry. */
export function formatsPipeline(limits: Partial<ArchiveLimits> = {}): MachineFilePipeline {
  return {
    async openUpload(source, fileName) {
      const head = await source.read(0, 4);
      const looksLikeZip = head.length >= 2 && head[0] === ZIP_MAGIC[0] && head[1] === ZIP_MAGIC[1];
      // Leaf takes zips; a bare file (a lone CSV export) is accepted as a set of one. A file
      // named .zip that is not one goes to the zip reader, which says what is wrong with it.
      if (looksLikeZip || /\.zip$/i.test(fileName)) return openZip(source, limits);
      return { entries: [{ path: fileName, size: source.size, stream: () => streamSource(source) }] };
    },
    detectDatasets,
    async openDataset(files, dataset) {
      const format = formatOf(dataset);
      if (format === undefined) throw new MachineFileError('unsupported_file_format', `No reader for ${dataset.fileFormat} (${dataset.path}).`);
      return (await format.open(files, dataset)).logs;
    },
    // Loaded on first use: the converter pulls in the GeoParquet writer, which processes that
    // never convert (a CLI `migrate`, an API-only process) need not load.
    convertLog: async (log, options, sinks) => (await import('../formats/convert.js')).convertLog(log, options, sinks),
  };
}

/** The format that detected a dataset: the one whose `fileFormat` it carries, or whose id it names. */
function formatOf(dataset: DetectedDataset) {
  const named = (dataset as { format?: unknown }).format;
  if (typeof named === 'string') {
    const byId = MACHINE_FORMATS.find((f) => f.id === named);
    if (byId !== undefined) return byId;
  }
  return MACHINE_FORMATS.find((f) => f.fileFormat === dataset.fileFormat);
}

async function* streamSource(source: ByteSource): AsyncIterable<Uint8Array> {
  const chunk = 1 << 20;
  for (let offset = 0; offset < source.size; offset += chunk) yield await source.read(offset, Math.min(chunk, source.size - offset));
}
