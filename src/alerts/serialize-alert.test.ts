import { describe, expect, it } from 'vitest';
import { serializeAlert } from './serialize-alert.js';

describe('serializeAlert', () => {
  it("writes Leaf's documented example byte for byte: a space after every colon and comma, nothing else", () => {
    // leaf-api.md 5.2, the example signed body of Leaf's alerts_authentication.md.
    const payload = { source: 'REST', leafUserId: 'uuid', fieldId: 'uuid', timestamp: '2024-06-15T14:30:00.000000Z', type: 'fieldCreated' };
    expect(serializeAlert(payload)).toBe('{"source": "REST", "leafUserId": "uuid", "fieldId": "uuid", "timestamp": "2024-06-15T14:30:00.000000Z", "type": "fieldCreated"}');
  });

  it("matches Python's json.dumps defaults on nesting, empties, null and booleans", () => {
    // Expected text produced by python3 -c 'import json; print(json.dumps(...))'.
    expect(serializeAlert({ n: [1, { b: null, c: true }], e: {}, l: [] })).toBe('{"n": [1, {"b": null, "c": true}], "e": {}, "l": []}');
  });

  it('escapes DEL, control and non-ASCII characters as Python does with ensure_ascii, so the body is pure ASCII', () => {
    // python3: json.dumps({"a": "é😀\x7f\x1f/\\\""}) == '{"a": "\\u00e9\\ud83d\\ude00\\u007f\\u001f/\\\\\\""}'
    const text = serializeAlert({ a: 'é😀\x7f\x1f/\\"' });
    expect(text).toBe('{"a": "\\u00e9\\ud83d\\ude00\\u007f\\u001f/\\\\\\""}');
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
    expect(JSON.parse(text)).toEqual({ a: 'é😀\x7f\x1f/\\"' });
  });

  it('keeps key order as given and leaves out undefined properties, as JSON.stringify does', () => {
    expect(serializeAlert({ z: 1, a: undefined, m: 'x' })).toBe('{"z": 1, "m": "x"}');
  });

  it('refuses values JSON cannot carry, naming them', () => {
    expect(() => serializeAlert({ n: Number.NaN })).toThrow(/NaN/);
    expect(() => serializeAlert({ f: () => 1 })).toThrow(/function/);
  });
});
