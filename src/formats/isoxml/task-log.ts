/**
 * One `MachineLog` per task (TSK) with time logs: metadata from the task, its partfield, products
 * and devices; points streamed from its binary time logs in the order the task lists them.
 */
import { MachineFileError, type Machine, type MachineLog, type OperationType, type PointBatch, type PointProperty, type Product, type PropertyColumn, type FileEntry } from '../machine-data.js';
import { APPLIED_RATE_FAMILIES, COMMON_PROPERTIES, MACHINE_DEVICE_CLASSES, OPERATION_PROPERTIES, PROPERTY_SOURCES, ValueKind, inferOperationType, type DdiSource } from './ddi.js';
import type { TaskData } from './task-data.js';
import { readXmlEntry } from './task-data.js';
import { BatchBuffers, TimeLogDecoder, type ColumnMapping } from './time-log-decoder.js';
import { parseTimeLogHeader, type TimeLogHeader } from './time-log-header.js';
import type { XmlElement } from './xml.js';

export const DEFAULT_BATCH_SIZE = 8192;

/** One TLG of a task, with its header read and its binary located. */
interface TimeLogFile {
  readonly name: string;
  readonly header: TimeLogHeader;
  readonly binary: FileEntry;
}

/** A device element (DET) with the device (DVC) it belongs to and its depth in the element tree. */
interface ElementInfo {
  readonly element: XmlElement;
  readonly device: XmlElement;
  readonly depth: number;
  readonly parent: ElementInfo | undefined;
}

interface ColumnPlan {
  readonly column: PropertyColumn;
  /** Candidate DDIs in preference order, all in the column's unit. */
  readonly sources: readonly DdiSource[];
  /** A device property value (already scaled) used when no DLV fills the column. */
  readonly constant: number;
}

/** Builds the logs of every task that has time logs. */
export async function readTaskLogs(taskData: TaskData, batchSize: number): Promise<MachineLog[]> {
  const elements = indexDeviceElements(taskData);
  const logs: MachineLog[] = [];
  for (const task of taskData.all('TSK')) {
    const tlgs = task.children.filter((child) => child.name === 'TLG');
    if (tlgs.length === 0) continue;
    const warnings: string[] = [...taskData.warnings];
    const files: TimeLogFile[] = [];
    const missing: string[] = [];
    const empty: string[] = [];
    for (const tlg of tlgs) {
      const name = tlg.attributes.A ?? '';
      const headerEntry = taskData.sibling(`${name}.xml`);
      const binary = taskData.sibling(`${name}.bin`);
      if (headerEntry === undefined || binary === undefined) {
        missing.push(headerEntry === undefined ? `${name}.XML` : `${name}.BIN`);
        continue;
      }
      if (binary.size === 0) { empty.push(binary.path); continue; }
      const header = parseTimeLogHeader(await readXmlEntry(headerEntry), headerEntry.path);
      const { ptn } = header;
      if (!(ptn.gpsUtcTime.binary || !Number.isNaN(ptn.gpsUtcTime.fixed)) || !(ptn.gpsUtcDate.binary || !Number.isNaN(ptn.gpsUtcDate.fixed))) {
        warnings.push(`${name} has no GPS UTC time: the terminal's clock is taken as UTC, so times may be off by the terminal's time-zone offset.`);
      }
      files.push({ name: binary.path, header, binary });
    }
    if (missing.length > 0 && files.length > 0) warnings.push(`Time log files ${missing.join(', ')} are missing; the task's other time logs were read.`);
    if (empty.length > 0 && files.length > 0) warnings.push(`Time logs ${empty.join(', ')} are empty (0 bytes).`);

    const ddis = new Set(files.flatMap((file) => file.header.dlvs.map((dlv) => dlv.ddi)));
    const devices = devicesOf(task, files, elements, taskData);
    const deviceClasses = devices.map(deviceClass).filter((c): c is number => c !== null);
    const operationType = inferOperationType(ddis, deviceClasses);
    const plans = planColumns(operationType, ddis, files, elements);
    const hasElevation = files.some((file) => file.header.ptn.up.binary || !Number.isNaN(file.header.ptn.up.fixed));
    const columns: PropertyColumn[] = [...plans.map((plan) => plan.column), ...(hasElevation ? [{ property: 'elevation' as const, unit: 'm' as const }] : [])];

    const { crop, varieties } = cropOf(task, taskData);
    const products = productsOf(task, taskData);
    const operationData = originalOperationData(task, taskData);
    const machinery: Machine[] = devices.map((device) => machineOf(device));
    const taskName = task.attributes.B ?? task.attributes.A ?? 'task';

    logs.push({
      fileFormat: 'ISO11783',
      name: taskName,
      operationType,
      ...(crop.length > 0 ? { crop } : {}),
      ...(varieties.length > 0 ? { varieties } : {}),
      ...(products.length > 0 ? { products } : {}),
      ...(machinery.length > 0 ? { machinery } : {}),
      ...(operationData !== undefined ? { originalOperationData: operationData } : {}),
      columns,
      // Grows while points stream (dropped positions, a truncated last record).
      warnings,
      points: () => streamPoints({ taskName, files, missing, empty, plans, hasElevation, elements, batchSize, warnings }),
    });
  }
  return logs;
}

