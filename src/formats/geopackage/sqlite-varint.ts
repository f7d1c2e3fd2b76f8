/**
 * SQLite's variable-length integers: 1 to 9 bytes, big-endian, 7 bits per byte with the high bit
 * meaning "more", the ninth byte contributing all 8. Values are returned as numbers (exact to
 * 2^53, which covers every size and serial type a valid file holds); the length goes into
 * `varint.length` so the hot path allocates nothing.
 */
export const varint = { length: 0 };

/** The varint at `bytes[at]`; -1 (with `varint.length` 0) when it runs past `end`. */
export function readVarint(bytes: Uint8Array, at: number, end: number): number {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (at + i >= end) {
      varint.length = 0;
      return -1;
    }
    const byte = bytes[at + i]!;
    if (i === 8) {
      varint.length = 9;
      return value * 256 + byte;
    }
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) {
      varint.length = i + 1;
      return value;
    }
  }
  varint.length = 0;
  return -1;
}
