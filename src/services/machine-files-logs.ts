/**
 * The logs behind processed files, opened again from their uploads: field operations read a
 * file's points from its log (not from its standardGeojson), so an operation's outputs come from
 * the same converter as a file's and clipping to a field happens before standardisation.
 */
import type { MachineFileRecord } from '../domain/index.js';
import type { MachineLog } from '../formats/machine-data.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { MachineFileBatchesRepository } from '../storage/repositories/machine-file-batches.js';
import type { MachineFilePipeline } from './machine-files-pipeline.js';
import { blobKeys } from './machine-files-processing.js';

export interface FileLogDeps {
  batches: Pick<MachineFileBatchesRepository, 'getById'>;
  blobs: Pick<BlobStore, 'open'>;
  pipeline: MachineFilePipeline;
}

export interface OpenedLogs {
  /** By file id; a file whose log cannot be found again (no upload, upload gone) is absent. */
  logs: Map<string, MachineLog>;
  /** Closes the uploads; the logs stop working after it. */
  close(): Promise<void>;
}

/** Opens the uploads of `files` (each once) and finds each file's log by its source key. */
export async function openFileLogs(deps: FileLogDeps, files: readonly MachineFileRecord[]): Promise<OpenedLogs> {
  const byBatch = new Map<string, MachineFileRecord[]>();
  for (const file of files) if (file.batchId !== null && file.sourceKey !== null) byBatch.set(file.batchId, [...(byBatch.get(file.batchId) ?? []), file]);
  const opened: { close(): Promise<void> }[] = [];
  const logs = new Map<string, MachineLog>();
  const close = async () => {
    await Promise.all(opened.map((o) => o.close()));
  };
  try {
    for (const [batchId, members] of byBatch) {
      const batch = await deps.batches.getById(batchId);
      const blob = batch === undefined ? undefined : await deps.blobs.open(blobKeys.upload(batch.leafUserId, batch.id));
      if (batch === undefined || blob === undefined) continue;
      opened.push(blob);
      const set = await deps.pipeline.openUpload(blob, batch.fileName);
      const datasets = await deps.pipeline.detectDatasets(set);
      const datasetLogs = new Map<string, MachineLog[]>();
      for (const member of members) {
        const hash = member.sourceKey!.lastIndexOf('#');
        const datasetPath = member.sourceKey!.slice(0, hash);
        const ordinal = Number(member.sourceKey!.slice(hash + 1));
        let found = datasetLogs.get(datasetPath);
        if (found === undefined) {
          const dataset = datasets.find((d) => d.path === datasetPath && d.unsupported === undefined);
          found = dataset === undefined ? [] : await deps.pipeline.openDataset(set, dataset);
          datasetLogs.set(datasetPath, found);
        }
        const log = found[ordinal];
        if (log !== undefined) logs.set(member.id, log);
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { logs, close };
}
