// Minimal synchronous zip reader for PyTorch checkpoints: the central directory (zip64 included) and the data
// offset of stored members. Checkpoint readers are synchronous, and yauzl's API is callback-only, so this small
// parser does the work; the tests check it against yauzl on the same archives.
import { decodeUtf8, viewOf } from './bytes.js';
import { readAt, type ByteSource } from './source.js';
import { CheckpointError } from './types.js';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate, ... */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_CENTRAL_DIRECTORY = 1 << 30;

/** Little-endian fields of a block read from the file. */
class Fields {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly file: string) {
    this.view = viewOf(bytes);
  }
  get length(): number {
    return this.bytes.length;
  }
  u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  // 64-bit fields as numbers: exact up to 2^53, far beyond any real file.
  u64(at: number): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(this.file, 'corrupt zip: 64-bit field out of range');
    return Number(v);
  }
}

function read(source: ByteSource, position: number, length: number, what: string): Fields {
  return new Fields(readAt(source, position, length, what), source.name);
}

/** List the members of a zip file from its central directory. */
export function readZipDirectory(source: ByteSource): ZipEntry[] {
  const file = source.name;
  const size = source.size;
  // The end record (22 bytes) is followed by a comment of at most 65535 bytes.
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = read(source, size - tailLength, tailLength, 'the zip end record');
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.u32(i) === EOCD_SIG && i + 22 + tail.u16(i + 20) <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CheckpointError(file, 'not a zip file, or truncated: no end of central directory record');
  const eocdPos = size - tailLength + eocd;
  let count = tail.u16(eocd + 10);
  let cdSize = tail.u32(eocd + 12);
  let cdOffset = tail.u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // A maxed-out field means the real value is in the zip64 end record, found through its locator.
    if (eocdPos < 20) throw new CheckpointError(file, 'corrupt zip: zip64 locator missing');
    const locator = read(source, eocdPos - 20, 20, 'the zip64 locator');
    if (locator.u32(0) !== ZIP64_LOCATOR_SIG) throw new CheckpointError(file, 'corrupt zip: zip64 locator missing');
    const recordPos = locator.u64(8);
    const record = read(source, recordPos, 56, 'the zip64 end record');
    if (record.u32(0) !== ZIP64_EOCD_SIG) throw new CheckpointError(file, 'corrupt zip: bad zip64 end record');
    count = record.u64(32);
    cdSize = record.u64(40);
    cdOffset = record.u64(48);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size) {
    throw new CheckpointError(file, `corrupt or truncated zip: central directory [${cdOffset}, ${cdOffset + cdSize}) outside the ${size}-byte file`);
  }
  const cd = read(source, cdOffset, cdSize, 'the zip central directory');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.u32(p) !== CENTRAL_SIG) throw new CheckpointError(file, 'corrupt zip: bad central directory entry');
    const nameLength = cd.u16(p + 28);
    const extraLength = cd.u16(p + 30);
    const commentLength = cd.u16(p + 32);
    if (p + 46 + nameLength + extraLength + commentLength > cd.length) throw new CheckpointError(file, 'corrupt zip: central directory entry overruns');
    let uncompressedSize = cd.u32(p + 24);
    let compressedSize = cd.u32(p + 20);
    let localHeaderOffset = cd.u32(p + 42);
    const extra = new Fields(cd.bytes.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), file);
    // zip64 extra field (id 1): holds, in this order, each of the three values that is maxed out above.
    for (let q = 0; q + 4 <= extra.length;) {
      const id = extra.u16(q);
      const len = extra.u16(q + 2);
      if (id === 1) {
        let r = q + 4;
        const next = (): number => {
          if (r + 8 > q + 4 + len) throw new CheckpointError(file, 'corrupt zip: short zip64 extra field');
          const v = extra.u64(r);
          r += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      q += 4 + len;
    }
    entries.push({
      name: decodeUtf8(cd.bytes.subarray(p + 46, p + 46 + nameLength)),
      flags: cd.u16(p + 8),
      method: cd.u16(p + 10),
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Absolute offset of a stored member's bytes: after its local header (30 bytes + name + extra; the local extra
 * length can differ from the central one, PyTorch uses it to pad data to 64 bytes). Compressed or encrypted
 * members are refused: tensors are read in place.
 */
export function memberDataOffset(source: ByteSource, entry: ZipEntry): number {
  const file = source.name;
  if (entry.flags & 1) throw new CheckpointError(file, `zip member ${entry.name} is encrypted`);
  if (entry.method !== 0 || entry.compressedSize !== entry.uncompressedSize) {
    throw new CheckpointError(file, `zip member ${entry.name} is compressed (method ${entry.method}); only stored (uncompressed) members can be read in place, as torch.save writes them`);
  }
  const header = read(source, entry.localHeaderOffset, 30, `the local header of ${entry.name}`);
  if (header.u32(0) !== LOCAL_SIG) throw new CheckpointError(file, `corrupt zip: bad local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + header.u16(26) + header.u16(28);
  const size = source.size;
  if (start + entry.uncompressedSize > size) {
    throw new CheckpointError(file, `truncated: zip member ${entry.name} needs bytes up to ${start + entry.uncompressedSize} but the file has only ${size}`);
  }
  return start;
}
