/**
 * The growers, farms, boundaries and machine files of one sandbox account, behind the emulator
 * port's `EmulatedOperationData`. The scenario's own records are a pure function of the seed and
 * their index, made when asked for, so a `large` account of 10,000 files holds their count, not
 * their metadata or bytes. Changes through the control API (a file added, a boundary redrawn) are
 * the only state kept, each under a new revision, which is what emulators build change cursors on.
 */
import type {
  EmulatedBoundary,
  EmulatedChange,
  EmulatedFarm,
  EmulatedField,
  EmulatedGrower,
  EmulatedMachineFile,
  EmulatedOperationData,
  EmulatedOperationKind,
} from '../providers/provider-emulator.js';
import { machineFileBytes, machineFileSize, type MachineFileSpec } from './machine-file-bytes.js';
import { createSeededRandom } from './seeded-random.js';

const OPERATIONS: readonly EmulatedOperationKind[] = ['harvest', 'seeding', 'application', 'tillage'];
/** Typical logged values per operation: kg/ha yield, seeds/ha, kg/ha product, working width in m. */
const RATES: Record<EmulatedOperationKind, number> = { harvest: 11_000, seeding: 84_000, application: 180, tillage: 9 };
/** [I] Where sandbox fields lie: central Iowa, 40 fields a row, about 1 km apart. */
const ORIGIN = { lat: 41.6, lon: -93.9 };
const FIELDS_PER_ROW = 40;
const SCENARIO_SEASON_START = Date.UTC(2024, 3, 1);
/** The scenario's records were last modified here; changes later carry the sandbox clock. */
const SCENARIO_MODIFIED_TIME = '2024-12-01T00:00:00.000Z';
/** Decimal file ids: the scenario's from here, added ones from `ADDED_FILE_NUMBER_BASE`. */
const FILE_NUMBER_BASE = 400_000_000;
const ADDED_FILE_NUMBER_BASE = 900_000_000;

/** What a control API call may say about a file to add; the rest is drawn. */
export interface AddFileRequest {
  fieldId?: string | undefined;
  format?: 'isoxml' | 'shapefile' | undefined;
  operation?: EmulatedOperationKind | undefined;
  /** Logged positions; 26 bytes each in ISOXML, so 200,000 make a 5 MB file. */
  points?: number | undefined;
  name?: string | undefined;
}

/** The most points an added file may have: its bytes are made whole on every download. */
export const MAX_ADDED_FILE_POINTS = 1_000_000;

export class SandboxOperationData implements EmulatedOperationData {
  private currentRevision = 0;
  private readonly fieldIndex = new Map<string, number>();
  private readonly added: { file: EmulatedMachineFile; spec: MachineFileSpec }[] = [];
  private readonly addedById = new Map<string, number>();
  private readonly redrawn = new Map<string, EmulatedBoundary[]>();
  /** Redrawn boundary id -> field id. */
  private readonly redrawnById = new Map<string, string>();
  private readonly listeners = new Set<(change: EmulatedChange) => void>();

  constructor(
    private readonly seed: number,
    readonly growers: readonly EmulatedGrower[],
    readonly farms: readonly EmulatedFarm[],
    private readonly fields: readonly EmulatedField[],
    /** How many files the scenario has, spread over its fields in turn. */
    private readonly scenarioFileCount: number,
  ) {
    fields.forEach((field, index) => this.fieldIndex.set(field.id, index));
  }

  revision(): number {
    return this.currentRevision;
  }

  fieldRevision(fieldId: string): number {
    return this.redrawn.get(fieldId)?.at(-1)?.revision ?? 0;
  }

  boundaries(fieldId: string): readonly EmulatedBoundary[] {
    const index = this.fieldIndex.get(fieldId);
    if (index === undefined) return [];
    const later = this.redrawn.get(fieldId) ?? [];
    const first = this.scenarioBoundary(index, later.length === 0);
    return [first, ...later.map((b, i) => (i === later.length - 1 ? b : { ...b, active: false }))];
  }

  boundary(id: string): EmulatedBoundary | undefined {
    const redrawn = this.redrawnById.get(id);
    if (redrawn !== undefined) return this.boundaries(redrawn).find((b) => b.id === id);
    const index = Number.parseInt(id.slice(-12), 16);
    const field = Number.isInteger(index) ? this.fields[index] : undefined;
    return field === undefined ? undefined : this.boundaries(field.id).find((b) => b.id === id);
  }

