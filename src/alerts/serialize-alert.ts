/**
 * Alert bodies in Leaf's byte form. Leaf signs "a compact JSON string without extra line breaks or
 * spaces (other than spaces after ":" and ",")" (leaf-api.md 5.2), which is Python's `json.dumps`
 * with its default separators `", "` and `": "`. Receivers that verify by re-serialising the
 * parsed body with `json.dumps(payload)` therefore match only if every other default matches too,
 * so Furrow also follows `ensure_ascii=True` [I]: DEL and every character above it is written as a
 * `\uXXXX` escape (lower-case hex, UTF-16 surrogate pairs beyond the BMP), which makes the body
 * pure ASCII. Control characters are escaped as JSON.stringify and Python both do. Numbers are
 * written as JavaScript writes them; Furrow's payloads hold only integers, where the two agree.
 */

// Python's ensure_ascii escapes everything outside ' '..'~', DEL (U+007F) included.
const NON_ASCII = /[\u007f-\uffff]/g;

function escapeNonAscii(text: string): string {
  return text.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Serialises a JSON value with Leaf's spacing; object keys keep their insertion order. */
export function serializeAlert(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return escapeNonAscii(JSON.stringify(value));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`An alert payload holds the number ${value}; JSON has no such value. Send a finite number or null.`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => serializeAlert(item ?? null)).join(', ')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      return `{${entries.map(([k, v]) => `${escapeNonAscii(JSON.stringify(k))}: ${serializeAlert(v)}`).join(', ')}}`;
    }
    default:
      throw new TypeError(`An alert payload holds a ${typeof value}; expected JSON values only (string, number, boolean, null, array, object).`);
  }
}
