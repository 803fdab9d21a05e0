// Files as byte sources and sinks (Node only). Reads are positioned and looping, offsets plain numbers (exact to
// 2^53), so files past 4 GiB work. A sink writes a temp file beside its target, fsyncs it and renames it into
// place on publish, so a target is always either its previous or its complete new content.
import fs from 'node:fs';
import path from 'node:path';
import type { ByteSink, ByteSource } from '../source.js';
import { CheckpointError } from '../types.js';

// One readSync/writeSync call moves at most ~2 GiB; larger requests are split.
const MAX_IO = 1 << 30;
// Small writes are gathered into one buffer of this size before they reach the file.
const BUFFER_BYTES = 8 << 20;

export function osError(file: string, e: unknown): CheckpointError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CheckpointError(file, 'no such file');
  if (code === 'EISDIR') return new CheckpointError(file, 'is a directory, expected a file');
  return new CheckpointError(file, e instanceof Error ? e.message : String(e));
}

/** A file read with positioned reads; its descriptor is opened on the first read and released by close(). */
export function fileSource(file: string): ByteSource & { close(): void } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw osError(file, e);
  }
  if (stat.isDirectory()) throw new CheckpointError(file, 'is a directory, expected a file');
  let fd: number | undefined;
  return {
    name: file,
    size: stat.size,
    read(offset, into) {
      if (fd === undefined) {
        try {
          fd = fs.openSync(file, 'r');
        } catch (e) {
          throw osError(file, e);
        }
      }
      let done = 0;
      while (done < into.length) {
        const n = fs.readSync(fd, into, done, Math.min(into.length - done, MAX_IO), offset + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
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

/**
 * Delete `<prefix><pid>` entries of `dir` whose process no longer exists: what a run killed with SIGKILL left
 * behind (files or folders).
 */
export function removeDeadTemps(dir: string, prefix: string): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch { /* the folder does not exist yet: creating the temp file reports it */ }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processExists(pid)) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * The temp file that becomes `file` on rename: `file.tmp-PID`. Temp files of `file` left by processes that no
 * longer exist (killed mid-write) are deleted first, so an interrupted run leaves nothing behind for long.
 */
export function tempPathFor(file: string): string {
  removeDeadTemps(path.dirname(file), `${path.basename(file)}.tmp-`);
  return `${file}.tmp-${process.pid}`;
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

/** Write all of `buf` at the fd's current position. */
function writeFully(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, Math.min(buf.length - done, MAX_IO));
  }
}

/** A sink writing `file` through its temp file (see tempPathFor); publish() renames it into place. */
export function fileSink(file: string): ByteSink {
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
  } catch (e) {
    throw osError(tmp, e);
  }
  let buf: Uint8Array | undefined;
  let fill = 0;
  let state: 'open' | 'finished' | 'published' | 'aborted' = 'open';
  const flush = (): void => {
    if (fill > 0 && fd !== undefined && buf !== undefined) writeFully(fd, buf.subarray(0, fill));
    fill = 0;
  };
  const closeFd = (): void => {
    if (fd === undefined) return;
    const open = fd;
    fd = undefined;
    fs.closeSync(open);
  };
  return {
    name: file,
    write(bytes) {
      if (state !== 'open' || fd === undefined) throw new CheckpointError(file, `write after ${state}`);
      if (bytes.length >= BUFFER_BYTES) {
        // Large chunks go straight to the file instead of being copied through the buffer.
        flush();
        writeFully(fd, bytes);
        return;
      }
      buf ??= new Uint8Array(BUFFER_BYTES);
      if (fill + bytes.length > buf.length) flush();
      buf.set(bytes, fill);
      fill += bytes.length;
    },
    finish() {
      if (state === 'finished') return;
      if (state !== 'open' || fd === undefined) throw new CheckpointError(file, `finish after ${state}`);
      flush();
      fs.fsyncSync(fd);
      closeFd();
      buf = undefined; // free the buffer while other files are being written
      state = 'finished';
    },
    publish() {
      if (state !== 'finished') throw new CheckpointError(file, 'publish before finish');
      fs.renameSync(tmp, file);
      state = 'published';
      fsyncDir(path.dirname(file));
    },
    abort() {
      if (state === 'published') return;
      try {
        closeFd();
      } catch {
        // Already unusable; removing the temp file is what matters.
      }
      fs.rmSync(tmp, { force: true });
      state = 'aborted';
    },
  };
}
