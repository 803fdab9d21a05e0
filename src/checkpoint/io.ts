// Positioned, looping file I/O shared by the readers and writers. Offsets are plain numbers (exact to 2^53),
// never 32-bit arithmetic, so files past 4 GiB work.
import fs from 'node:fs';
import path from 'node:path';
import { CheckpointError, type TensorInfo } from './types.js';

// One readSync/writeSync call moves at most ~2 GiB; larger requests are split.
const MAX_IO = 1 << 30;

/**
 * The temp file that becomes `file` on rename: `file.tmp-PID`. Temp files of `file` left by processes that no
 * longer exist (killed mid-write) are deleted first, so an interrupted run leaves nothing behind for long.
 */
export function tempPathFor(file: string): string {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch { /* the folder does not exist yet: opening the temp file reports it */ }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processExists(pid)) fs.rmSync(path.join(dir, name), { force: true });
  }
  return `${file}.tmp-${process.pid}`;
}

/** Whether a process with this pid is running (EPERM: it exists but belongs to someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Open a file read-only, turning "missing" and other OS errors into CheckpointErrors naming the file. */
export function openReadOnly(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    throw osError(file, e);
  }
}

export function osError(file: string, e: unknown): CheckpointError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CheckpointError(file, 'no such file');
  if (code === 'EISDIR') return new CheckpointError(file, 'is a directory, expected a file');
  return new CheckpointError(file, e instanceof Error ? e.message : String(e));
}

export function fileSize(fd: number): number {
  return fs.fstatSync(fd).size;
}

/** Fill `buf` from `position`; a short read (file ends early) is a CheckpointError saying what was being read. */
export function readFully(fd: number, file: string, buf: Uint8Array, position: number, what: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, Math.min(buf.length - done, MAX_IO), position + done);
    if (n === 0) {
      throw new CheckpointError(
        file,
        `truncated: ${what} needs bytes up to ${position + buf.length} but the file ends at ${position + done}`,
      );
    }
    done += n;
  }
}

/** Write all of `buf` at the fd's current position. */
export function writeFully(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, Math.min(buf.length - done, MAX_IO));
  }
}

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

/** Best-effort fsync of a folder, so that renames into it survive a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the data itself was already synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Compare strings by UTF-8 bytes (= code points), as Rust and Python sort, not by UTF-16 units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
