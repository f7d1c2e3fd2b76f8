import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { byteSourceFromBytes } from '../testing/file-sets.js';
import { PageReader, parseSqliteHeader } from './sqlite-file.js';
import { parseCreateTable, readRows, readSchema } from './sqlite-schema.js';

describe('SQLite schema and record reading', () => {
  it('maps CREATE TABLE columns to record positions, with INTEGER PRIMARY KEY as the rowid', () => {
    const columns = parseCreateTable(`CREATE TABLE "a b" ( "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, [geom] POINT, \`Rate.1\` DECIMAL(10, 2) DEFAULT (1), note TEXT -- c, d
      , CONSTRAINT pk PRIMARY KEY (x))`);
    expect(columns).toEqual([
      { name: 'fid', type: 'INTEGER', rowid: true, recordIndex: 0 },
      { name: 'geom', type: 'POINT', rowid: false, recordIndex: 1 },
      { name: 'Rate.1', type: 'DECIMAL', rowid: false, recordIndex: 2 },
      { name: 'note', type: 'TEXT', rowid: false, recordIndex: 3 },
    ]);
    expect(parseCreateTable('CREATE TABLE t (id INTEGER, v, PRIMARY KEY (id))')![0]!.rowid).toBe(true);
    expect(parseCreateTable('CREATE TABLE t (id INT PRIMARY KEY, v)')![0]!.rowid).toBe(false);
  });

  it('reads every integer width, reals, text, blobs and NULLs as SQLite stored them', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v, label TEXT)');
    const values = [0, 1, -1, 127, -128, 300, -40_000, 8_000_000, -8_000_000, 2_000_000_000, -3_000_000_000, 2 ** 40, -(2 ** 47), 2 ** 52, -(2 ** 53), 1.5, -0.25, null, 'text é', Buffer.from([1, 2, 3])];
    const insert = db.prepare('INSERT INTO t (id, v, label) VALUES (?, ?, ?)');
    values.forEach((v, i) => insert.run(i + 10, v, `row ${i}`));
    const bytes = new Uint8Array(db.serialize());
    db.close();
    const source = byteSourceFromBytes(bytes);
    const pages = new PageReader(source, parseSqliteHeader(bytes.subarray(0, 100), bytes.length, 't.db'), 't.db');
    const table = (await readSchema(pages)).get('t')!;
    const rows = await readRows(pages, table, 1000);
    expect(rows.map((r) => r.id)).toEqual(values.map((_, i) => i + 10));
    expect(rows.map((r) => (r.v instanceof Uint8Array ? [...r.v] : r.v))).toEqual(values.map((v) => (Buffer.isBuffer(v) ? [1, 2, 3] : v)));
    expect(rows[3]!.label).toBe('row 3');
  });
});