interface StreamInput {
  readonly taskName: string;
  readonly files: readonly TimeLogFile[];
  readonly missing: readonly string[];
  readonly empty: readonly string[];
  readonly plans: readonly ColumnPlan[];
  readonly hasElevation: boolean;
  readonly elements: ReadonlyMap<string, ElementInfo>;
  readonly batchSize: number;
  readonly warnings: string[];
}

async function* streamPoints(input: StreamInput): AsyncGenerator<PointBatch> {
  const { files, plans, warnings } = input;
  if (files.length === 0) {
    if (input.missing.length > 0) {
      throw new MachineFileError('missing_file', `Task "${input.taskName}": time log files ${input.missing.join(', ')} are missing from the set; add them and upload again.`);
    }
    throw new MachineFileError('no_machine_data', `Task "${input.taskName}": its time logs ${input.empty.join(', ')} are empty (0 bytes); nothing was recorded.`);
  }
  const columnCount = plans.length + (input.hasElevation ? 1 : 0);
  const batch = new BatchBuffers(Math.max(1, input.batchSize), columnCount);
  const emit = (): PointBatch => ({ length: batch.length, lon: batch.lon, lat: batch.lat, time: batch.time, values: batch.values });
  let points = 0;
  let outOfRange = 0;
  let withoutPosition = 0;
  for (const file of files) {
    const mapping = mapColumns(file, plans, input.hasElevation ? plans.length : -1, input.elements);
    const decoder = new TimeLogDecoder(file.header, mapping, batch, file.name);
    let carry: Uint8Array | undefined;
    let base = 0;
    for await (const chunk of file.binary.stream()) {
      let bytes = chunk;
      if (carry !== undefined) {
        bytes = new Uint8Array(carry.length + chunk.length);
        bytes.set(carry, 0);
        bytes.set(chunk, carry.length);
      }
      let pos = 0;
      for (;;) {
        pos = decoder.decode(bytes, pos, base);
        if (batch.length < batch.capacity) break;
        yield emit();
        batch.length = 0;
      }
      carry = pos < bytes.length ? bytes.slice(pos) : undefined;
      base += pos;
    }
    if (carry !== undefined) {
      warnings.push(`${file.name}: the last ${carry.length} bytes (from byte ${base}) are an incomplete record, as when a terminal loses power while logging; they were ignored.`);
    }
    points += decoder.counts.points;
    outOfRange += decoder.counts.outOfRange;
    withoutPosition += decoder.counts.withoutPosition;
  }
  if (batch.length > 0) {
    yield emit();
    batch.length = 0;
  }
  if (points === 0 && outOfRange > 0) {
    throw new MachineFileError('corrupt_file', `Task "${input.taskName}": all ${outOfRange} positioned records have coordinates outside ±90° latitude / ±180° longitude.`);
  }
  if (points === 0) {
    throw new MachineFileError('no_machine_data', `Task "${input.taskName}": its time logs hold ${withoutPosition} records and none has a GNSS position, so there is nothing to map.`);
  }
  if (withoutPosition > 0) warnings.push(`${withoutPosition} records without a GNSS position were skipped (their values still carry forward).`);
  if (outOfRange > 0) warnings.push(`${outOfRange} records with coordinates outside ±90° latitude / ±180° longitude were dropped.`);
}

