// A small keyed generator for index choices (selection) and synthetic weights (arch): the same (seed, key)
// always yields the same stream, whatever order spaces are visited in, so random selections are reproducible
// and independent per space.

/** Mix a string into a 32-bit hash (FNV-1a followed by a murmur finalizer). */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: tiny, fast, good enough for choosing indices. Returns floats in [0, 1). */
export function seededRandom(seed: number, key: string): () => number {
  let state = hashString(key, seed) || 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
