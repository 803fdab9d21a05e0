// The CLI tests run the real `wsel` binary, which runs the compiled dist/: compile it once, fresh.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './helpers.js';

export default function setup(): void {
  // As `npm run build` does: a module moved or removed since the last build must not linger in dist/ (the
  // packed-tarball test would ship it).
  rmSync(path.join(REPO_ROOT, 'dist'), { recursive: true, force: true });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