/** Which DLV of this time log fills which column. */
function mapColumns(file: TimeLogFile, plans: readonly ColumnPlan[], elevationColumn: number, elements: ReadonlyMap<string, ElementInfo>): ColumnMapping {
  const { dlvs } = file.header;
  const columnOfDlv = new Int16Array(dlvs.length).fill(-1);
  const factorOfDlv = new Float64Array(dlvs.length);
  const kindOfDlv = new Uint8Array(dlvs.length);
  const columnCount = plans.length + (elevationColumn >= 0 ? 1 : 0);
  const constants = new Float64Array(columnCount).fill(Number.NaN);
  const isDelta = new Uint8Array(columnCount);
  plans.forEach((plan, column) => {
    let chosen = -1;
    if (BIN_SUMMED.has(plan.column.property)) {
      // A rate logged per bin (one per product or tank) while the device root logs zeros or
      // nothing: the machine's rate is the bins' sum (ISO 11783-10 annex B: products sit in bins).
      for (const source of plan.sources) {
        dlvs.forEach((dlv, index) => {
          if (dlv.ddi !== source.ddi || columnOfDlv[index] !== -1 || elements.get(dlv.deviceElementId)?.element.attributes.C !== DET_TYPE_BIN) return;
          columnOfDlv[index] = column;
          factorOfDlv[index] = source.factor;
          kindOfDlv[index] = ValueKind.BinSum;
          chosen = index;
        });
        if (chosen >= 0) return;
      }
    }
    for (const source of plan.sources) {
      // Several elements may log the same DDI (every section its own offset); the one nearest the
      // device root describes the whole machine.
      let bestDepth = Infinity;
      dlvs.forEach((dlv, index) => {
        if (dlv.ddi !== source.ddi || columnOfDlv[index] !== -1) return;
        const depth = elements.get(dlv.deviceElementId)?.depth ?? 99;
        if (depth < bestDepth) { bestDepth = depth; chosen = index; }
      });
      if (chosen >= 0) {
        columnOfDlv[chosen] = column;
        factorOfDlv[chosen] = source.factor;
        kindOfDlv[chosen] = source.kind;
        isDelta[column] = source.kind === ValueKind.TotalDelta ? 1 : 0;
        break;
      }
    }
    if (chosen < 0) constants[column] = plan.constant;
  });
  return { columnOfDlv, factorOfDlv, kindOfDlv, constants, isDelta, elevationColumn };
}

const DET_TYPE_BIN = '3';
const BIN_SUMMED: ReadonlySet<PointProperty> = new Set(['appliedRate', 'appliedRateTarget', 'seedRate', 'seedRateTarget']);

/** Device properties (DPT) that can stand in for a column no DLV fills. */
const CONSTANT_SOURCES: Partial<Record<PointProperty, readonly number[]>> = {
  equipmentWidth: [0x0043, 0x0044, 0x0046],
  xOffset: [0x0086],
  yOffset: [0x0087],
};

