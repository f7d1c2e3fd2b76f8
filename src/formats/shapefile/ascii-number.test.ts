import { describe, expect, it } from 'vitest';
import { parseAsciiNumber } from './ascii-number.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => parseAsciiNumber(bytes(text), 0, text.length);

describe('parseAsciiNumber', () => {
  it('reads dBASE spellings: padded, signed, integer, trailing zeros, leading dot', () => {
    expect(parse('     -93.27710100')).toBe(-93.277101);
    expect(parse('   30')).toBe(30);
    expect(parse('+4.5')).toBe(4.5);
    expect(parse('      15.000000000000000')).toBe(15);
    expect(parse('.25')).toBe(0.25);
    expect(parse('0.000123')).toBe(0.000123);
    expect(parse('12   ')).toBe(12);
    expect(parse('1.5e3')).toBe(1500);
    expect(parse('3,25')).toBe(3.25);
  });

  it('gives NaN for blanks, dBASE overflow stars and text', () => {
    for (const text of ['        ', '********', 'abc', '-', '.', '12 34', '']) expect(parse(text)).toBeNaN();
  });

  it('agrees exactly with Number() up to 15 significant digits, and within one ulp up to 30', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(next() * 15);
      const text = (next() * 10 ** Math.floor(next() * 8) * (next() < 0.3 ? -1 : 1)).toFixed(Math.floor(next() * 8)).slice(0, digits + 3);
      expect(parse(text), text).toBe(Number(text));
      const gdal = (next() * 1000).toFixed(15);
      const value = parse(gdal);
      expect(Math.abs(value - Number(gdal)), gdal).toBeLessThanOrEqual(Number.EPSILON * Math.abs(Number(gdal)));
    }
  });
});
