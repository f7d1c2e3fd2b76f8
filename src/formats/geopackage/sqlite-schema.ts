/**
 * What tables a database has and what their columns are, from `sqlite_master` (the table rooted at
 * page 1) and the `CREATE TABLE` text SQLite keeps there. The column list is what maps a record's
 * values to names: a record holds one value per stored column in declaration order, and an
 * `INTEGER PRIMARY KEY` column is stored as NULL because its value is the rowid.
 */
import { MachineFileError } from '../machine-data.js';
import { scanTable } from './sqlite-btree.js';
import type { PageReader } from './sqlite-file.js';
import { RecordReader, type SqlValue } from './sqlite-record.js';

export interface TableColumn {
  readonly name: string;
  /** The declared type, upper-case ("INTEGER", "POINT", "TEXT"), "" when none. */
  readonly type: string;
  /** An alias of the rowid: read the rowid, not the record. */
  readonly rowid: boolean;
  /** Position of the value in the record; -1 for generated VIRTUAL columns, which are not stored. */
  readonly recordIndex: number;
}

export interface TableSchema {
  readonly name: string;
  readonly rootPage: number;
  readonly columns: readonly TableColumn[];
}

/** Tables beyond this are not a GeoPackage a machine exported. */
const MAX_SCHEMA_ROWS = 10_000;

export async function readSchema(pages: PageReader): Promise<Map<string, TableSchema>> {
  const tables = new Map<string, TableSchema>();
  const record = new RecordReader(pages.header.encoding, pages.name);
  let seen = 0;
  for await (const rows of scanTable(pages, 1, 'sqlite_master')) {
    for (let i = 0; i < rows.count; i++) {
      if (++seen > MAX_SCHEMA_ROWS) throw new MachineFileError('corrupt_file', `${pages.name}: sqlite_master has more than ${MAX_SCHEMA_ROWS} entries; not a machine-data GeoPackage, or corrupt.`);
      record.decode(rows.buffers[i]!, rows.starts[i]!, rows.ends[i]!, 5);
      if (record.text(0) !== 'table') continue;
      const name = record.text(1);
      const rootPage = record.number(3);
      const sql = record.text(4);
      if (name === null || sql === null || !(rootPage > 0)) continue;
      const columns = parseCreateTable(sql);
      if (columns !== null) tables.set(name.toLowerCase(), { name, rootPage, columns });
    }
  }
  return tables;
}

/** Every row of a (small) table as name → value objects. */
export async function readRows(pages: PageReader, table: TableSchema, limit: number): Promise<Record<string, SqlValue>[]> {
  const record = new RecordReader(pages.header.encoding, pages.name);
  const out: Record<string, SqlValue>[] = [];
  const stored = table.columns.reduce((max, c) => Math.max(max, c.recordIndex + 1), 0);
  for await (const rows of scanTable(pages, table.rootPage, table.name)) {
    for (let i = 0; i < rows.count; i++) {
      if (out.length >= limit) throw new MachineFileError('corrupt_file', `${pages.name}: ${table.name} has more than ${limit} rows; a GeoPackage metadata table that large is corrupt.`);
      record.decode(rows.buffers[i]!, rows.starts[i]!, rows.ends[i]!, stored);
      const row: Record<string, SqlValue> = {};
      for (const column of table.columns) {
        row[column.name.toLowerCase()] = column.rowid ? rows.rowids[i]! : column.recordIndex < 0 ? null : record.value(column.recordIndex);
      }
      out.push(row);
    }
  }
  return out;
}

const TABLE_CONSTRAINTS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);
const COLUMN_CONSTRAINTS = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);

type Token = { readonly text: string; readonly quoted: boolean };

/** Splits SQL into identifiers, words, strings and punctuation, dropping comments. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '"' || c === '`' || c === "'" || c === '[') {
      const close = c === '[' ? ']' : c;
      let text = '';
      i++;
      while (i < sql.length) {
        if (sql[i] === close) {
          if (close !== ']' && sql[i + 1] === close) {
            text += close;
            i += 2;
            continue;
          }
          break;
        }
        text += sql[i++];
      }
      i++;
      tokens.push({ text: c === "'" ? `'${text}'` : text, quoted: true });
    } else if (/[A-Za-z0-9_$.+-]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$.+-]/.test(sql[j]!)) j++;
      tokens.push({ text: sql.slice(i, j), quoted: false });
      i = j;
    } else {
      tokens.push({ text: c, quoted: false });
      i++;
    }
  }
  return tokens;
}

/** The columns of a `CREATE TABLE name (...)` statement; null for `CREATE TABLE ... AS SELECT` or text it cannot follow. */
export function parseCreateTable(sql: string): TableColumn[] | null {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => !t.quoted && t.text === '(');
  if (open < 0) return null;
  // Column and constraint definitions: top-level comma-separated groups inside the outer parentheses.
  const groups: Token[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.quoted && t.text === '(') depth++;
    if (!t.quoted && t.text === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (!t.quoted && t.text === ',' && depth === 0) groups.push([]);
    else groups[groups.length - 1]!.push(t);
  }
  const defs: { name: string; type: string; words: string[] }[] = [];
  let tablePrimaryKey: string[] | null = null;
  for (const group of groups) {
    if (group.length === 0) continue;
    const head = group[0]!;
    if (!head.quoted && TABLE_CONSTRAINTS.has(head.text.toUpperCase())) {
      const words = group.map((t) => (t.quoted ? t.text : t.text.toUpperCase()));
      const pk = words.indexOf('PRIMARY');
      if (pk >= 0 && words[pk + 1] === 'KEY' && words[pk + 2] === '(') {
        const close = words.indexOf(')', pk + 3);
        tablePrimaryKey = group.slice(pk + 3, close < 0 ? undefined : close).filter((t) => t.quoted || /^\w/.test(t.text)).map((t) => t.text.toLowerCase());
      }
      continue;
    }
    const typeWords: string[] = [];
    let j = 1;
    for (; j < group.length; j++) {
      const t = group[j]!;
      if (t.text === '(') {
        while (j < group.length && group[j]!.text !== ')') j++;
        continue;
      }
      if (t.quoted || COLUMN_CONSTRAINTS.has(t.text.toUpperCase())) break;
      typeWords.push(t.text.toUpperCase());
    }
    defs.push({ name: head.text, type: typeWords.join(' '), words: group.slice(j).map((t) => (t.quoted ? t.text : t.text.toUpperCase())) });
  }
  if (defs.length === 0) return null;
  let recordIndex = 0;
  return defs.map((d) => {
    const pk = d.words.indexOf('PRIMARY');
    const columnPk = pk >= 0 && d.words[pk + 1] === 'KEY' && d.words[pk + 2] !== 'DESC';
    const tablePk = tablePrimaryKey !== null && tablePrimaryKey.length === 1 && tablePrimaryKey[0] === d.name.toLowerCase();
    const virtual = (d.words.includes('GENERATED') || d.words.includes('AS')) && !d.words.includes('STORED');
    return { name: d.name, type: d.type, rowid: d.type === 'INTEGER' && (columnPk || tablePk), recordIndex: virtual ? -1 : recordIndex++ };
  });
}
