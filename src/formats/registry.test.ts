import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DetectedDataset, MachineFormat } from './machine-data.js';
import { MACHINE_FORMATS, detectDatasets, detectDatasetsWith } from './registry.js';
import { fileSetFromMemory } from './testing/file-sets.js';

const formatsDir = path.dirname(new URL(import.meta.url).pathname);

function isMachineFormat(value: unknown): value is MachineFormat {
  const v = value as Partial<MachineFormat> | undefined;
  return typeof v?.id === 'string' && typeof v.detect === 'function' && typeof v.open === 'function';
}

/** Folders under src/formats whose index.ts default-exports a MachineFormat (STYLE.md habit 2). */
async function formatFolders(): Promise<Map<string, MachineFormat>> {
  const found = new Map<string, MachineFormat>();
  for (const dirent of fs.readdirSync(formatsDir, { withFileTypes: true })) {
    const index = path.join(formatsDir, dirent.name, 'index.ts');
    if (!dirent.isDirectory() || !fs.existsSync(index)) continue;
    const module = (await import(index)) as { default?: unknown };
    if (isMachineFormat(module.default)) found.set(dirent.name, module.default);
  }
  return found;
}

function testFilesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((d) => d.isFile() && d.name.endsWith('.test.ts')).map((d) => d.name);
}

describe('the formats registry', () => {
  it('registers every format folder, and nothing that is not one', async () => {
    const folders = await formatFolders();
    expect([...folders.keys()].sort()).toEqual(MACHINE_FORMATS.map((f) => f.id).sort());
    for (const format of MACHINE_FORMATS) expect(folders.get(format.id), `registry line for ${format.id} is its folder's default export`).toBe(format);
  });

  it('gives every registered format a test file in its folder', () => {
    for (const format of MACHINE_FORMATS) expect(testFilesUnder(path.join(formatsDir, format.id)), `tests under src/formats/${format.id}`).not.toEqual([]);
  });

  it('keeps format ids unique', () => {
    expect(new Set(MACHINE_FORMATS.map((f) => f.id)).size).toBe(MACHINE_FORMATS.length);
  });

  it('finds nothing in a set with no machine data', async () => {
    const files = fileSetFromMemory({ 'notes.txt': 'hello', 'photo.jpg': new Uint8Array([0xff, 0xd8]), 'adapt-data-type-definitions.json': '{}' });
    expect(await detectDatasets(files)).toEqual([]);
  });

  it('tags each dataset with the id of the format that detected it', async () => {
    const datasets = await detectDatasets(fileSetFromMemory({ 'Card/GS3_2630/profile/RCD/EIC/global.ver': 'x' }));
    expect(datasets.map((d) => d.format)).toEqual(['unsupported']);
  });

  it('lets each file belong to one dataset only, the first format in the list winning', async () => {
    const claiming = (id: string, found: DetectedDataset[]): MachineFormat => ({
      id,
      fileFormat: id.toUpperCase(),
      detect: () => Promise.resolve(found),
      open: () => Promise.reject(new Error('not used')),
    });
    const first = claiming('first', [{ path: 'TASKDATA/TASKDATA.XML', fileFormat: 'FIRST', entries: ['TASKDATA/TASKDATA.XML', 'TASKDATA/GRD00001.shp'] }]);
    const second = claiming('second', [
      { path: 'TASKDATA/GRD00001.shp', fileFormat: 'SECOND' },
      { path: 'yield.shp', fileFormat: 'SECOND', entries: ['yield.shp', 'yield.dbf'] },
    ]);
    const third = claiming('third', [{ path: 'yield.txt', fileFormat: 'THIRD', entries: ['yield.txt', 'yield.dbf'] }]);
    const datasets = await detectDatasetsWith([first, second, third], fileSetFromMemory({}));
    expect(datasets.map((d) => `${d.format}:${d.path}`)).toEqual(['first:TASKDATA/TASKDATA.XML', 'second:yield.shp']);
  });
});
