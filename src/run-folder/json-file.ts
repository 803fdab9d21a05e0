// JSON files that are either whole or absent: written to a temp file beside the target (the temp files of
// processes that died mid-write are removed on the way, see tempPathFor), synced, and renamed into place.
import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir, tempPathFor } from '../checkpoint/node/files.js';

/** Write `value` as indented JSON (a string, e.g. JSON lines, is written as it is) atomically: temp file + rename. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = tempPathFor(file);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(file));
}
