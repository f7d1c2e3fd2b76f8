import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteCommittedReads, type CommittedReads } from './sqlite-committed-reads.js';

const BY_ID = 'select id, name from things where id = ?';

describe('sqliteCommittedReads', () => {
  let dir: string;
  let file: string;
  let writer: SqliteDatabase.Database;
  let reads: CommittedReads;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-committed-reads-'));
    file = path.join(dir, 'db.sqlite');
    writer = new SqliteDatabase(file);
    writer.pragma('journal_mode = WAL');
    writer.exec('create table things (id integer primary key, name text)');
    writer.prepare('insert into things (id, name) values (?, ?)').run(1, 'one');
    reads = sqliteCommittedReads(file);
  });
  afterEach(() => {
    reads.close();
    writer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a repeated read from memory while nothing commits, with rows callers cannot change', () => {
    const first = reads.read(BY_ID, [1]);
    expect(first).toEqual([{ id: 1, name: 'one' }]);
    expect(reads.read(BY_ID, [1])).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
    expect(() => {
      'use strict';
      (first[0] as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(reads.read(BY_ID, [2])).toEqual([]);
  });

  it('keeps results apart by parameters, telling null from the string "null"', () => {
    writer.prepare('insert into things (id, name) values (?, ?)').run(2, 'null');
    const byName = 'select id from things where name is ?';
    expect(reads.read(byName, ['null'])).toEqual([{ id: 2 }]);
    expect(reads.read(byName, [null])).toEqual([]);
  });

  it('sees a commit by another connection at once, as if another process wrote it', () => {
    expect(reads.read(BY_ID, [1])).toEqual([{ id: 1, name: 'one' }]);
    writer.prepare('update things set name = ? where id = ?').run('uno', 1);
    expect(reads.read(BY_ID, [1])).toEqual([{ id: 1, name: 'uno' }]);
    const other = new SqliteDatabase(file);
    other.prepare('delete from things where id = ?').run(1);
    other.close();
    expect(reads.read(BY_ID, [1])).toEqual([]);
  });

  it('does not see, nor keep, what a transaction has not committed yet', () => {
    writer.exec('begin immediate');
    writer.prepare('update things set name = ? where id = ?').run('pending', 1);
    expect(reads.read(BY_ID, [1])).toEqual([{ id: 1, name: 'one' }]);
    writer.exec('commit');
    expect(reads.read(BY_ID, [1])).toEqual([{ id: 1, name: 'pending' }]);
  });

  it('stays correct past its size bound', () => {
    const insert = writer.prepare('insert into things (id, name) values (?, ?)');
    writer.transaction(() => {
      for (let id = 10; id < 5010; id += 1) insert.run(id, `thing ${id}`);
    })();
    for (let id = 10; id < 5010; id += 1) expect(reads.read(BY_ID, [id])).toEqual([{ id, name: `thing ${id}` }]);
    writer.prepare('update things set name = ? where id = ?').run('last', 5009);
    expect(reads.read(BY_ID, [5009])).toEqual([{ id: 5009, name: 'last' }]);
  });
});
