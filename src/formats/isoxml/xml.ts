/**
 * A small XML reader for ISO 11783-10 files. ISOXML carries everything in attributes (no text
 * content, no namespaces that matter, no mixed content), so the reader keeps elements and
 * attributes only. It refuses DOCTYPE declarations outright: no external entity is ever resolved
 * and no entity expansion (billion laughs) can happen.
 */
import { MachineFileError } from '../machine-data.js';

export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
}

/** Deeper than any ISOXML tree (TSK > TZN > PDV is 4 levels); guards against hostile nesting. */
const MAX_DEPTH = 256;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML bytes by their declared encoding (UTF-8 unless the declaration says otherwise). */
export function decodeXmlBytes(bytes: Uint8Array, fileName: string): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head.replace(/^\uFEFF|^ï»¿/, ''))?.[1];
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(declared ?? 'utf-8');
  } catch {
    throw new MachineFileError('corrupt_file', `${fileName}: unknown XML encoding "${declared}"; expected UTF-8 or ISO-8859-1.`);
  }
  return decoder.decode(bytes);
}

/** Parses a whole document and returns its root element. Throws `corrupt_file` naming the file. */
export function parseXml(text: string, fileName: string): XmlElement {
  const fail = (what: string, at: number): never => {
    throw new MachineFileError('corrupt_file', `${fileName} is not well-formed XML: ${what} at character ${at}.`);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    i = lt + 1;
    const c = text.charCodeAt(i);
    if (c === 0x3f /* ? */) {
      const end = text.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction', lt);
      i = end + 2;
    } else if (c === 0x21 /* ! */) {
      if (text.startsWith('!--', i)) {
        const end = text.indexOf('-->', i + 3);
        if (end < 0) fail('unterminated comment', lt);
        i = end + 3;
      } else if (text.startsWith('![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA section', lt);
        i = end + 3;
      } else {
        // <!DOCTYPE ...> and <!ENTITY ...>: the doors to external entities and entity bombs.
        throw new MachineFileError(
          'corrupt_file',
          `${fileName} declares a DOCTYPE or entity (at character ${lt}); ISOXML files never do, and Furrow does not resolve them. Export the file again from the terminal or FMIS.`,
        );
      }
    } else if (c === 0x2f /* / */) {
      const end = text.indexOf('>', i);
      if (end < 0) fail('unterminated end tag', lt);
      const name = text.slice(i + 1, end).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name) fail(`end tag </${name}> does not match <${open?.name ?? ''}>`, lt);
      i = end + 1;
    } else {
      const start = i;
      while (i < n && !isNameEnd(text.charCodeAt(i))) i++;
      const name = text.slice(start, i);
      if (name.length === 0) fail('empty tag name', lt);
      const element: XmlElement = { name, attributes: {}, children: [] };
      let selfClosing = false;
      for (;;) {
        while (i < n && isSpace(text.charCodeAt(i))) i++;
        if (i >= n) fail(`unterminated tag <${name}>`, lt);
        const ch = text.charCodeAt(i);
        if (ch === 0x3e /* > */) { i++; break; }
        if (ch === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x3e) { selfClosing = true; i += 2; break; }
        const attrStart = i;
        while (i < n && !isNameEnd(text.charCodeAt(i)) && text.charCodeAt(i) !== 0x3d) i++;
        const attrName = text.slice(attrStart, i);
        while (i < n && isSpace(text.charCodeAt(i))) i++;
        if (attrName.length === 0 || text.charCodeAt(i) !== 0x3d /* = */) fail(`attribute without value in <${name}>`, attrStart);
        i++;
        while (i < n && isSpace(text.charCodeAt(i))) i++;
        const quote = text.charCodeAt(i);
        if (quote !== 0x22 && quote !== 0x27) fail(`unquoted attribute ${attrName} in <${name}>`, i);
        const valueEnd = text.indexOf(quote === 0x22 ? '"' : "'", i + 1);
        if (valueEnd < 0) fail(`unterminated attribute ${attrName} in <${name}>`, i);
        const raw = text.slice(i + 1, valueEnd);
        element.attributes[attrName] = raw.includes('&') ? decodeEntities(raw, fail, i) : raw;
        i = valueEnd + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(element);
      else if (root === undefined) root = element;
      else fail(`a second root element <${name}>`, lt);
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`, lt);
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is never closed`, n);
  if (root === undefined) fail('no root element', 0);
  return root!;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNameEnd(c: number): boolean {
  return isSpace(c) || c === 0x3e || c === 0x2f;
}

function decodeEntities(raw: string, fail: (what: string, at: number) => never, at: number): string {
  return raw.replace(/&([^;&]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) return fail('unterminated character reference', at);
    if (body.startsWith('#x') || body.startsWith('#X')) return codePoint(Number.parseInt(body.slice(2), 16), fail, at);
    if (body.startsWith('#')) return codePoint(Number.parseInt(body.slice(1), 10), fail, at);
    const value = PREDEFINED[body];
    return value ?? fail(`undeclared entity &${body};`, at);
  });
}

function codePoint(value: number, fail: (what: string, at: number) => never, at: number): string {
  if (!Number.isInteger(value) || value < 1 || value > 0x10ffff) return fail('invalid character reference', at);
  return String.fromCodePoint(value);
}
