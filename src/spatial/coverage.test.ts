import { describe, expect, it } from 'vitest';
import { fieldCoverage } from './coverage.js';
import { FieldIndex } from './field-index.js';
import { drive, metreRectangle, passes } from './testing/drive.js';
import { field } from './testing/shapes.js';

describe('fieldCoverage', () => {
  const index = new FieldIndex([
    field('half-worked', [metreRectangle(0, 0, 200, 100)]),
    field('untouched', [metreRectangle(400, 0, 500, 100)]),
  ]);

  it('finds a field whose western half was worked in 10 m passes about 50 % covered', async () => {
    // Ten passes 10 m apart, centred 5..95 m, running past both headlands.
    const { fields, cellMetres } = await fieldCoverage(index, drive(passes(5, 10, 10, -20, 120), 10));
    expect(cellMetres).toBeCloseTo(1, 9);
    expect(fields.map((f) => f.fieldId)).toEqual(['half-worked']);
    expect(fields[0]!.coverage).toBeGreaterThan(0.49);
    expect(fields[0]!.coverage).toBeLessThan(0.51);
    expect(fields[0]!.areaSquareMetres / 20_000).toBeCloseTo(1, 2);
  });

  it('keeps the answer when the passes run at an angle to the field', async () => {
    // Passes turned 30°: the same ground strip in the field's frame is not what is driven, so check a
    // whole field covered by a wide sweep rather than a half.
    const angle = Math.PI / 6;
    const turn = (p: [number, number]): [number, number] => [100 + (p[0] - 100) * Math.cos(angle) - (p[1] - 50) * Math.sin(angle), 50 + (p[0] - 100) * Math.sin(angle) + (p[1] - 50) * Math.cos(angle)];
    const path = passes(-60, 10, 33, -100, 200).map(turn);
    const { fields } = await fieldCoverage(index, drive(path, 10));
    expect(fields.find((f) => f.fieldId === 'half-worked')!.coverage).toBeGreaterThan(0.99);
  });

  it('counts ground driven twice once', async () => {
    const once = await fieldCoverage(index, drive(passes(5, 10, 10, -20, 120), 10));
    const twice = await fieldCoverage(index, drive([...passes(5, 10, 10, -20, 120), ...passes(95, -10, 10, -20, 120)], 10));
    expect(twice.fields[0]!.coveredSquareMetres).toBeCloseTo(once.fields[0]!.coveredSquareMetres, 0);
  });

  it('counts covered ground in every field that overlaps it', async () => {
    const overlapping = new FieldIndex([field('big', [metreRectangle(0, 0, 200, 100)]), field('inner', [metreRectangle(0, 0, 100, 100)])]);
    const { fields } = await fieldCoverage(overlapping, drive(passes(5, 10, 10, -20, 120), 10));
    expect(fields.find((f) => f.fieldId === 'inner')!.coverage).toBeGreaterThan(0.98);
    expect(fields.find((f) => f.fieldId === 'big')!.coverage).toBeGreaterThan(0.49);
  });

  it('covers nothing for points without a width, not working, or a jump longer than 50 m', async () => {
    const noWidth = await fieldCoverage(index, drive(passes(5, 10, 3, -20, 120), 0));
    expect(noWidth.fields).toEqual([]);
    const jumps = await fieldCoverage(index, drive(passes(5, 10, 3, -20, 120), 10, 60));
    expect(jumps.fields).toEqual([]);
    async function* idle() {
      for await (const batch of drive(passes(5, 10, 3, -20, 120), 10)) yield { ...batch, working: new Uint8Array(batch.length) };
    }
    expect((await fieldCoverage(index, idle())).fields).toEqual([]);
  });
});
