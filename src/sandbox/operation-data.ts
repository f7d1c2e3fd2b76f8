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
  EmulatedTransfer,
} from '../providers/provider-emulator.js';
import { machineFileBytes, machineFileSize, type MachineFileSpec, type SandboxCrop } from './machine-file-bytes.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';

const OPERATIONS: readonly EmulatedOperationKind[] = ['harvest', 'seeding', 'application', 'tillage'];
/** [I] Where sandbox fields lie: central Iowa, 40 fields a row, about 1 km apart. */
const ORIGIN = { lat: 41.6, lon: -93.9 };
const FIELDS_PER_ROW = 40;
const DAY_MS = 86_400_000;
/**
 * [I] The scenario's files span the last 6 to 10 months before the account was made (drawn per
 * seed), the newest 45 days old: inside Leaf's default 12-month `operationsProcessingRange`, and
 * all older than a one-month range, so tests can hold them back.
 */
export const SCENARIO_SPAN_DAYS = { min: 183, max: 304 } as const;
export const SCENARIO_NEWEST_AGE_DAYS = 45;
const WORK_STARTS_MS = 14 * 3_600_000;
const WORKING_DAY_MS = 8 * 3_600_000;

/**
 * [I] What a central Iowa corn-soybean farm logs, per crop: wet yield (kg/ha) and grain moisture
 * (%), seeding rate (seeds/ha) and hybrids, a liquid application (L/ha), disk depth (cm).
 */
const AGRONOMY: Record<SandboxCrop, { yield: [number, number]; moisture: [number, number]; seeds: [number, number]; varieties: readonly string[]; product: string; applied: [number, number] }> = {
  corn: { yield: [11_500, 13_500], moisture: [17, 22], seeds: [82_000, 88_000], varieties: ['P1197AM', 'DKC62-08RIB', 'NK0760-3111'], product: 'UAN 28%', applied: [140, 190] },
  soybeans: { yield: [3_700, 4_300], moisture: [11, 14], seeds: [320_000, 370_000], varieties: ['AG30XF1', 'P28A42X', 'XO 2981E'], product: 'Liberty 280 SL', applied: [90, 140] },
};
const TILLAGE_DEPTH_CM: [number, number] = [10, 20];
/** Decimal file ids: the scenario's from here, added ones from `ADDED_FILE_NUMBER_BASE`. */
const FILE_NUMBER_BASE = 400_000_000;
const ADDED_FILE_NUMBER_BASE = 900_000_000;

/** What a control API call may say about a file to add; the rest is drawn. */
export interface AddFileRequest {
  fieldId?: string | undefined;
  format?: 'isoxml' | 'shapefile' | undefined;
  operation?: EmulatedOperationKind | undefined;
  /** Logged positions; 51 bytes each in an ISOXML harvest or seeding log, so 100,000 make a 5 MB file. */
  points?: number | undefined;
  name?: string | undefined;
  transfer?: EmulatedTransfer | undefined;
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
  /** Set through the control API (`POST /accounts/{id}/exports`); the emulator's default until then. */
  exportPendingAnswers: number | undefined;

  /** Epoch ms of the scenario's oldest and newest file. */
  private readonly seasonStart: number;
  private readonly seasonEnd: number;

