/**
 * Rows of an SQLite table b-tree (fileformat2.html section 1.6), in rowid order, one leaf page at a
 * time: interior pages are walked depth first, leaf cells are located through the cell pointer
 * array, and payloads that spill into overflow chains are stitched together. A damaged file can
 * point anywhere, so every page is visited at most once per scan (a cyclic tree or overflow chain
 * is `corrupt_file`, not a hang), depth is capped as SQLite caps it, and every offset is checked
 * against the page before it is read.
 */
import { MachineFileError } from '../machine-data.js';
import type { PageReader } from './sqlite-file.js';
import { readVarint, varint } from './sqlite-varint.js';

const INTERIOR_TABLE = 0x05;
const LEAF_TABLE = 0x0d;
const INTERIOR_INDEX = 0x02;
const LEAF_INDEX = 0x0a;
/** SQLite's own limit (BTCURSOR_MAX_DEPTH); a deeper tree is a loop or garbage. */
const MAX_DEPTH = 20;
/** A machine-data row is a point and a few dozen numbers; a bigger one is a broken size field. */
export const MAX_ROW_BYTES = 64 << 20;

/**
 * The rows of one leaf page. Row i's record is `buffers[i][starts[i], ends[i])`. Valid until the
 * scan moves on: the arrays are reused.
 */
export interface LeafRows {
  count: number;
  rowids: Float64Array;
  buffers: Uint8Array[];
  starts: Int32Array;
  ends: Int32Array;
}

interface Frame {
  readonly pageNo: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Offset of the cell pointer array. */
  readonly pointers: number;
  readonly cellCount: number;
  readonly rightmost: number;
  next: number;
}

/** Every row of the table whose b-tree is rooted at `root`, page by page. */
export async function* scanTable(pages: PageReader, root: number, table: string): AsyncGenerator<LeafRows> {
  const { usableSize, pageCount } = pages.header;
  const visited = new Uint8Array(pageCount + 1);
  const rows: LeafRows = { count: 0, rowids: new Float64Array(64), buffers: [], starts: new Int32Array(64), ends: new Int32Array(64) };
  const where = `table ${table}`;

  const load = async (pageNo: number, referrer: string): Promise<Frame | Uint8Array> => {
    if (pageNo >= 1 && pageNo <= pageCount && visited[pageNo] === 1) {
      throw new MachineFileError('corrupt_file', `${pages.name}: ${referrer} points back to page ${pageNo}, already read; the b-tree of ${where} has a loop, so the file is corrupt.`);
    }
    const bytes = await pages.page(pageNo, referrer);
    visited[pageNo] = 1;
    const at = pageNo === 1 ? 100 : 0;
    const type = bytes[at]!;
    if (type === INTERIOR_INDEX || type === LEAF_INDEX) {
      throw new MachineFileError('corrupt_file', `${pages.name}: page ${pageNo} of ${where} is an index page; a rowid table was expected (WITHOUT ROWID tables are not GeoPackage feature tables), or the file is corrupt.`);
    }
    if (type !== INTERIOR_TABLE && type !== LEAF_TABLE) {
      throw new MachineFileError('corrupt_file', `${pages.name}: page ${pageNo} of ${where} has page type ${type}, not a b-tree page; the file is corrupt.`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const cellCount = view.getUint16(at + 3, false);
    const headerSize = type === INTERIOR_TABLE ? 12 : 8;
    if (at + headerSize + 2 * cellCount > usableSize) {
      throw new MachineFileError('corrupt_file', `${pages.name}: page ${pageNo} of ${where} claims ${cellCount} cells, more than the page holds; the file is corrupt.`);
    }
    if (type === LEAF_TABLE) {
      await readLeaf(pages, bytes, view, pageNo, at + 8, cellCount, rows, visited, where);
      return bytes;
    }
    return { pageNo, bytes, view, pointers: at + 12, cellCount, rightmost: view.getUint32(at + 8, false), next: 0 };
  };

  const first = await load(root, `the schema entry of ${where}`);
  if (first instanceof Uint8Array) {
    if (rows.count > 0) yield rows;
    return;
  }
  const stack: Frame[] = [first];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next > frame.cellCount) {
      stack.pop();
      continue;
    }
    let child: number;
    if (frame.next === frame.cellCount) {
      child = frame.rightmost;
    } else {
      const cell = frame.view.getUint16(frame.pointers + 2 * frame.next, false);
      if (cell < frame.pointers + 2 * frame.cellCount || cell + 4 > usableSize) {
        throw new MachineFileError('corrupt_file', `${pages.name}: cell ${frame.next} of interior page ${frame.pageNo} (${where}) lies outside the page; the file is corrupt.`);
      }
      child = frame.view.getUint32(cell, false);
    }
    frame.next++;
    const loaded = await load(child, `interior page ${frame.pageNo} of ${where}`);
    if (loaded instanceof Uint8Array) {
      if (rows.count > 0) yield rows;
      continue;
    }
    if (stack.length >= MAX_DEPTH) throw new MachineFileError('corrupt_file', `${pages.name}: the b-tree of ${where} is deeper than ${MAX_DEPTH} levels; the file is corrupt.`);
    stack.push(loaded);
  }
}