function planColumns(operationType: OperationType | null, ddis: ReadonlySet<number>, files: readonly TimeLogFile[], elements: ReadonlyMap<string, ElementInfo>): ColumnPlan[] {
  const plans: ColumnPlan[] = [];
  const wanted: PointProperty[] = [...(operationType === null ? [] : OPERATION_PROPERTIES[operationType]), ...COMMON_PROPERTIES];
  const main = mainElement(operationType, files, elements);
  for (const property of wanted) {
    let sources: readonly DdiSource[];
    if (property === 'appliedRate' || property === 'appliedRateTarget') {
      const family = APPLIED_RATE_FAMILIES.find((f) => ddis.has(f.actual.ddi)) ?? APPLIED_RATE_FAMILIES.find((f) => ddis.has(f.setpoint.ddi));
      if (family === undefined) continue;
      sources = [property === 'appliedRate' ? family.actual : family.setpoint];
    } else sources = PROPERTY_SOURCES[property] ?? [];
    const present = sources.filter((source) => ddis.has(source.ddi));
    if (present.length > 0) {
      const unit = present[0]!.unit;
      plans.push({ column: { property, unit }, sources: present.filter((s) => s.unit === unit), constant: Number.NaN });
      continue;
    }
    const constant = constantFor(property, main);
    if (constant !== undefined) plans.push({ column: { property, unit: 'm' }, sources: [], constant });
  }
  return plans;
}

/** The element that logs the operation's main value (yield, rate, depth): its properties describe the work. */
function mainElement(operationType: OperationType | null, files: readonly TimeLogFile[], elements: ReadonlyMap<string, ElementInfo>): ElementInfo | undefined {
  if (operationType === null) return undefined;
  const operationDdis = new Set<number>();
  for (const property of OPERATION_PROPERTIES[operationType]) for (const source of PROPERTY_SOURCES[property] ?? []) operationDdis.add(source.ddi);
  for (const family of APPLIED_RATE_FAMILIES) if (operationType === 'applied') operationDdis.add(family.actual.ddi);
  for (const file of files) {
    for (const dlv of file.header.dlvs) if (operationDdis.has(dlv.ddi)) return elements.get(dlv.deviceElementId);
  }
  return undefined;
}

/** A DPT value (mm → m) on the main element or its ancestors. */
function constantFor(property: PointProperty, main: ElementInfo | undefined): number | undefined {
  const ddis = CONSTANT_SOURCES[property];
  if (ddis === undefined) return undefined;
  for (let info = main; info !== undefined; info = info.parent) {
    const refs = new Set(info.element.children.filter((c) => c.name === 'DOR').map((c) => c.attributes.A));
    for (const ddi of ddis) {
      const dpt = info.device.children.find((c) => c.name === 'DPT' && refs.has(c.attributes.A) && Number.parseInt(c.attributes.B ?? '', 16) === ddi);
      const value = Number(dpt?.attributes.C);
      if (dpt !== undefined && Number.isFinite(value)) return value * 0.001;
    }
  }
  return undefined;
}

function indexDeviceElements(taskData: TaskData): Map<string, ElementInfo> {
  const result = new Map<string, ElementInfo>();
  for (const device of taskData.all('DVC')) {
    const dets = device.children.filter((c) => c.name === 'DET');
    const byObjectId = new Map(dets.map((det) => [det.attributes.B ?? '', det]));
    const resolve = (det: XmlElement, seen: Set<XmlElement>): ElementInfo => {
      const known = result.get(det.attributes.A ?? '');
      if (known !== undefined && known.element === det) return known;
      const parentDet = byObjectId.get(det.attributes.F ?? '');
      // The root element's parent is the device (object id 0); guard against cycles in bad files.
      const parent = parentDet !== undefined && parentDet !== det && !seen.has(parentDet) ? resolve(parentDet, seen.add(det)) : undefined;
      const info: ElementInfo = { element: det, device, depth: parent === undefined ? 0 : parent.depth + 1, parent };
      result.set(det.attributes.A ?? '', info);
      return info;
    };
    for (const det of dets) resolve(det, new Set());
  }
  return result;
}

