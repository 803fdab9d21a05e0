// JSON files that are either whole or absent: written to a temp file and renamed into place.
import fs from 'node:fs';
import { tempPathFor } from '../checkpoint/node/files.js';

/** Write `value` as indented JSON (a string is written as it is) atomically: temp file + rename. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = tempPathFor(file);
  fs.writeFileSync(tmp, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
