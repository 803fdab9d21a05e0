// A folder in use by one process at a time: DIR/NAME is a folder (creating one is atomic) holding the holder's
// pid. A lock whose process is gone is taken over, atomically between processes that find it at once.
import fs from 'node:fs';
import path from 'node:path';
import { processExists } from '../checkpoint/node/files.js';

/** The experiment runner's lock of a run folder. */
export const RUN_LOCK = '.lock';

// The holder writes its pid right after creating the lock; a lock still without a valid pid after this long
// was left by a process that died in between.
const PIDLESS_GRACE_SECONDS = 10;

function readOr(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function ageSeconds(file: string): number {
  try {
    return (Date.now() - fs.statSync(file).mtimeMs) / 1000;
  } catch {
    return 0;
  }
}

/** The pid recorded in a lock, or null (no lock, or not written yet). */
export function lockHolder(dir: string, name = RUN_LOCK): number | null {
  const text = readOr(path.join(dir, name, 'pid'));
  const pid = text && /^\d+$/.test(text.trim()) ? Number(text) : 0;
  return pid > 0 ? pid : null;
}

/** Take DIR/NAME (DIR is created); false when a live process holds it. */
export function tryLock(dir: string, name = RUN_LOCK): boolean {
  const lock = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  try {
    fs.mkdirSync(lock);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const text = readOr(path.join(lock, 'pid'));
    const pid = lockHolder(dir, name);
    const abandoned = pid === null && ageSeconds(lock) > PIDLESS_GRACE_SECONDS;
    if ((pid !== null && !processExists(pid)) || abandoned) {
      // Two processes may find the same dead lock: moving it aside is atomic, so only one of them gets it, and a
      // lock that another process took over in the meantime (a different pid inside) is put back.
      const aside = `${lock}.stale-${process.pid}`;
      try {
        fs.renameSync(lock, aside);
      } catch {
        return false;
      }
      if (readOr(path.join(aside, 'pid')) !== text) {
        try {
          fs.renameSync(aside, lock);
        } catch { /* a third process holds it now */ }
        return false;
      }
      fs.rmSync(aside, { recursive: true, force: true });
      return tryLock(dir, name);
    }
    return false;
  }
  fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
  return true;
}

export function unlock(dir: string, name = RUN_LOCK): void {
  fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}
