import { describe, expect, it } from 'vitest';
import { writeNumber, writeTimestamp } from './geojson-writer.js';

const format = (value: number, decimals = 6) => {
  const buf = new Uint8Array(64);
  return Buffer.from(buf.subarray(0, writeNumber(buf, 0, value, 10 ** decimals, decimals))).toString('latin1');
};

describe('number formatting', () => {
  it('writes JSON numbers that parse back to the value rounded to the given decimals', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let k = 0; k < 20_000; k++) {
      const magnitude = 10 ** Math.floor(random() * 14 - 4);
      const value = (random() - 0.5) * magnitude;
      const text = format(value);
      // Half a unit in the last place, plus the rounding of value × 10^6 in a double for large values.
      expect(Math.abs(Number(text) - value)).toBeLessThanOrEqual(5e-7 + Math.abs(value) * 1e-15);
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it('drops trailing zeros and never writes a negative zero', () => {
    expect(format(12.5)).toBe('12.5');
    expect(format(12)).toBe('12');
    expect(format(0.000001)).toBe('0.000001');
    expect(format(-0.0000001)).toBe('0');
    expect(format(-3.25)).toBe('-3.25');
    expect(format(-93.123456789, 8)).toBe('-93.12345679');
  });

  it('falls back to the exact text for values too large for fixed decimals', () => {
    expect(format(1.5e12)).toBe('1500000000000');
    expect(Number(format(123456789012.5))).toBe(123456789012.5);
  });
});

describe('timestamp formatting', () => {
  it('writes what toISOString writes', () => {
    for (const ms of [0, Date.UTC(2023, 9, 5, 14, 3, 7, 9), Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 0, 0, 0, 500)]) {
      const buf = new Uint8Array(32);
      expect(Buffer.from(buf.subarray(0, writeTimestamp(buf, 0, ms))).toString('latin1')).toBe(new Date(ms).toISOString());
    }
  });
});
