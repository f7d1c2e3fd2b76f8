/**
 * Leaf's `POST /files/merge` (leaf-api.md 7.3) builds one file from several of the same operation
 * type. Furrow merges the source logs, not their outputs: one log that streams every source's
 * points in turn, so the merged standard output, summary, coverage and units come from the same
 * converter as any other file and agree with each other.
 */
import type { MachineLog, Machine, PointBatch, Product, PropertyColumn } from '../formats/machine-data.js';
import { conversionFactor } from '../formats/standard/units.js';

const uniqueBy = <T>(items: readonly T[], key: (item: T) => string): T[] => {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
};

/**
 * One log made of `logs` in order. Columns are the union by property; a property a source logs
 * in another unit is converted to the unit it first appeared in; a property a source lacks is NaN
 * for its points.
 */
export function concatenateLogs(name: string, logs: readonly MachineLog[]): MachineLog {
  const first = logs[0];
  if (first === undefined) throw new Error('concatenateLogs needs at least one log');
  const columns: PropertyColumn[] = [];
  for (const log of logs) for (const column of log.columns) if (!columns.some((c) => c.property === column.property)) columns.push(column);
  const crop = uniqueBy(logs.flatMap((l) => l.crop ?? []), (c) => c);
  const varieties = uniqueBy(logs.flatMap((l) => l.varieties ?? []), (v) => v);
  const products = uniqueBy(logs.flatMap((l): readonly Product[] => l.products ?? []), (p) => `${p.name}|${p.type ?? ''}`);
  const machinery = uniqueBy(logs.flatMap((l): readonly Machine[] => l.machinery ?? []), (m) => `${m.name}|${m.type}|${m.serialNumber ?? ''}`);
  return {
    fileFormat: first.fileFormat,
    name,
    operationType: first.operationType,
    ...(first.originalOperationType === undefined ? {} : { originalOperationType: first.originalOperationType }),
    ...(crop.length > 0 ? { crop } : {}),
    ...(varieties.length > 0 ? { varieties } : {}),
    ...(products.length > 0 ? { products } : {}),
    ...(machinery.length > 0 ? { machinery } : {}),
    ...(first.originalOperationData === undefined ? {} : { originalOperationData: first.originalOperationData }),
    columns,
    warnings: logs.flatMap((l) => l.warnings),
    async *points(): AsyncIterable<PointBatch> {
      for (const log of logs) {
        // Per output column: the source column index and the factor to the output unit.
        const mapping = columns.map((column) => {
          const index = log.columns.findIndex((c) => c.property === column.property);
          const source = log.columns[index];
          return { index, factor: source === undefined ? 1 : conversionFactor(source.unit, column.unit) };
        });
        for await (const batch of log.points()) {
          const values = mapping.map(({ index, factor }) => {
            if (index < 0) return new Float64Array(batch.length).fill(Number.NaN);
            const source = batch.values[index]!;
            if (factor === 1) return source;
            const scaled = new Float64Array(batch.length);
            for (let i = 0; i < batch.length; i++) scaled[i] = source[i]! * factor;
            return scaled;
          });
          yield { length: batch.length, lon: batch.lon, lat: batch.lat, time: batch.time, values };
        }
      }
    },
  };
}
