/**
 * @module Recognises proprietary machine-data formats (John Deere GS2/GS3/Gen4, Precision Planting
 * 20|20, CNH CN1, Ag Leader .yld/.ilf/.agdata, Trimble AgData) by their file layout, so an upload of
 * them fails with a status that names the format and how to export a readable one. Never reads them.
 */
import { MachineFileError, type DetectedDataset, type MachineFormat } from '../machine-data.js';
import { PROPRIETARY_FORMATS, unsupportedMessage } from './proprietary-formats.js';

const unsupported: MachineFormat = {
  id: 'unsupported',
  fileFormat: 'UNSUPPORTED',
  detect(files) {
    const datasets: DetectedDataset[] = [];
    const claimed = new Set<string>();
    for (const format of PROPRIETARY_FORMATS) {
      const groups = new Map<string, string[]>();
      for (const { path } of files.entries) {
        if (claimed.has(path)) continue;
        const key = format.group(path);
        if (key === undefined) continue;
        groups.set(key, [...(groups.get(key) ?? []), path]);
      }
      for (const [key, paths] of groups) {
        paths.forEach((p) => claimed.add(p));
        const anchor = paths.find((p) => p === key) ?? paths.find((p) => /global\.ver$|index\.vy1$/i.test(p)) ?? key;
        datasets.push({ path: anchor, fileFormat: format.fileFormat, unsupported: unsupportedMessage(format, anchor, paths.length), entries: paths });
      }
    }
    return Promise.resolve(datasets);
  },
  open(_files, dataset) {
    return Promise.reject(new MachineFileError('unsupported_file_format', dataset.unsupported ?? `${dataset.path} is in a proprietary format Furrow cannot read.`));
  },
};

export default unsupported;
