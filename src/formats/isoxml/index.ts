/**
 * @module ISO 11783-10 (ISOXML) task data: TASKDATA.XML with its external files and binary time
 * logs, read into one `MachineLog` per task and the partfield boundaries the set carries.
 */
import { MachineFileError, type DetectedDataset, type FileSet, type MachineFormat } from '../machine-data.js';
import { readBoundaries } from './boundaries.js';
import { loadTaskData } from './task-data.js';
import { DEFAULT_BATCH_SIZE, readTaskLogs } from './task-log.js';

const TASKDATA = /(^|\/)taskdata\.xml$/i;

const isoxml: MachineFormat = {
  id: 'isoxml',
  fileFormat: 'ISO11783',

  async detect(files: FileSet): Promise<DetectedDataset[]> {
    return files.entries
      .filter((entry) => TASKDATA.test(entry.path))
      .map((entry) => ({ path: entry.path, fileFormat: 'ISO11783' }));
  },

  async open(files, dataset, options = {}) {
    if (!TASKDATA.test(dataset.path)) {
      throw new MachineFileError('unsupported_file_format', `${dataset.path} is not a TASKDATA.XML; the ISOXML reader opens task data sets only.`);
    }
    const taskData = await loadTaskData(files, dataset.path);
    const logs = await readTaskLogs(taskData, options.batchSize ?? DEFAULT_BATCH_SIZE);
    return { logs, boundaries: readBoundaries(taskData) };
  },
};

export default isoxml;
