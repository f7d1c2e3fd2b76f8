/**
 * A TASKDATA.XML document with its external files (XFR, ISO 11783-10 §8.5) merged in, its
 * elements indexed by XML id, and case-insensitive access to the sibling files it names
 * (terminals write `TLG00001.BIN`, `tlg00001.bin` and `TLG0001.bin` alike).
 */
import { MachineFileError, type FileEntry, type FileSet } from '../machine-data.js';
import { decodeXmlBytes, parseXml, type XmlElement } from './xml.js';

/** Larger XML than this is not a task file a terminal wrote. */
const MAX_XML_BYTES = 256 * 2 ** 20;

export interface TaskData {
  readonly root: XmlElement;
  /** Folder of TASKDATA.XML inside the set ('' at the root), without a trailing slash. */
  readonly folder: string;
  readonly byId: ReadonlyMap<string, XmlElement>;
  readonly warnings: readonly string[];
  /** Top-level elements with this tag, external files included. */
  all(tag: string): XmlElement[];
  /** A file beside TASKDATA.XML, any case. */
  sibling(fileName: string): FileEntry | undefined;
}

/** Reads a whole entry, refusing one larger than `limit` bytes. */
export async function readEntry(entry: FileEntry, limit: number): Promise<Uint8Array> {
  if (entry.size > limit) throw new MachineFileError('corrupt_file', `${entry.path} is ${entry.size} bytes; expected at most ${limit} for this kind of file.`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of entry.stream()) {
    total += chunk.length;
    if (total > limit) throw new MachineFileError('corrupt_file', `${entry.path} is larger than ${limit} bytes; expected at most that for this kind of file.`);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) { bytes.set(chunk, offset); offset += chunk.length; }
  return bytes;
}

/** Parses an XML entry of the set. */
export async function readXmlEntry(entry: FileEntry): Promise<XmlElement> {
  const bytes = await readEntry(entry, MAX_XML_BYTES);
  return parseXml(decodeXmlBytes(bytes, entry.path), entry.path);
}

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** Loads the TASKDATA.XML at `path` and the external files it references. */
export async function loadTaskData(files: FileSet, path: string): Promise<TaskData> {
  const folder = folderOf(path);
  const siblings = new Map<string, FileEntry>();
  for (const entry of files.entries) {
    if (folderOf(entry.path) === folder) siblings.set(entry.path.slice(folder.length === 0 ? 0 : folder.length + 1).toLowerCase(), entry);
  }
  const sibling = (fileName: string) => siblings.get(fileName.toLowerCase());
  const main = files.entries.find((entry) => entry.path === path);
  if (main === undefined) throw new MachineFileError('missing_file', `${path} is not in the file set.`);
  const root = await readXmlEntry(main);
  if (root.name !== 'ISO11783_TaskData') {
    throw new MachineFileError('unsupported_file_format', `${path}: expected an ISO11783_TaskData root element, found <${root.name}>.`);
  }
  const warnings: string[] = [];
  const topLevel: XmlElement[] = [...root.children];
  for (const xfr of root.children.filter((child) => child.name === 'XFR')) {
    const name = xfr.attributes.A ?? '';
    const entry = sibling(`${name}.xml`);
    if (entry === undefined) {
      warnings.push(`External file ${name}.XML named by TASKDATA.XML is missing; its elements are left out.`);
      continue;
    }
    const external = await readXmlEntry(entry);
    topLevel.push(...external.children);
  }
  const byId = new Map<string, XmlElement>();
  const index = (element: XmlElement) => {
    const id = element.attributes.A;
    // An ISOXML id is the element's tag, an optional minus and a number (ISO 11783-10 §4.5).
    if (id !== undefined && id.startsWith(element.name) && /^[A-Z]{3}-?\d+$/.test(id)) byId.set(id, element);
    for (const child of element.children) index(child);
  };
  topLevel.forEach(index);
  const byTag = new Map<string, XmlElement[]>();
  for (const element of topLevel) {
    const list = byTag.get(element.name);
    if (list === undefined) byTag.set(element.name, [element]);
    else list.push(element);
  }
  return { root, folder, byId, warnings, all: (tag) => byTag.get(tag) ?? [], sibling };
}
