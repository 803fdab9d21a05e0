// Shared test utilities: temp folders and the PyTorch reference interpreter.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's python3-torch installs torch for the system interpreter only. */
export const TORCH_PYTHON = '/usr/bin/python3';

let torchChecked: boolean | undefined;
export function hasTorch(): boolean {
  torchChecked ??= spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  return torchChecked;
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
