/**
 * standardGeojson as GeoParquet 1.1 (https://geoparquet.org/releases/v1.1.0/), streamed: one row per
 * point, a WKB `geometry` column (little-endian 2D Point), one typed column per property (DOUBLE;
 * INT32 `seedRate`; `timestamp` as INT64 TIMESTAMP_MILLIS, UTC, which DuckDB reads as TIMESTAMP and
 * GDAL as DateTime; text as UTF-8 strings), and the `geo` file metadata with the bbox. The CRS is
 * left out, which GeoParquet defines as OGC:CRS84 (longitude, latitude on WGS 84).
 *
 * Memory is bounded by one row group (`ROW_GROUP_ROWS` rows), handed to the sink as soon as it is
 * encoded. The column chunks are encoded here, straight from the Float64Arrays into one byte buffer
 * per row group: one uncompressed data page (v1) per chunk, PLAIN values with RLE definition levels,
 * and a one-entry dictionary where every value of the chunk is the same (the crop, the operation
 * type, a constant width). A general writer (hyparquet-writer's `ParquetWriter`) spends most of a
 * conversion boxing values, building dictionaries and compressing; machine logs need none of that to
 * come out at a third of the GeoJSON's size. hyparquet-writer still writes the Thrift page headers
 * and the footer.
 */
// Deep imports: the package's index loads its whole writer (dictionaries, bloom filters, variants) for nothing.
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { StandardBatch, StandardField, StandardText } from '../standard/standardize.js';

// The Thrift structures as hyparquet-writer's own copy of hyparquet types them.
type FileMetaData = Parameters<typeof writeMetadata>[1];
type PageHeader = Parameters<typeof writePageHeader>[1];
type SchemaElement = FileMetaData['schema'][number];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type ColumnMetaData = NonNullable<ColumnChunk['meta_data']>;
type Statistics = NonNullable<ColumnMetaData['statistics']>;
type ParquetType = ColumnMetaData['type'];
type Encoding = ColumnMetaData['encodings'][number];

/** Where output bytes go; a returned promise is awaited before more are produced. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

/** Rows per row group: big enough for few footer entries, small enough to bound memory (~10 MB). */
export const ROW_GROUP_ROWS = 65_536;

/** Largest chunk handed to the sink. */
const SINK_CHUNK_BYTES = 2 ** 20;
const MAGIC = Uint8Array.from([0x50, 0x41, 0x52, 0x31]); // PAR1
const WKB_POINT_BYTES = 21;
/** Generous bound on a page header's Thrift bytes. */
const PAGE_HEADER_BYTES = 64;
const encoder = new TextEncoder();
/** PLAIN doubles are little-endian: typed-array bytes can be copied as they are on such hosts. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** A text column whose value is the same for every row of the log. */
interface ConstantText {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/*
 * The per-row loops below are functions of their own, called per column chunk, so V8 optimises
 * each whole early rather than running it unoptimised (boxing every double) at each call until the
 * loop is replaced on the stack.
 */

/** How many of the first `n` values are present (not NaN); their min and max into `range`. */
function presentRange(source: Float64Array, n: number, range: Float64Array): number {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < n; r++) {
    const v = source[r]!;
    if (v !== v) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  range[0] = min;
  range[1] = max;
  return count;
}

/** The present values of the first `n`, packed into `dense`. */
function packPresent(source: Float64Array, n: number, dense: Float64Array): Float64Array {
  for (let r = 0, j = 0; r < n; r++) {
    const v = source[r]!;
    if (v === v) dense[j++] = v;
  }
  return dense;
}

/** The present times as little-endian INT64 milliseconds from `pos`; their min and max into `range`. Returns the end. */
function writeTimestamps(view: DataView, pos: number, time: Float64Array, n: number, range: Float64Array): number {
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < n; r++) {
    const t = time[r]!;
    if (t !== t) continue;
    const ms = Math.floor(t);
    if (ms < min) min = ms;
    if (ms > max) max = ms;
    const high = Math.floor(ms / 2 ** 32);
    view.setUint32(pos, ms - high * 2 ** 32, true);
    view.setInt32(pos + 4, high, true);
    pos += 8;
  }
  range[0] = min;
  range[1] = max;
  return pos;
}