async function readLeaf(
  pages: PageReader,
  bytes: Uint8Array,
  view: DataView,
  pageNo: number,
  pointers: number,
  cellCount: number,
  rows: LeafRows,
  visited: Uint8Array,
  where: string,
): Promise<void> {
  const usable = pages.header.usableSize;
  if (rows.rowids.length < cellCount) {
    rows.rowids = new Float64Array(cellCount);
    rows.starts = new Int32Array(cellCount);
    rows.ends = new Int32Array(cellCount);
  }
  rows.count = 0;
  const maxLocal = usable - 35;
  const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
  for (let i = 0; i < cellCount; i++) {
    const cell = view.getUint16(pointers + 2 * i, false);
    const bad = (what: string) => new MachineFileError('corrupt_file', `${pages.name}: cell ${i} of leaf page ${pageNo} (${where}) ${what}; the file is corrupt.`);
    if (cell < pointers + 2 * cellCount || cell >= usable) throw bad('lies outside the page');
    const payloadSize = readVarint(bytes, cell, usable);
    if (payloadSize < 0) throw bad('is cut off');
    let at = cell + varint.length;
    const rowid = readVarint(bytes, at, usable);
    if (rowid < 0) throw bad('is cut off');
    at += varint.length;
    if (payloadSize > MAX_ROW_BYTES || payloadSize > pages.header.pageCount * usable) throw bad(`declares a row of ${payloadSize} bytes`);
    let local = payloadSize;
    if (payloadSize > maxLocal) {
      const k = minLocal + ((payloadSize - minLocal) % (usable - 4));
      local = k <= maxLocal ? k : minLocal;
    }
    if (at + local > usable) throw bad('runs past the end of the page');
    const n = rows.count++;
    rows.rowids[n] = rowid;
    if (local === payloadSize) {
      rows.buffers[n] = bytes;
      rows.starts[n] = at;
      rows.ends[n] = at + local;
      continue;
    }
    if (at + local + 4 > usable) throw bad('runs past the end of the page');
    const payload = new Uint8Array(payloadSize);
    payload.set(bytes.subarray(at, at + local));
    await readOverflow(pages, view.getUint32(at + local, false), payload, local, visited, `row ${rowid} of ${where}`);
    rows.buffers[n] = payload;
    rows.starts[n] = 0;
    rows.ends[n] = payloadSize;
  }
}

/** Fills `payload` from `filled` on by following the overflow chain that starts at `pageNo`. */
async function readOverflow(pages: PageReader, pageNo: number, payload: Uint8Array, filled: number, visited: Uint8Array, what: string): Promise<void> {
  const content = pages.header.usableSize - 4;
  let next = pageNo;
  while (filled < payload.length) {
    if (next === 0) throw new MachineFileError('corrupt_file', `${pages.name}: the overflow chain of ${what} ends after ${filled} of its ${payload.length} bytes; the file is corrupt.`);
    if (next <= pages.header.pageCount && visited[next] === 1) {
      throw new MachineFileError('corrupt_file', `${pages.name}: the overflow chain of ${what} points back to page ${next}, already read; the file is corrupt.`);
    }
    const bytes = await pages.page(next, `the overflow chain of ${what}`);
    visited[next] = 1;
    const take = Math.min(content, payload.length - filled);
    payload.set(bytes.subarray(4, 4 + take), filled);
    filled += take;
    next = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  }
}