  constructor(
    private readonly seed: number,
    readonly growers: readonly EmulatedGrower[],
    readonly farms: readonly EmulatedFarm[],
    private readonly fields: readonly EmulatedField[],
    /** How many files the scenario has, spread over its fields in turn. */
    private readonly scenarioFileCount: number,
    /** Epoch ms the account was made: the scenario's dates lie before it, so a seed gives the same data relative to it. */
    createdAt: number,
  ) {
    fields.forEach((field, index) => this.fieldIndex.set(field.id, index));
    const spanDays = SCENARIO_SPAN_DAYS.min + createSeededRandom(mix(seed ^ 0x1b873593, 0)).int(SCENARIO_SPAN_DAYS.max - SCENARIO_SPAN_DAYS.min + 1);
    this.seasonStart = createdAt - spanDays * DAY_MS;
    this.seasonEnd = createdAt - SCENARIO_NEWEST_AGE_DAYS * DAY_MS;
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

  listFiles(query: { organizationId?: string | undefined; fieldId?: string | undefined; operations?: readonly EmulatedOperationKind[] | undefined; transfer?: EmulatedTransfer | undefined; afterRevision?: number | undefined; offset: number; limit: number }): { total: number; files: EmulatedMachineFile[] } {
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
        // [I] Every third scenario file came by wireless transfer: a provider operation, not an uploaded file.
        if (query.transfer !== undefined && (i % 3 === 2 ? 'wireless' : 'upload') !== query.transfer) continue;
        take(() => this.scenarioFile(i).file);
      }
    }
    for (const { file } of this.added) {
      if (query.organizationId !== undefined && file.organizationId !== query.organizationId) continue;
      if (query.fieldId !== undefined && file.fieldId !== query.fieldId) continue;
      if (query.afterRevision !== undefined && file.revision <= query.afterRevision) continue;
      if (query.operations !== undefined && !query.operations.includes(file.operation)) continue;
      if (query.transfer !== undefined && (file.transfer ?? 'upload') !== query.transfer) continue;
      take(() => file);
    }
    return { total, files };
  }

  file(id: string): EmulatedMachineFile | undefined {
    return this.find(id)?.file;
  }

  /** What a file's bytes are made from (its crop, rate, points), for tests that check what a conversion gives. */
  fileSpec(id: string): MachineFileSpec | undefined {
    return this.find(id)?.spec;
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
    const format = request.format ?? (operation === 'tillage' || k % 2 === 0 ? 'isoxml' : 'shapefile');
    const centre = fieldCentre(fieldIndex);
    const spec: MachineFileSpec = { format, operation, points: request.points ?? 120, lat: centre.lat, lon: centre.lon, start: now, ...this.agronomy(operation, fieldIndex, random), fieldName: field.name, taskName: `${field.name} ${operation}` };
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
      ...(request.transfer === 'wireless' ? { transfer: 'wireless' as const } : {}),
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
    // No shapefile export style is known to carry a tillage depth: tillage comes as ISOXML, as the
    // tillage logs of real terminals do.
    const coin = random.next();
    const format = operation === 'tillage' || coin < 0.5 ? 'isoxml' : 'shapefile';
    const centre = fieldCentre(fieldIndex);
    const start = this.workingTime((i + 0.5 * random.next()) / Math.max(1, this.scenarioFileCount));
    const points = 60 + random.int(240);
    const id = indexedUuid(random, i);
    const spec: MachineFileSpec = { format, operation, points, lat: centre.lat, lon: centre.lon, start, ...this.agronomy(operation, fieldIndex, random), fieldName: field.name, taskName: `${field.name} ${operation}` };
    const created = new Date(start + 3_600_000).toISOString();
    const file: EmulatedMachineFile = {
      id,
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
    // Drawn before the season's first operation.
    const modifiedTime = new Date(Math.floor((this.seasonStart - 30 * DAY_MS) / 1000) * 1000).toISOString();
    return { id: indexedUuid(random, index), fieldId: this.fields[index]!.id, active, revision: 0, modifiedTime, coordinates, areaHectares: areaHectares(coordinates) };
  }

  /**
   * The instant a fraction `x` (0 to 1) through the season's working hours, 14:00 to 22:00 UTC
   * (09:00 to 17:00 in Iowa) each day: files go evenly through the season in index order, so
   * listings stay in creation order, and machines run in daylight.
   */
  private workingTime(x: number): number {
    const firstDay = Math.floor(this.seasonStart / DAY_MS);
    const days = Math.max(1, Math.floor(this.seasonEnd / DAY_MS) - firstDay);
    const worked = x * days * WORKING_DAY_MS;
    const day = Math.floor(worked / WORKING_DAY_MS);
    return Math.floor(((firstDay + day) * DAY_MS + WORK_STARTS_MS + (worked - day * WORKING_DAY_MS)) / 1000) * 1000;
  }

  /** The field's crop this season: a corn-soybean rotation, drawn per field. */
  private cropOf(fieldIndex: number): SandboxCrop {
    return createSeededRandom(mix(this.seed ^ 0x68e31da4, fieldIndex)).next() < 0.5 ? 'corn' : 'soybeans';
  }

  /** The values a file logs for its operation on the field's crop, drawn from the file's sequence. */
  private agronomy(operation: EmulatedOperationKind, fieldIndex: number, random: SeededRandom): Pick<MachineFileSpec, 'rate' | 'crop' | 'moisture' | 'product'> {
    const crop = this.cropOf(fieldIndex);
    const a = AGRONOMY[crop];
    const within = ([low, high]: [number, number], step: number) => low + Math.round((random.next() * (high - low)) / step) * step;
    const moisture = within(a.moisture, 0.1);
    const variety = random.pick(a.varieties);
    switch (operation) {
      case 'harvest':
        return { crop, rate: within(a.yield, 10), moisture, product: variety };
      case 'seeding':
        return { crop, rate: within(a.seeds, 100), moisture, product: variety };
      case 'application':
        return { crop, rate: within(a.applied, 1), moisture, product: a.product };
      case 'tillage':
        return { crop, rate: within(TILLAGE_DEPTH_CM, 0.5), moisture, product: variety };
    }
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
