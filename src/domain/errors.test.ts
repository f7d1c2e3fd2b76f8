import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../api/problem.js';
import { ERROR_CODES } from './errors.js';

const catalogue = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('the error catalogue', () => {
  it('documents every code in docs/errors.md with its HTTP status', () => {
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `docs/errors.md lacks a row for ${code}`).toBeDefined();
      expect(row, `docs/errors.md gives the wrong status for ${code}`).toContain(`| ${STATUS_BY_CODE[code]} |`);
    }
  });

  it('lists no code in docs/errors.md that the catalogue lacks', () => {
    const documented = [...catalogue.matchAll(/^\| `([a-zA-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.filter((code) => !(code! in ERROR_CODES))).toEqual([]);
  });
});
