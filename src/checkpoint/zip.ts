// Minimal synchronous zip reader for PyTorch checkpoints: the central directory (zip64 included) and the data
// offset of stored members. Checkpoint readers are synchronous, and yauzl's API is callback-only, so this small
// parser does the work; the tests check it against yauzl on the same archives.
import { fileSize, readFully } from './io.js';
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

function read(fd: number, file: string, position: number, length: number, what: string): Buffer {
  const buf = Buffer.alloc(length);
  readFully(fd, file, buf, position, what);
  return buf;
}

// 64-bit fields as numbers: exact up to 2^53, far beyond any real file.
function u64(buf: Buffer, at: number, file: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(file, 'corrupt zip: 64-bit field out of range');
  return Number(v);
}

/** List the members of a zip file from its central directory. */
export function readZipDirectory(fd: number, file: string): ZipEntry[] {
  const size = fileSize(fd);
  // The end record (22 bytes) is followed by a comment of at most 65535 bytes.
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = read(fd, file, size - tailLength, tailLength, 'the zip end record');
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CheckpointError(file, 'not a zip file, or truncated: no end of central directory record');
  const eocdPos = size - tailLength + eocd;
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // A maxed-out field means the real value is in the zip64 end record, found through its locator.
    if (eocdPos < 20) throw new CheckpointError(file, 'corrupt zip: zip64 locator missing');
    const locator = read(fd, file, eocdPos - 20, 20, 'the zip64 locator');
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) throw new CheckpointError(file, 'corrupt zip: zip64 locator missing');
    const recordPos = u64(locator, 8, file);
    const record = read(fd, file, recordPos, 56, 'the zip64 end record');
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new CheckpointError(file, 'corrupt zip: bad zip64 end record');
    count = u64(record, 32, file);
    cdSize = u64(record, 40, file);
    cdOffset = u64(record, 48, file);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size) {
    throw new CheckpointError(file, `corrupt or truncated zip: central directory [${cdOffset}, ${cdOffset + cdSize}) outside the ${size}-byte file`);
  }
  const cd = read(fd, file, cdOffset, cdSize, 'the zip central directory');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw new CheckpointError(file, 'corrupt zip: bad central directory entry');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLength + extraLength + commentLength > cd.length) throw new CheckpointError(file, 'corrupt zip: central directory entry overruns');
    let uncompressedSize = cd.readUInt32LE(p + 24);
    let compressedSize = cd.readUInt32LE(p + 20);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
    // zip64 extra field (id 1): holds, in this order, each of the three values that is maxed out above.
    for (let q = 0; q + 4 <= extra.length;) {
      const id = extra.readUInt16LE(q);
      const len = extra.readUInt16LE(q + 2);
      if (id === 1) {
        let r = q + 4;
        const next = (): number => {
          if (r + 8 > q + 4 + len) throw new CheckpointError(file, 'corrupt zip: short zip64 extra field');
          const v = u64(extra, r, file);
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
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
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
export function memberDataOffset(fd: number, file: string, entry: ZipEntry): number {
  if (entry.flags & 1) throw new CheckpointError(file, `zip member ${entry.name} is encrypted`);
  if (entry.method !== 0 || entry.compressedSize !== entry.uncompressedSize) {
    throw new CheckpointError(file, `zip member ${entry.name} is compressed (method ${entry.method}); only stored (uncompressed) members can be read in place, as torch.save writes them`);
  }
  const header = read(fd, file, entry.localHeaderOffset, 30, `the local header of ${entry.name}`);
  if (header.readUInt32LE(0) !== LOCAL_SIG) throw new CheckpointError(file, `corrupt zip: bad local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const size = fileSize(fd);
  if (start + entry.uncompressedSize > size) {
    throw new CheckpointError(file, `truncated: zip member ${entry.name} needs bytes up to ${start + entry.uncompressedSize} but the file has only ${size}`);
  }
  return start;
}