  listFiles(query: { organizationId?: string | undefined; fieldId?: string | undefined; operations?: readonly EmulatedOperationKind[] | undefined; afterRevision?: number | undefined; offset: number; limit: number }): { total: number; files: EmulatedMachineFile[] } {
    const files: EmulatedMachineFile[] = [];
    let total = 0;
    const take = (make: () => EmulatedMachineFile) => {
      if (total >= query.offset && files.length < query.limit) files.push(make());
      total += 1;
    };
    // The scenario's files are all revision 0: a cursor taken at any revision has seen them.
    const fieldIndex = query.fieldId === undefined ? undefined : this.fieldIndex.get(query.fieldId);
    if (query.fieldId !== undefined && fieldIndex === undefined) return { total: 0, files: [] };
    if (query.afterRevision === undefined) {
      for (let i = fieldIndex ?? 0; i < this.scenarioFileCount; i += fieldIndex === undefined ? 1 : this.fields.length) {
        if (query.organizationId !== undefined && this.fields[i % this.fields.length]!.organizationId !== query.organizationId) continue;
        if (query.operations !== undefined && !query.operations.includes(this.scenarioOperation(i))) continue;
        take(() => this.scenarioFile(i).file);
      }
    }
    for (const { file } of this.added) {
      if (query.organizationId !== undefined && file.organizationId !== query.organizationId) continue;
      if (query.fieldId !== undefined && file.fieldId !== query.fieldId) continue;
      if (query.afterRevision !== undefined && file.revision <= query.afterRevision) continue;
      if (query.operations !== undefined && !query.operations.includes(file.operation)) continue;
      take(() => file);
    }
    return { total, files };
  }

  file(id: string): EmulatedMachineFile | undefined {
    return this.find(id)?.file;
  }

  fileBytes(file: EmulatedMachineFile, format?: EmulatedMachineFile['format']): Uint8Array {
    const found = this.find(file.id);
    if (found === undefined) throw new Error(`Sandbox file ${file.id} is not one of this account's.`);
    return machineFileBytes(format === undefined ? found.spec : { ...found.spec, format });
  }

  onChange(listener: (change: EmulatedChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds a file under a new revision and tells the listeners. */
  addFile(request: AddFileRequest, now: number): EmulatedMachineFile {
    if (this.fields.length === 0) throw new Error('The account has no fields to add a file to.');
    const fieldIndex = request.fieldId === undefined ? this.added.length % this.fields.length : this.fieldIndex.get(request.fieldId);
    if (fieldIndex === undefined) throw new Error(`No field ${request.fieldId} in this account.`);
    const k = this.added.length;
    const random = createSeededRandom(mix(this.seed ^ 0x5bd1e995, k));
    const revision = ++this.currentRevision;
    const time = new Date(now).toISOString();
    const field = this.fields[fieldIndex]!;
    const operation = request.operation ?? OPERATIONS[k % OPERATIONS.length]!;
    const format = request.format ?? (k % 2 === 0 ? 'isoxml' : 'shapefile');
    const centre = fieldCentre(fieldIndex);
    const spec: MachineFileSpec = { format, operation, points: request.points ?? 120, lat: centre.lat, lon: centre.lon, start: now, rate: RATES[operation], taskName: `${field.name} ${operation}` };
    const file: EmulatedMachineFile = {
      id: indexedUuid(random, 0x800000000000 + k),
      number: String(ADDED_FILE_NUMBER_BASE + k),
      organizationId: field.organizationId,
      fieldId: field.id,
      name: request.name ?? `${field.name} ${operation} ${time.slice(0, 10)}.zip`,
      format,
      operation,
      size: machineFileSize(spec),
      createdTime: time,
      modifiedTime: time,
      revision,
    };
    this.added.push({ file, spec });
    this.addedById.set(file.id, k);
    this.addedById.set(file.number, k);
    this.emit({ kind: 'file_added', organizationId: file.organizationId, fieldId: file.fieldId, id: file.id, revision });
    return file;
  }

  /**
   * Gives a field a new active boundary (the old one stays, inactive): `coordinates` as GeoJSON
   * MultiPolygon coordinates, or the current one grown by about 10 %.
   */
  changeBoundary(fieldId: string, coordinates: number[][][][] | undefined, now: number): EmulatedBoundary {
    const index = this.fieldIndex.get(fieldId);
    if (index === undefined) throw new Error(`No field ${fieldId} in this account.`);
    const previous = this.boundaries(fieldId).at(-1)!;
    const random = createSeededRandom(mix(this.seed ^ 0x27d4eb2f, this.currentRevision + 1));
    const revision = ++this.currentRevision;
    const centre = fieldCentre(index);
    const next = coordinates ?? previous.coordinates.map((polygon) => polygon.map((ring) => ring.map(([lon, lat]) => [centre.lon + (lon! - centre.lon) * 1.1, centre.lat + (lat! - centre.lat) * 1.1])));
    const boundary: EmulatedBoundary = { id: random.uuid(), fieldId, active: true, revision, modifiedTime: new Date(now).toISOString(), coordinates: next, areaHectares: areaHectares(next) };
    this.redrawn.set(fieldId, [...(this.redrawn.get(fieldId) ?? []), boundary]);
    this.redrawnById.set(boundary.id, fieldId);
    this.emit({ kind: 'boundary_changed', organizationId: this.fields[index]!.organizationId, fieldId, id: boundary.id, revision });
    return boundary;
  }

  private emit(change: EmulatedChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure (an event delivery) must not undo the change it reacts to.
      }
    }
  }

