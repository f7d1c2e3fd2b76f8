/**
 * Sandbox machine files are real machine data: GDAL reads the zipped shapefile's points, and the
 * ISOXML zip holds a TASKDATA set whose binary log has one record per point.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { machineFileBytes, machineFileSize, type MachineFileSpec } from './machine-file-bytes.js';

const hasOgrinfo = (() => {
  try {
    execFileSync('ogrinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-machine-files-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec = (overrides: Partial<MachineFileSpec>): MachineFileSpec => ({
  format: 'shapefile',
  operation: 'harvest',
  points: 150,
  lat: 41.7,
  lon: -93.5,
  start: Date.UTC(2024, 8, 20, 14),
  rate: 11_000,
  crop: 'corn',
  moisture: 19,
  product: 'P1197AM',
  fieldName: 'North 40',
  taskName: 'North 40 harvest',
  ...overrides,
});

describe('sandbox machine file bytes', () => {
  it('are as long as machineFileSize says, for both formats and every operation', () => {
    for (const format of ['isoxml', 'shapefile'] as const) {
      for (const operation of ['harvest', 'seeding', 'application', 'tillage'] as const) {
        const s = spec({ format, operation, points: 77 });
        expect(machineFileBytes(s).length, `${format} ${operation}`).toBe(machineFileSize(s));
      }
    }
  });

  it.skipIf(!hasOgrinfo)('make a point shapefile GDAL reads in WGS 84, one feature per point, near the field (needs ogrinfo)', () => {
    const file = path.join(dir, 'yield.zip');
    fs.writeFileSync(file, machineFileBytes(spec({})));
    const info = execFileSync('ogrinfo', ['-ro', '-so', '-al', `/vsizip/${file}`], { encoding: 'utf8' });
    expect(info).toMatch(/Geometry: Point/);
    expect(info).toMatch(/Feature Count: 150/);
    expect(info).toMatch(/WGS_1984|WGS 84/);
    expect(info).toMatch(/VRYIELDVOL: Real/);
    expect(info).toMatch(/IsoTime: String/);
    const extent = /Extent: \((-?[\d.]+), (-?[\d.]+)\) - \((-?[\d.]+), (-?[\d.]+)\)/.exec(info)!;
    expect(Number(extent[1])).toBeGreaterThan(-93.51);
    expect(Number(extent[4])).toBeLessThan(41.71);
  });

  it('make an ISOXML zip with TASKDATA.XML and a binary log of one record per point', () => {
    const bytes = Buffer.from(machineFileBytes(spec({ format: 'isoxml', operation: 'seeding', points: 40 })));
    const text = bytes.toString('latin1');
    expect(text.startsWith('PK\u0003\u0004')).toBe(true);
    expect(text).toContain('<ISO11783_TaskData');
    expect(text).toContain('<DLV A="000C"');
    // Stored entries: the BIN's local header gives its size: 26 bytes of time and position, 5 per DLV.
    const at = text.indexOf('TASKDATA/TLG00001.BIN');
    const header = at - 30;
    expect(bytes.readUInt32LE(header)).toBe(0x04034b50);
    expect(bytes.readUInt32LE(header + 22)).toBe(40 * (26 + 5 * 5));
    const firstRecord = at + 'TASKDATA/TLG00001.BIN'.length;
    expect(bytes.readInt32LE(firstRecord + 6) / 1e7).toBeCloseTo(41.7, 1);
    expect(bytes.readInt32LE(firstRecord + 10) / 1e7).toBeCloseTo(-93.5, 1);
  });
});
