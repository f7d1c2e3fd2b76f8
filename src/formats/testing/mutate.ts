/** Seeded byte mutations for the readers' fuzz tests: a failing case replays from its seed. */

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A copy of `bytes`, sometimes truncated, with one to eight bytes replaced; half the edits land in
 * the first `headBytes`, where one byte changes the meaning of everything after.
 */
export function mutateBytes(bytes: Uint8Array, next: () => number, headBytes = 120): Uint8Array {
  const out = bytes.slice(0, next() < 0.1 ? Math.floor(next() * bytes.length) : bytes.length);
  const edits = 1 + Math.floor(next() * 8);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = next() < 0.5 ? Math.floor(next() * Math.min(out.length, headBytes)) : Math.floor(next() * out.length);
    out[at] = Math.floor(next() * 256);
  }
  return out;
}