  private find(id: string): { file: EmulatedMachineFile; spec: MachineFileSpec } | undefined {
    const k = this.addedById.get(id);
    if (k !== undefined) return this.added[k];
    const index = /^\d+$/.test(id) ? Number(id) - FILE_NUMBER_BASE : Number.parseInt(id.slice(-12), 16);
    if (!Number.isInteger(index) || index < 0 || index >= this.scenarioFileCount) return undefined;
    const made = this.scenarioFile(index);
    return made.file.id === id || made.file.number === id ? made : undefined;
  }

  /** The operation of scenario file `i` without making the rest of it (listings filter on it). */
  private scenarioOperation(i: number): EmulatedOperationKind {
    return OPERATIONS[(i + createSeededRandom(mix(this.seed, i)).int(OPERATIONS.length)) % OPERATIONS.length]!;
  }

  private scenarioFile(i: number): { file: EmulatedMachineFile; spec: MachineFileSpec } {
    const fieldIndex = i % this.fields.length;
    const field = this.fields[fieldIndex]!;
    const random = createSeededRandom(mix(this.seed, i));
    const operation = OPERATIONS[(i + random.int(OPERATIONS.length)) % OPERATIONS.length]!; // the first draw: `scenarioOperation`
    const format = random.next() < 0.5 ? 'isoxml' : 'shapefile';
    const centre = fieldCentre(fieldIndex);
    const start = SCENARIO_SEASON_START + Math.floor(i / this.fields.length) * 86_400_000 * 9 + random.int(36_000) * 1000;
    const spec: MachineFileSpec = { format, operation, points: 60 + random.int(240), lat: centre.lat, lon: centre.lon, start, rate: RATES[operation], taskName: `${field.name} ${operation}` };
    const created = new Date(start + 3_600_000).toISOString();
    const file: EmulatedMachineFile = {
      id: indexedUuid(random, i),
      number: String(FILE_NUMBER_BASE + i),
      organizationId: field.organizationId,
      fieldId: field.id,
      name: `${field.name} ${operation} ${created.slice(0, 10)}.zip`,
      format,
      operation,
      size: machineFileSize(spec),
      createdTime: created,
      modifiedTime: created,
      revision: 0,
    };
    return { file, spec };
  }

  private scenarioBoundary(index: number, active: boolean): EmulatedBoundary {
    const random = createSeededRandom(mix(this.seed ^ 0x85ebca6b, index));
    const centre = fieldCentre(index);
    // An irregular octagon 300-450 m across: fields are not all squares.
    const ring: number[][] = [];
    const metresPerLon = 111_320 * Math.cos((centre.lat * Math.PI) / 180);
    for (let k = 0; k < 8; k++) {
      const angle = (k / 8) * 2 * Math.PI;
      const radius = 150 + random.int(75);
      ring.push([round7(centre.lon + (radius * Math.cos(angle)) / metresPerLon), round7(centre.lat + (radius * Math.sin(angle)) / 111_320)]);
    }
    ring.push([...ring[0]!]);
    const coordinates = [[ring]];
    return { id: indexedUuid(random, index), fieldId: this.fields[index]!.id, active, revision: 0, modifiedTime: SCENARIO_MODIFIED_TIME, coordinates, areaHectares: areaHectares(coordinates) };
  }
}

/** The centre of the `index`th field of an account. */
function fieldCentre(index: number): { lat: number; lon: number } {
  return { lat: ORIGIN.lat + Math.floor(index / FIELDS_PER_ROW) * 0.01, lon: ORIGIN.lon + (index % FIELDS_PER_ROW) * 0.012 };
}

/** A UUID whose last 12 hex digits are `index`, so a file is found again from its id alone. */
function indexedUuid(random: ReturnType<typeof createSeededRandom>, index: number): string {
  const drawn = random.uuid();
  return `${drawn.slice(0, 24)}${index.toString(16).padStart(12, '0')}`;
}

/** A seed for record `index` of an account: a 32-bit mix, so neighbouring records draw unrelated values. */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function round7(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

/** Area by the shoelace formula on a local equirectangular projection: good to a fraction of a percent at field size. */
function areaHectares(coordinates: readonly (readonly (readonly (readonly number[])[])[])[]): number {
  let total = 0;
  for (const polygon of coordinates) {
    polygon.forEach((ring, r) => {
      const lat0 = ((ring[0]?.[1] ?? 0) * Math.PI) / 180;
      let sum = 0;
      for (let i = 0; i + 1 < ring.length; i++) {
        const [x1, y1] = ring[i]!;
        const [x2, y2] = ring[i + 1]!;
        sum += x1! * 111_320 * Math.cos(lat0) * y2! * 111_320 - x2! * 111_320 * Math.cos(lat0) * y1! * 111_320;
      }
      total += (r === 0 ? 1 : -1) * Math.abs(sum / 2);
    });
  }
  return Math.round(total) / 10_000;
}
