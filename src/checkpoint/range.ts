// The byte range of a tensor a caller asked for, checked, and the buffer it is read into.
import type { TensorInfo } from './types.js';

/**
 * Check a byte range of a tensor and return the buffer to read it into: a view of `into` when given (callers
 * reuse buffers to bound memory), else a new one.
 */
export function rangeBuffer(info: TensorInfo, byteStart = 0, length?: number, into?: Uint8Array): Uint8Array {
  const len = length ?? info.byteLength - byteStart;
  if (!Number.isSafeInteger(byteStart) || !Number.isSafeInteger(len) || byteStart < 0 || len < 0 ||
      byteStart + len > info.byteLength) {
    throw new RangeError(`${info.name}: bytes [${byteStart}, ${byteStart + len}) lie outside its ${info.byteLength} bytes`);
  }
  if (into === undefined) return new Uint8Array(len);
  if (into.length < len) throw new RangeError(`${info.name}: buffer of ${into.length} bytes is too small for ${len}`);
  return into.subarray(0, len);
}
