import { describe, expect, it } from 'vitest';
import { allocatePoints, fieldsToAttach, type AllocationBatch } from './allocation.js';
import { FieldIndex } from './field-index.js';
import { drive, metreRectangle } from './testing/drive.js';
import { field, rectangle } from './testing/shapes.js';

async function* batchesOf(points: [number, number][], size: number): AsyncGenerator<AllocationBatch> {
  for (let k = 0; k < points.length; k += size) {
    const part = points.slice(k, k + size);
    yield { lon: Float64Array.from(part.map((p) => p[0])), lat: Float64Array.from(part.map((p) => p[1])), length: part.length };
  }
}

describe('allocatePoints', () => {
  const index = new FieldIndex([field('a', [rectangle(0, 0, 1, 1)]), field('b', [rectangle(2, 0, 3, 1)]), field('c', [rectangle(5, 5, 6, 6)])]);

  it('counts the points of each field and outside across batches, shares summing to one with the outside', async () => {
    const points: [number, number][] = [[0.5, 0.5], [0.2, 0.2], [0.9, 0.1], [2.5, 0.5], [1.5, 0.5], [Number.NaN, 0]];
    const result = await allocatePoints(index, batchesOf(points, 4));
    expect(result.total).toBe(6);
    expect(result.outside).toBe(2);
    expect(result.fields.map((f) => [f.fieldId, f.points])).toEqual([['a', 3], ['b', 1]]);
    expect(result.fields[0]!.share).toBeCloseTo(0.5, 12);
    expect(result.fields.reduce((s, f) => s + f.share, 0) + result.outside / result.total).toBeCloseTo(1, 12);
    // Without widths, the point share is what fieldsAttachIntersection is compared with.
    expect(result.fields[1]!.intersection).toBe(result.fields[1]!.share);
  });

  it('hands each batch to onBatch with the field of every point', async () => {
    const seen: number[] = [];
    await allocatePoints(index, batchesOf([[0.5, 0.5], [2.5, 0.5], [9, 9]], 2), { onBatch: (_batch, fieldOfPoint) => void seen.push(...fieldOfPoint) });
    expect(seen).toEqual([0, 1, -1]);
  });

  it('credits swath area, width times the step into each point, to the field the step ends in, across batches', async () => {
    const strips = new FieldIndex([field('west', [metreRectangle(0, 0, 100, 50)]), field('east', [metreRectangle(100, 0, 300, 50)])]);
    // 400 m at 2 m steps, 10 m wide, from x = -50 to 350; batches of 7 points so steps straddle them.
    const result = await allocatePoints(strips, drive([[-50, 25], [350, 25]], 10, 2, 7));
    const west = result.fields.find((f) => f.fieldId === 'west')!;
    const east = result.fields.find((f) => f.fieldId === 'east')!;
    expect(west.swathSquareMetres / 1000).toBeCloseTo(1, 1);
    expect(east.swathSquareMetres / 2000).toBeCloseTo(1, 1);
    expect(result.outsideSquareMetres / 1000).toBeCloseTo(1, 1);
    expect(east.intersection).toBeCloseTo(0.5, 2);
  });

  it('attaches a file only to the fields whose intersection reaches fieldsAttachIntersection (a percentage)', async () => {
    const points: [number, number][] = [...Array.from({ length: 9999 }, (): [number, number] => [0.5, 0.5]), [2.5, 0.5]];
    const result = await allocatePoints(index, batchesOf(points, 1000));
    expect(fieldsToAttach(result, 0.01).map((f) => f.fieldId)).toEqual(['a', 'b']);
    expect(fieldsToAttach(result, 0.011).map((f) => f.fieldId)).toEqual(['a']);
    expect(fieldsToAttach(result, 100).map((f) => f.fieldId)).toEqual([]);
  });
});