/** Streams one log's points to a GeoParquet file. `write` per batch, then `finish`. */
export class GeoparquetWriter {
  private readonly schema: SchemaElement[];
  private readonly constants: ConstantText[] = [];
  private readonly hasRecording: boolean;
  private readonly productName?: string;
  private readonly appliedRateIndex: number;
  private readonly rowGroups: RowGroup[] = [];
  private readonly header = new ByteWriter(256);
  private offset = 0;
  private totalRows = 0;
  private rows = 0;
  private readonly lon = new Float64Array(ROW_GROUP_ROWS);
  private readonly lat = new Float64Array(ROW_GROUP_ROWS);
  private readonly time = new Float64Array(ROW_GROUP_ROWS);
  private readonly recording = new Float64Array(ROW_GROUP_ROWS);
  private readonly values: Float64Array[];
  private readonly kept = new Int32Array(ROW_GROUP_ROWS);
  private readonly scratch = new Float64Array(ROW_GROUP_ROWS);
  /** min, max out of `presentRange` and `writeTimestamps`. */
  private readonly range = new Float64Array(2);
  private readonly bbox: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  // Per row group: the buffer being filled and where.
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  constructor(private readonly sink: ByteSink, private readonly fields: readonly StandardField[], text: StandardText) {
    const constant = (name: string, value: string) => this.constants.push({ name, bytes: encoder.encode(value) });
    constant('operationType', text.operationType);
    if (text.originalOperationType !== undefined) constant('originalOperationType', text.originalOperationType);
    if (text.crop !== undefined) constant('crop', text.crop);
    if (text.variety !== undefined) constant('variety', text.variety);
    if (text.products !== undefined) {
      if (text.productRateFromAppliedRate) this.productName = text.products[0]!.name;
      else constant('products', JSON.stringify(text.products));
    }
    this.appliedRateIndex = this.productName === undefined ? -1 : fields.findIndex((f) => f.name === 'appliedRate');
    this.hasRecording = text.hasRecordingStatus;
    this.values = fields.map(() => new Float64Array(ROW_GROUP_ROWS));

    const optional = (name: string, element: Omit<SchemaElement, 'name'>): SchemaElement => ({ name, repetition_type: 'OPTIONAL', ...element });
    // Column order: the order `writeRowGroup` encodes them in.
    const columns: SchemaElement[] = [
      { name: 'geometry', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
      optional('timestamp', { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }),
      ...this.constants.map((c) => optional(c.name, { type: 'BYTE_ARRAY', converted_type: 'UTF8' })),
      ...(this.productName !== undefined ? [optional('products', { type: 'BYTE_ARRAY', converted_type: 'UTF8' })] : []),
      ...(this.hasRecording ? [optional('recordingStatus', { type: 'BYTE_ARRAY', converted_type: 'UTF8' })] : []),
      ...fields.map((f) => optional(f.name, f.integer ? { type: 'INT32' } : { type: 'DOUBLE' })),
    ];
    this.schema = [{ name: 'root', num_children: columns.length }, ...columns];
  }

  /** Buffers the kept points of `batch`, writing a row group whenever one fills. */
  async write(batch: StandardBatch, keep: Uint8Array): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      i = this.gather(batch, keep, i);
      if (this.rows === ROW_GROUP_ROWS) await this.writeRowGroup();
    }
  }

  /** Writes the last row group, the `geo` metadata and the footer. */
  async finish(): Promise<void> {
    if (this.rows > 0) await this.writeRowGroup();
    const empty = !Number.isFinite(this.bbox[0]);
    const geo = {
      version: '1.1.0',
      primary_column: 'geometry',
      columns: {
        geometry: { encoding: 'WKB', geometry_types: ['Point'], ...(empty ? {} : { bbox: this.bbox }) },
      },
    };
    const metadata: FileMetaData = {
      version: 2,
      created_by: 'Furrow',
      schema: this.schema,
      num_rows: BigInt(this.totalRows),
      row_groups: this.rowGroups,
      metadata_length: 0,
      key_value_metadata: [{ key: 'geo', value: JSON.stringify(geo) }],
    };
    delete (metadata as Partial<FileMetaData>).metadata_length; // not a field of the Thrift struct
    const footer = new ByteWriter(4096);
    if (this.offset === 0) footer.appendBytes(MAGIC);
    writeMetadata(footer, metadata);
    footer.appendBytes(MAGIC);
    await this.sink.write(footer.getBytes().slice());
  }

  /** Copies the kept points from `from` on into the row-group columns; returns the next index to read. */
  private gather(batch: StandardBatch, keep: Uint8Array, from: number): number {
    const kept = this.kept;
    const start = this.rows;
    let k = 0;
    let i = from;
    for (; i < batch.length && start + k < ROW_GROUP_ROWS; i++) if (keep[i] === 1) kept[k++] = i;
    // Usually every point of the span is kept: then a column is one memcpy.
    const contiguous = k > 0 && kept[k - 1]! - kept[0]! === k - 1;
    const first = kept[0]!;
    const copy = (source: Float64Array, target: Float64Array) => {
      if (contiguous) target.set(source.subarray(first, first + k), start);
      else for (let j = 0; j < k; j++) target[start + j] = source[kept[j]!]!;
    };
    copy(batch.lon, this.lon);
    copy(batch.lat, this.lat);
    copy(batch.time, this.time);
    copy(batch.recording, this.recording);
    for (let f = 0; f < this.values.length; f++) copy(batch.values[f]!, this.values[f]!);
    const bbox = this.bbox;
    for (let j = start; j < start + k; j++) {
      const x = this.lon[j]!;
      const y = this.lat[j]!;
      if (x < bbox[0]) bbox[0] = x;
      if (y < bbox[1]) bbox[1] = y;
      if (x > bbox[2]) bbox[2] = x;
      if (y > bbox[3]) bbox[3] = y;
    }
    this.rows += k;
    return i;
  }

  private async writeRowGroup(): Promise<void> {
    const n = this.rows;
    const productBytes = this.productName === undefined ? [] : this.productValues(n);
    // Upper bound of the row group's bytes: values, worst-case RLE levels (2 bytes a row), headers.
    const columnCount = this.schema.length - 1;
    let bound = MAGIC.length + columnCount * (2 * PAGE_HEADER_BYTES + 16) + n * (4 + WKB_POINT_BYTES) + n * (8 + 2);
    for (const c of this.constants) bound += c.bytes.length + 4 + 16;
    for (const p of productBytes) bound += p === null ? 2 : p.length + 6;
    if (this.hasRecording) bound += 4 * n + 16;
    bound += this.fields.length * n * (8 + 2);
    if (this.buf.length < bound) {
      this.buf = new Uint8Array(bound);
      this.view = new DataView(this.buf.buffer);
    }
    this.pos = 0;
    if (this.offset === 0) this.bytes(MAGIC);

    const columns: ColumnChunk[] = [];
    const groupStart = this.pos;
    columns.push(this.geometryChunk(n));
    columns.push(this.timestampChunk(n));
    for (const c of this.constants) columns.push(this.dictionaryChunk(c.name, n, [c.bytes], null));
    if (this.productName !== undefined) columns.push(this.byteArrayChunk('products', productBytes));
    if (this.hasRecording) columns.push(this.dictionaryChunk('recordingStatus', n, [encoder.encode('On'), encoder.encode('Off')], this.recording));
    this.fields.forEach((field, f) => columns.push(this.numberChunk(field.name, field.integer, this.values[f]!, n)));

    const size = BigInt(this.pos - groupStart);
    this.rowGroups.push({ columns, num_rows: BigInt(n), total_byte_size: size, total_compressed_size: size, file_offset: BigInt(this.offset + groupStart) });
    this.totalRows += n;
    this.rows = 0;
    const end = this.pos;
    this.offset += end;
    // Copies, as the sink may keep a chunk, and of a bounded size: the row-group buffer is reused,
    // and freeing many buffers of megabytes (on another thread, when the sink is one) made glibc
    // raise its mmap threshold and keep the freed memory, which grew peak RSS with the file.
    for (let from = 0; from < end; from += SINK_CHUNK_BYTES) await this.sink.write(this.buf.slice(from, Math.min(end, from + SINK_CHUNK_BYTES)));
  }

  private geometryChunk(n: number): ColumnChunk {
    const start = this.pageStart();
    const view = this.view;
    let pos = this.pos;
    for (let r = 0; r < n; r++) {
      view.setUint32(pos, WKB_POINT_BYTES, true);
      view.setUint8(pos + 4, 1); // little-endian
      view.setUint32(pos + 5, 1, true); // Point
      view.setFloat64(pos + 9, this.lon[r]!, true);
      view.setFloat64(pos + 17, this.lat[r]!, true);
      pos += 4 + WKB_POINT_BYTES;
    }
    this.pos = pos;
    return this.finishChunk('geometry', 'BYTE_ARRAY', n, start, this.dataPage(start, n, 'PLAIN'), ['PLAIN', 'RLE']);
  }

  private timestampChunk(n: number): ColumnChunk {
    const start = this.pageStart();
    const present = this.definitionLevels(this.time, n);
    const range = this.range;
    this.pos = writeTimestamps(this.view, this.pos, this.time, n, range);
    const min = range[0]!;
    const max = range[1]!;
    const statistics: Statistics = { null_count: BigInt(n - present), ...(present > 0 ? { min_value: min, max_value: max } : {}) };
    return this.finishChunk('timestamp', 'INT64', n, start, this.dataPage(start, n, 'PLAIN'), ['PLAIN', 'RLE'], statistics);
  }

  /** A numeric column: a one-value dictionary when every present value is the same, else PLAIN. */
  private numberChunk(name: string, integer: boolean, source: Float64Array, n: number): ColumnChunk {
    // Integers beyond INT32 are not representable: they become nulls, as NaN does.
    if (integer) for (let r = 0; r < n; r++) if (!(Math.abs(source[r]!) <= 2_147_483_647)) source[r] = Number.NaN;
    const range = this.range;
    const count = presentRange(source, n, range);
    const min = range[0]!;
    const max = range[1]!;
    // PLAIN values are the present ones: the column itself when none is missing, else packed.
    const dense = count < n ? packPresent(source, n, this.scratch) : source;
    const type: ParquetType = integer ? 'INT32' : 'DOUBLE';
    const statistics: Statistics = { null_count: BigInt(n - count), ...(count > 0 ? { min_value: min, max_value: max } : {}) };
    if (count > 0 && min === max) {
      const value = new Uint8Array(integer ? 4 : 8);
      if (integer) new DataView(value.buffer).setInt32(0, min, true);
      else new DataView(value.buffer).setFloat64(0, min, true);
      return this.dictionaryChunk(name, n, [value], source, type, statistics);
    }
    const start = this.pageStart();
    if (count === n) this.constantLevels(n);
    else this.definitionLevels(source, n);
    if (integer) {
      for (let j = 0; j < count; j++) this.view.setInt32(this.pos + 4 * j, dense[j]!, true);
      this.pos += 4 * count;
    } else if (LITTLE_ENDIAN) {
      this.buf.set(new Uint8Array(dense.buffer, dense.byteOffset, 8 * count), this.pos);
      this.pos += 8 * count;
    } else {
      for (let j = 0; j < count; j++) this.view.setFloat64(this.pos + 8 * j, dense[j]!, true);
      this.pos += 8 * count;
    }
    return this.finishChunk(name, type, n, start, this.dataPage(start, n, 'PLAIN'), ['PLAIN', 'RLE'], statistics);
  }

  /**
   * A dictionary-encoded column of `dictionary` (PLAIN values: byte arrays, or fixed-size numbers
   * for numeric columns); `source` null means every row has entry 0, else NaN is null and 1 is
   * entry 0, 0 entry 1 for recordingStatus ("On", "Off"), and any value entry 0 for a constant column.
   */
  private dictionaryChunk(name: string, n: number, dictionary: Uint8Array[], source: Float64Array | null, type: ParquetType = 'BYTE_ARRAY', statistics?: Statistics): ColumnChunk {
    const dictionaryStart = this.pageStart();
    for (const entry of dictionary) {
      if (type === 'BYTE_ARRAY') this.uint32(entry.length);
      this.bytes(entry);
    }
    const dictionaryPage = this.page(dictionaryStart, { type: 'DICTIONARY_PAGE', dictionary_page_header: { num_values: dictionary.length, encoding: 'PLAIN' } });
    const start = this.pageStart();
    let present = n;
    if (source === null || statistics?.null_count === 0n) this.constantLevels(n);
    else present = this.definitionLevels(source, n);
    this.buf[this.pos++] = 1; // index bit width
    if (dictionary.length === 1 || source === null) this.rleRun(0, present);
    else this.rleIndexes(source, n);
    const dataPage = this.dataPage(start, n, 'RLE_DICTIONARY');
    const chunk = this.finishChunk(name, type, n, dictionaryStart, dictionaryPage + dataPage, ['PLAIN', 'RLE', 'RLE_DICTIONARY'], statistics);
    chunk.meta_data!.dictionary_page_offset = BigInt(this.offset + dictionaryStart);
    chunk.meta_data!.data_page_offset = BigInt(this.offset + start);
    return chunk;
  }

  /** A PLAIN byte-array column; null entries are nulls. */
  private byteArrayChunk(name: string, values: readonly (Uint8Array | null)[]): ColumnChunk {
    const start = this.pageStart();
    this.levelsOf(values.length, (r) => values[r] !== null);
    for (const value of values) {
      if (value === null) continue;
      this.uint32(value.length);
      this.bytes(value);
    }
    return this.finishChunk(name, 'BYTE_ARRAY', values.length, start, this.dataPage(start, values.length, 'PLAIN'), ['PLAIN', 'RLE']);
  }

  /** Per row: the single product with this point's rate, as Leaf writes `products`. */
  private productValues(n: number): (Uint8Array | null)[] {
    const rate = this.values[this.appliedRateIndex]!;
    const out: (Uint8Array | null)[] = new Array(n);
    for (let r = 0; r < n; r++) out[r] = rate[r] === rate[r] ? encoder.encode(JSON.stringify([{ name: this.productName, rate: { value: rate[r] } }])) : null;
    return out;
  }

  /** Leaves room for a page header before the page body, which is moved up to it in `page`. */
  private pageStart(): number {
    this.pos += PAGE_HEADER_BYTES;
    return this.pos - PAGE_HEADER_BYTES;
  }

  /** Writes the header of the page whose body runs from `start + PAGE_HEADER_BYTES` to `pos`, closing the gap; returns the page's bytes. */
  private page(start: number, header: Omit<PageHeader, 'uncompressed_page_size' | 'compressed_page_size'>): number {
    const bodyStart = start + PAGE_HEADER_BYTES;
    const body = this.pos - bodyStart;
    const writer = this.header;
    writer.index = 0;
    writer.offset = 0;
    writePageHeader(writer, { ...header, uncompressed_page_size: body, compressed_page_size: body });
    const headerBytes = writer.getBytes();
    if (headerBytes.length > PAGE_HEADER_BYTES) throw new Error(`parquet page header of ${headerBytes.length} bytes`);
    this.buf.set(headerBytes, start);
    this.buf.copyWithin(start + headerBytes.length, bodyStart, this.pos);
    this.pos = start + headerBytes.length + body;
    return headerBytes.length + body;
  }

  private dataPage(start: number, n: number, encoding: Encoding): number {
    return this.page(start, { type: 'DATA_PAGE', data_page_header: { num_values: n, encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' } });
  }

  private finishChunk(name: string, type: ParquetType, n: number, start: number, bytes: number, encodings: Encoding[], statistics?: Statistics): ColumnChunk {
    return {
      file_offset: BigInt(this.offset + start),
      meta_data: {
        type,
        encodings,
        path_in_schema: [name],
        codec: 'UNCOMPRESSED',
        num_values: BigInt(n),
        total_uncompressed_size: BigInt(bytes),
        total_compressed_size: BigInt(bytes),
        data_page_offset: BigInt(this.offset + start),
        ...(statistics !== undefined ? { statistics } : {}),
      },
    };
  }

  /** Definition levels (1 present, 0 null where NaN) with their 4-byte length; returns how many are present. */
  private definitionLevels(source: Float64Array, n: number): number {
    const lengthAt = this.pos;
    this.pos += 4;
    let count = 0;
    let r = 0;
    while (r < n) {
      const present = source[r] === source[r];
      let end = r + 1;
      if (present) while (end < n && source[end] === source[end]) end++;
      else while (end < n && source[end] !== source[end]) end++;
      this.rleRun(present ? 1 : 0, end - r);
      if (present) count += end - r;
      r = end;
    }
    this.view.setUint32(lengthAt, this.pos - lengthAt - 4, true);
    return count;
  }

  /** Definition levels of an arbitrary column, for the rare per-point `products`. */
  private levelsOf(n: number, present: (r: number) => boolean): number {
    const lengthAt = this.pos;
    this.pos += 4;
    let count = 0;
    let r = 0;
    while (r < n) {
      const value = present(r);
      let end = r + 1;
      while (end < n && present(end) === value) end++;
      this.rleRun(value ? 1 : 0, end - r);
      if (value) count += end - r;
      r = end;
    }
    this.view.setUint32(lengthAt, this.pos - lengthAt - 4, true);
    return count;
  }

  private constantLevels(n: number): void {
    const lengthAt = this.pos;
    this.pos += 4;
    this.rleRun(1, n);
    this.view.setUint32(lengthAt, this.pos - lengthAt - 4, true);
  }

  /** recordingStatus dictionary indexes of the present rows: 0 "On" (1), 1 "Off" (0). */
  private rleIndexes(source: Float64Array, n: number): void {
    let r = 0;
    while (r < n) {
      const v = source[r]!;
      if (v !== v) {
        r++;
        continue;
      }
      const index = v === 1 ? 0 : 1;
      let run = 1;
      let end = r + 1;
      for (; end < n; end++) {
        const w = source[end]!;
        if (w !== w) continue; // nulls have no index: the run goes on past them
        if ((w === 1 ? 0 : 1) !== index) break;
        run++;
      }
      this.rleRun(index, run);
      r = end;
    }
  }

  /** One RLE run of the RLE/bit-packing hybrid, for bit width 1. */
  private rleRun(value: number, count: number): void {
    if (count === 0) return;
    let header = count * 2; // low bit 0: an RLE run
    while (header >= 0x80) {
      this.buf[this.pos++] = (header & 0x7f) | 0x80;
      header = Math.floor(header / 0x80);
    }
    this.buf[this.pos++] = header;
    this.buf[this.pos++] = value;
  }

  private uint32(value: number): void {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  private bytes(value: Uint8Array): void {
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }
}
