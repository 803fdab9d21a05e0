// Shared test utilities: temp folders and the PyTorch reference interpreter.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { available, TORCH_PYTHON } from './requirements.js';

export { TORCH_PYTHON };

/** PyTorch is there (outside CI: a skip line is printed when it is not; in CI: throws). */
export function hasTorch(): boolean {
  return available('pytorch');
}

export function runPython(args: string[]): string {
  const r = spawnSync(TORCH_PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

export function makeTmpDir(prefix = 'wsel-test-'): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const REPO_ROOT = path.resolve(new URL('..', import.meta.url).pathname);

/** Run the real `wsel` binary (compiled dist/, built by the global setup) from the repository root. */
export function wsel(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/wsel.js'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