/** The devices the task's time logs or device allocations (DAN) refer to. */
function devicesOf(task: XmlElement, files: readonly TimeLogFile[], elements: ReadonlyMap<string, ElementInfo>, taskData: TaskData): XmlElement[] {
  const devices = new Set<XmlElement>();
  for (const file of files) for (const dlv of file.header.dlvs) {
    const info = elements.get(dlv.deviceElementId);
    if (info !== undefined) devices.add(info.device);
  }
  for (const dan of task.children) {
    if (dan.name !== 'DAN') continue;
    const device = taskData.byId.get(dan.attributes.C ?? '');
    if (device?.name === 'DVC') devices.add(device);
  }
  return [...devices];
}

/** The device class from the ISO NAME (DVC D, 16 hex digits, most significant byte first). */
function deviceClass(device: XmlElement): number | null {
  const name = device.attributes.D ?? '';
  if (!/^[0-9A-Fa-f]{16}$/.test(name)) return null;
  return Number.parseInt(name.slice(2, 4), 16) >> 1;
}

function machineOf(device: XmlElement): Machine {
  const serial = device.attributes.E?.trim();
  const deviceClassValue = deviceClass(device);
  return {
    name: device.attributes.B?.trim() || device.attributes.A || 'device',
    type: deviceClassValue !== null && MACHINE_DEVICE_CLASSES.has(deviceClassValue) ? 'machine' : 'implement',
    ...(serial ? { serialNumber: serial } : {}),
  };
}

function cropOf(task: XmlElement, taskData: TaskData): { crop: string[]; varieties: string[] } {
  const partfield = taskData.byId.get(task.attributes.E ?? '');
  const cropType = taskData.byId.get(partfield?.attributes.G ?? '');
  const variety = taskData.byId.get(partfield?.attributes.H ?? '');
  const cropName = cropType?.name === 'CTP' ? cropType.attributes.B?.trim().toLowerCase() : undefined;
  const varietyName = variety?.name === 'CVT' ? variety.attributes.B?.trim() : undefined;
  return { crop: cropName ? [cropName] : [], varieties: varietyName ? [varietyName] : [] };
}

/** Products the task allocates (PAN) or prescribes (TZN > PDV). */
function productsOf(task: XmlElement, taskData: TaskData): Product[] {
  const ids = new Set<string>();
  for (const child of task.children) {
    if (child.name === 'PAN' && child.attributes.A) ids.add(child.attributes.A);
    if (child.name === 'TZN') for (const pdv of child.children) if (pdv.name === 'PDV' && pdv.attributes.B) ids.add(pdv.attributes.B);
  }
  const products: Product[] = [];
  for (const id of ids) {
    const product = taskData.byId.get(id);
    const name = product?.name === 'PDT' ? product.attributes.B?.trim() : undefined;
    if (name) products.push({ name });
  }
  return products;
}

function originalOperationData(task: XmlElement, taskData: TaskData): MachineLog['originalOperationData'] {
  const partfield = taskData.byId.get(task.attributes.E ?? '');
  const farm = taskData.byId.get(task.attributes.D ?? partfield?.attributes.F ?? '');
  const customer = taskData.byId.get(task.attributes.C ?? partfield?.attributes.E ?? '');
  const field = partfield?.name === 'PFD' ? partfield.attributes.C?.trim() : undefined;
  const farmName = farm?.name === 'FRM' ? farm.attributes.B?.trim() : undefined;
  const grower = customer?.name === 'CTR' ? [customer.attributes.C, customer.attributes.B].filter((s) => s?.trim()).join(' ').trim() : undefined;
  if (!field && !farmName && !grower) return undefined;
  return {
    ...(field ? { originalOperationField: field } : {}),
    ...(farmName ? { originalOperationFarm: farmName } : {}),
    ...(grower ? { originalOperationGrower: grower } : {}),
  };
}
