// Seeded mutations of checkpoint files: byte-level damage anywhere, and JSON-aware changes where a file (or a
// safetensors header) is JSON, so that mutated inputs also get past the first syntax check and reach the
// deeper validation: hostile numbers, nesting, missing and repeated members, odd strings.

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
const int = (rand: Random, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Random, items: readonly T[]): T => items[int(rand, items.length)]!;

/** Numbers that break assumptions: huge, negative, fractional, beyond 2^53, zero. */
const HOSTILE_NUMBERS = ['1e9', '1000000000000', '-1', '0', '1.5', '1e308', '9007199254740993', '4294967296', '65535', '2'];
const HOSTILE_STRINGS = ['', '..', '../x', '/etc/passwd', 'model.safetensors', '__proto__', 'a'.repeat(5000), '\\u0000', 'F64', 'llama'];

/** One JSON-aware edit of JSON text; returns the text unchanged when it finds nothing to edit. */
export function mutateJson(text: string, rand: Random): { text: string; what: string } {
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
  const strings = [...text.matchAll(/"(?:[^"\\]|\\.)*"/g)];
  const splice = (at: number, remove: number, insert: string) => text.slice(0, at) + insert + text.slice(at + remove);
  const op = int(rand, 6);
  if (op === 0 && numbers.length) {
    const m = pick(rand, numbers);
    const value = pick(rand, HOSTILE_NUMBERS);
    return { text: splice(m.index!, m[0].length, value), what: `number ${m[0]} -> ${value}` };
  }
  if (op === 1 && strings.length) {
    const m = pick(rand, strings);
    const value = pick(rand, HOSTILE_STRINGS);
    return { text: splice(m.index!, m[0].length, `"${value}"`), what: `string ${m[0].slice(0, 40)} -> "${value.slice(0, 20)}"` };
  }
  if (op === 2 && numbers.length) {
    // A value wrapped in deep nesting (beyond any limit) or a little (a wrong shape).
    const m = pick(rand, numbers);
    const depth = pick(rand, [2, 70, 5000, 100_000]);
    return { text: splice(m.index!, m[0].length, `${'['.repeat(depth)}${m[0]}${']'.repeat(depth)}`), what: `number nested ${depth} deep` };
  }
  if (op === 3 && strings.length > 1) {
    // Drop a key and its value up to the next comma (may break the syntax, which is also a case).
    const m = pick(rand, strings);
    const end = text.indexOf(',', m.index!);
    return { text: splice(m.index!, (end < 0 ? text.length : end + 1) - m.index!, ''), what: `member ${m[0].slice(0, 40)} dropped` };
  }
  if (op === 4 && strings.length) {
    // Repeat a member: its key and value again after it.
    const m = pick(rand, strings);
    const end = text.indexOf(',', m.index!);
    if (end > 0) return { text: splice(end + 1, 0, `${text.slice(m.index!, end)},`), what: `member ${m[0].slice(0, 40)} repeated` };
  }
  const at = int(rand, text.length + 1);
  const junk = pick(rand, ['{', '}', '[', ']', ',', ':', '"', 'null', 'true', '\\', '\u00e9', '\ud800']);
  return { text: splice(at, int(rand, 3), junk), what: `text ${JSON.stringify(junk)} at ${at}` };
}

/** One byte-level edit: flips, random runs, extreme integers, cuts, insertions, deletions. */
export function mutateBytes(bytes: Uint8Array, rand: Random): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const at = int(rand, Math.max(1, bytes.length));
  switch (int(rand, 6)) {
    case 0: {
      const n = 1 + int(rand, 8);
      for (let k = 0; k < n; k++) out[int(rand, out.length)]! ^= 1 << int(rand, 8);
      return { bytes: out, what: `${n} bit flips` };
    }
    case 1: {
      const n = 1 + int(rand, 64);
      for (let k = 0; k < n && at + k < out.length; k++) out[at + k] = int(rand, 256);
      return { bytes: out, what: `${n} random bytes at ${at}` };
    }
    case 2: {
      const view = new DataView(out.buffer);
      const value = pick(rand, [0xffffffffffffffffn, 0x7fffffffffffffffn, 2n ** 53n + 1n, 2n ** 32n, 0n, 1n]);
      if (at + 8 <= out.length) view.setBigUint64(at, value, true);
      return { bytes: out, what: `u64 ${value} at ${at}` };
    }
    case 3:
      return { bytes: out.subarray(0, at), what: `cut at ${at}` };
    case 4: {
      const extra = Uint8Array.from({ length: 1 + int(rand, 32) }, () => int(rand, 256));
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out.subarray(0, at));
      grown.set(extra, at);
      grown.set(out.subarray(at), at + extra.length);
      return { bytes: grown, what: `${extra.length} bytes inserted at ${at}` };
    }
    default: {
      const end = Math.min(out.length, at + 1 + int(rand, 32));
      const shrunk = new Uint8Array(out.length - (end - at));
      shrunk.set(out.subarray(0, at));
      shrunk.set(out.subarray(end), at);
      return { bytes: shrunk, what: `bytes ${at}..${end} deleted` };
    }
  }
}

/** A JSON-aware edit of a safetensors file's header, the length prefix rewritten to fit. */
export function mutateSafetensorsHeader(bytes: Uint8Array, rand: Random): { bytes: Uint8Array; what: string } | null {
  if (bytes.length < 8) return null;
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (length > bytes.length - 8) return null;
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  const edit = mutateJson(header, rand);
  const json = new TextEncoder().encode(edit.text);
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + length), 8 + json.length);
  return { bytes: out, what: `header: ${edit.what}` };
}
