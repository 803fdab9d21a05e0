// JSON from files and flags, parsed with a nesting limit. JSON.parse itself copes with any depth, but what is
// done with the value afterwards (JSON.stringify, recursive checks, error messages) recurses and overflows the
// stack on hostile nesting; real configs, indexes and headers nest a few levels. Portable: no Node APIs.

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deepest nesting accepted (objects and arrays); Hugging Face configs use about 4. */
export const MAX_JSON_DEPTH = 64;

/** A check failed: `problem` is a sentence fragment that starts with the field, for the caller to place. */
export type JsonFail = (problem: string) => Error;

/**
 * Parse JSON text. `fail` turns a problem ("not valid JSON (...)", "field "x" nests deeper than 64 levels")
 * into the caller's error, which names the file (and the field that held the text, for embedded JSON).
 */
export function parseJson(text: string, fail: JsonFail, maxDepth = MAX_JSON_DEPTH): unknown {
  const deep = tooDeep(text, maxDepth);
  if (deep !== null) throw fail(`${deep} nests deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // V8 quotes the text around the error, which may span lines: keep the message on one.
    throw fail(`not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
}

/** parseJson for text that must hold an object. */
export function parseJsonObject(text: string, fail: JsonFail, maxDepth = MAX_JSON_DEPTH): Record<string, unknown> {
  const value = parseJson(text, fail, maxDepth);
  if (!isObject(value)) throw fail(`expected a JSON object, got ${preview(value)}`);
  return value;
}

/**
 * Where text first nests deeper than `maxDepth` ("field "x"", "item 3" or "the value"), or null. One pass over
 * the characters, before anything is allocated; strings are skipped so brackets inside them do not count.
 */
function tooDeep(text: string, maxDepth: number): string | null {
  let depth = 0;
  let topIsObject = false;
  let item = 0;
  let key: string | null = null;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: skip to its closing quote
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (depth === 1 && topIsObject && expectKey) {
        key = text.slice(start + 1, Math.min(i, start + 81));
        expectKey = false;
      }
    } else if (c === 0x7b || c === 0x5b) { // { [
      if (depth === 0) {
        topIsObject = c === 0x7b;
        expectKey = topIsObject;
      }
      if (++depth > maxDepth) {
        if (!topIsObject) return depth === 1 ? 'the value' : `item ${item}`;
        return key === null ? 'the value' : `field ${JSON.stringify(key)}`;
      }
    } else if (c === 0x7d || c === 0x5d) { // } ]
      depth--;
    } else if (c === 0x2c && depth === 1) { // , between top-level members
      item++;
      expectKey = topIsObject;
    }
  }
  return null;
}

/** A short, one-line rendering of a value for error messages (long values are cut). */
export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * Walk the members of a top-level JSON object without building it: `onMember` gets each key and the text of its
 * value (for parseJson). Memory then holds one member's value at a time, not the whole object, which matters for
 * a safetensors header listing a million tensors. Checks the object's own syntax and the nesting limit (counting
 * the object itself); each value's syntax is checked when the caller parses it. A key given twice is refused.
 */
export function forEachJsonMember(text: string, fail: JsonFail, onMember: (key: string, valueText: string) => void,
  maxDepth = MAX_JSON_DEPTH): void {
  let i = 0;
  const syntax = (what: string): never => {
    throw fail(`not valid JSON (${what} at position ${i})`);
  };
  const skipSpace = (): void => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  };
  // From an opening quote at i, to just past the closing one; returns whether the string has escapes.
  const skipString = (): boolean => {
    let escaped = false;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return escaped;
      }
      if (c === 0x5c) {
        escaped = true;
        i++;
      } else if (c < 0x20) {
        syntax('a control character in a string');
      }
    }
    return syntax('an unterminated string');
  };
  const unescape = (token: string): string => {
    try {
      return JSON.parse(token) as string;
    } catch {
      return syntax('a bad escape in a key');
    }
  };
  const seen = new Set<string>();
  skipSpace();
  if (text.charCodeAt(i) !== 0x7b) throw fail('expected a JSON object');
  i++;
  skipSpace();
  if (text.charCodeAt(i) === 0x7d) {
    i++;
  } else {
    for (;;) {
      if (text.charCodeAt(i) !== 0x22) syntax('expected a string key');
      const keyStart = i;
      const key = skipString() ? unescape(text.slice(keyStart, i)) : text.slice(keyStart + 1, i - 1);
      if (seen.has(key)) throw fail(`field ${preview(key)} is given twice`);
      seen.add(key);
      skipSpace();
      if (text.charCodeAt(i) !== 0x3a) syntax('expected ":"');
      i++;
      skipSpace();
      const valueStart = i;
      let depth = 1;
      // A value ends at the comma or brace that closes it at the object's own level.
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x22) {
          skipString();
          i--;
        } else if (c === 0x7b || c === 0x5b) {
          if (++depth > maxDepth) throw fail(`field ${preview(key)} nests deeper than ${maxDepth} levels`);
        } else if (c === 0x7d || c === 0x5d) {
          if (depth === 1) break;
          depth--;
        } else if (c === 0x2c && depth === 1) {
          break;
        }
      }
      onMember(key, text.slice(valueStart, i));
      if (text.charCodeAt(i) === 0x2c) {
        i++;
        skipSpace();
        continue;
      }
      if (text.charCodeAt(i) !== 0x7d) syntax('expected "," or "}"');
      i++;
      break;
    }
  }
  skipSpace();
  if (i < text.length) syntax('unexpected text after the object');
}
