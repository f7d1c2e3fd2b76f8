/**
 * The header of a binary time log (`TLGnnnnn.XML`, ISO 11783-10 §6.8 and annex D): a TIM element
 * whose PTN and DLV children say which fields each binary record carries. An attribute present
 * with an empty value is in every binary record; present with a value, it is fixed for the whole
 * log and not in the records; absent, it is neither.
 */
import { MachineFileError } from '../machine-data.js';
import type { XmlElement } from './xml.js';

/** PTN attributes A..I in record order, with their binary sizes (bytes). */
export const PTN_FIELDS = [
  { attribute: 'A', name: 'north', size: 4 },
  { attribute: 'B', name: 'east', size: 4 },
  { attribute: 'C', name: 'up', size: 4 },
  { attribute: 'D', name: 'status', size: 1 },
  { attribute: 'E', name: 'pdop', size: 2 },
  { attribute: 'F', name: 'hdop', size: 2 },
  { attribute: 'G', name: 'satellites', size: 1 },
  { attribute: 'H', name: 'gpsUtcTime', size: 4 },
  { attribute: 'I', name: 'gpsUtcDate', size: 2 },
] as const;

export type PtnFieldName = (typeof PTN_FIELDS)[number]['name'];

export interface PtnField {
  /** In every binary record. */
  readonly binary: boolean;
  /** The header's fixed value (raw, as written in the header), NaN when absent or binary. */
  readonly fixed: number;
}

export interface DataLogValueHeader {
  readonly ddi: number;
  readonly deviceElementId: string;
}

export interface TimeLogHeader {
  readonly ptn: Readonly<Record<PtnFieldName, PtnField>>;
  readonly dlvs: readonly DataLogValueHeader[];
  /** Bytes of a record up to and including its DLV count byte: time (6), the binary PTN fields, count (1). */
  readonly fixedSize: number;
}

/** Reads a TLG header document. Throws `corrupt_file` when it is not a usable TIM. */
export function parseTimeLogHeader(root: XmlElement, fileName: string): TimeLogHeader {
  const tim = root.name === 'TIM' ? root : root.children.find((child) => child.name === 'TIM');
  if (tim === undefined) throw new MachineFileError('corrupt_file', `${fileName}: expected a TIM element as the time-log header, found <${root.name}>.`);
  const ptnElement = tim.children.find((child) => child.name === 'PTN');
  const ptn = {} as Record<PtnFieldName, PtnField>;
  let fixedSize = 6;
  for (const field of PTN_FIELDS) {
    const value = ptnElement?.attributes[field.attribute];
    const binary = value !== undefined && value.trim() === '';
    if (binary) fixedSize += field.size;
    const fixed = value === undefined || binary ? Number.NaN : Number(value);
    ptn[field.name] = { binary, fixed };
  }
  const dlvs = tim.children
    .filter((child) => child.name === 'DLV')
    .map((dlv, index) => {
      const ddi = Number.parseInt(dlv.attributes.A ?? '', 16);
      if (!Number.isInteger(ddi) || ddi < 0 || ddi > 0xffff) {
        throw new MachineFileError('corrupt_file', `${fileName}: DLV #${index} has DDI "${dlv.attributes.A ?? ''}"; expected four hexadecimal digits.`);
      }
      return { ddi, deviceElementId: dlv.attributes.C ?? '' };
    });
  // The record's DLV index is one byte.
  if (dlvs.length > 256) throw new MachineFileError('corrupt_file', `${fileName}: ${dlvs.length} DLVs in one header; ISO 11783-10 allows at most 256.`);
  return { ptn, dlvs, fixedSize: fixedSize + 1 };
}
