// Little-endian fields, text and name order over plain Uint8Arrays (no Node Buffer), for the format parsers.

/** A DataView over exactly these bytes. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const utf8Decoder = new TextDecoder('utf-8');
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text; malformed sequences become U+FFFD (as Python's errors="replace"). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** UTF-8 text; malformed sequences throw a TypeError. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  return strictUtf8Decoder.decode(bytes);
}

/** ISO-8859-1 text (one character per byte). TextDecoder's "latin1" is windows-1252, which differs at 0x80-0x9f. */
export function decodeLatin1(bytes: Uint8Array): string {
  let out = '';
  // Bounded chunks: spreading a whole buffer into one call could exceed the engine's argument limit.
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

const encoder = new TextEncoder();

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Compare strings by UTF-8 bytes (= code points), as Rust and Python sort, not by UTF-16 units. A lone
 * surrogate counts as U+FFFD, which is what it becomes in UTF-8.
 */
export function compareUtf8(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = codePointAt(a, i);
    const y = codePointAt(b, j);
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

function codePointAt(s: string, i: number): number {
  const c = s.codePointAt(i)!;
  return c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
}
