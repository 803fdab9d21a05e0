// The CLI tests run the real `wsel` binary, which runs the compiled dist/: compile it once, fresh.
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './helpers.js';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
