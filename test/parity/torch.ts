// Helpers for PyTorch parity tests: run Debian's /usr/bin/python3 (the one with torch) on a folder of
// raw float32 files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

/** Why torch parity cannot run here, or null when it can. */
export function torchUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (install python3-torch)`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} has no torch (install python3-torch): ${(r.stderr || '').trim().split('\n').pop()}`;
}

export function tempCaseDir(prefix: string): string {
  const base = join(tmpdir(), 'wsel-parity');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

export function writeF32(path: string, data: Float32Array): void {
  writeFileSync(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  const out = new Float32Array(b.length / 4);
  Buffer.from(out.buffer).set(b);
  return out;
}

export function runPython(script: string, args: string[], timeoutMs = 120_000): string {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** max|a - b| / max|b| (b is the reference). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let md = 0;
  let mb = 0;
  for (let i = 0; i < b.length; i++) {
    md = Math.max(md, Math.abs(a[i]! - b[i]!));
    mb = Math.max(mb, Math.abs(b[i]!));
  }
  return mb === 0 ? md : md / mb;
}
