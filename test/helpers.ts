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

/**
 * A temp folder, made on first use: a test file whose tests are all skipped never runs its afterAll, so a
 * folder made up front would be left behind.
 */
export function makeTmpDir(prefix = 'wsel-test-'): { readonly dir: string; file(name: string): string; cleanup(): void } {
  let made: string | undefined;
  const dir = (): string => (made ??= mkdtempSync(path.join(tmpdir(), prefix)));
  return {
    get dir() {
      return dir();
    },
    file: (name) => path.join(dir(), name),
    cleanup: () => {
      if (made !== undefined) rmSync(made, { recursive: true, force: true });
    },
  };
}

export const REPO_ROOT = path.resolve(new URL('..', import.meta.url).pathname);

/**
 * Node flags for the `wsel` binary: without concurrent recompilation, so that Node 20's deadlock at exit
 * (nodejs/node#54918, a background compile job waiting on the main thread) cannot hang a test.
 */
export const WSEL_NODE_FLAGS = ['--no-concurrent-recompilation'];

/** Run the real `wsel` binary (compiled dist/, built by the global setup) from the repository root. */
export function wsel(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...WSEL_NODE_FLAGS, path.join(REPO_ROOT, 'bin/wsel.js'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
