// The JSON every file and flag goes through: JSON.parse's answers, a nesting limit that names the field, and a
// member walk for large objects that accepts exactly the objects JSON.parse accepts.
import { describe, expect, it } from 'vitest';
import { forEachJsonMember, MAX_JSON_DEPTH, parseJson, parseJsonObject, preview } from '../src/safe-json.js';

const fail = (problem: string) => new Error(`f.json: ${problem}`);
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

function members(text: string): [string, unknown][] {
  const out: [string, unknown][] = [];
  forEachJsonMember(text, fail, (key, value) => out.push([key, parseJson(value, fail)]));
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseJson', () => {
  it('gives what JSON.parse gives, and its syntax errors as the caller\'s error', () => {
    expect(parseJson('{"a":[1,{"b":null}],"c":"\\u00e9"}', fail)).toEqual({ a: [1, { b: null }], c: 'é' });
    expect(() => parseJson('{"a":', fail)).toThrow(/^f\.json: not valid JSON \(/);
    expect(() => parseJsonObject('[1]', fail)).toThrow('f.json: expected a JSON object, got [1]');
  });

  it('refuses nesting beyond the limit, naming the top-level field, before parsing', () => {
    expect(parseJson(nested(MAX_JSON_DEPTH), fail)).toBeDefined();
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1), fail)).toThrow(`f.json: item 0 nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect(() => parseJson(`{"ok":1,"bad":${nested(100_000)}}`, fail)).toThrow('f.json: field "bad" nests deeper than 64 levels');
    expect(() => parseJson(`[1,2,${nested(100)}]`, fail)).toThrow('f.json: item 2 nests deeper than 64 levels');
    // Brackets inside strings are text.
    expect(parseJson(`{"s":"${'['.repeat(1000)}\\"]"}`, fail)).toEqual({ s: `${'['.repeat(1000)}"]` });
  });

  it('previews values in one short line', () => {
    expect(preview([1, 2, 3])).toBe('[1,2,3]');
    expect(preview('x'.repeat(500))).toHaveLength(80);
    expect(preview(10n)).toBe('10');
  });
});

describe('forEachJsonMember', () => {
  it('walks members in order with their value text', () => {
    expect(members(' { "a" : 1 , "b\\n" : {"c":[1,"}"]}, "d":"x,y" } ')).toEqual([['a', 1], ['b\n', { c: [1, '}'] }], ['d', 'x,y']]);
    expect(members('{}')).toEqual([]);
    expect(() => members('{"a":1,"a":2}')).toThrow('f.json: field "a" is given twice');
    expect(() => members('[]')).toThrow('f.json: expected a JSON object');
    expect(() => members(`{"deep":${nested(64)}}`)).toThrow('field "deep" nests deeper than 64 levels');
  });

  it('accepts exactly the objects JSON.parse accepts, with the same members (seeded mutations)', () => {
    const base = '{"__metadata__":{"k":"v","n":"[1,{\\"x\\":2}]"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[],"data_offsets":[24,26]}}';
    const alphabet = '{}[]",:\\ 0123456789.eE-+tfnul\n\t';
    const rand = random(15);
    let accepted = 0;
    for (let trial = 0; trial < 4000; trial++) {
      const chars = [...base];
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
        const at = Math.floor(rand() * chars.length);
        const op = rand();
        if (op < 0.4) chars[at] = alphabet[Math.floor(rand() * alphabet.length)]!;
        else if (op < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[Math.floor(rand() * alphabet.length)]!);
      }
      const text = chars.join('');
      let expected: [string, unknown][] | null = null;
      try {
        const value = JSON.parse(text) as unknown;
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) expected = Object.entries(value);
      } catch { /* refused */ }
      let got: [string, unknown][] | null = null;
      try {
        got = members(text);
      } catch (e) {
        expect((e as Error).message).toMatch(/^f\.json: /);
        // The one difference: JSON.parse keeps the last of a repeated key, the walk refuses the object.
        if (/is given twice/.test((e as Error).message)) continue;
      }
      expect(got === null, text).toBe(expected === null);
      if (expected !== null) {
        accepted++;
        // Object.entries lists integer-like keys first; the walk keeps file order.
        expect(new Map(got!), text).toEqual(new Map(expected));
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
