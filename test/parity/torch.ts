// Helpers for PyTorch parity tests: run Debian's /usr/bin/python3 (the one with torch) on a folder of
// raw float32 files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TORCH_PYTHON as PYTHON } from '../requirements.js';

const caseDirs: string[] = [];

/** A fresh folder for one case's files; `removeCaseDirs` (in afterAll) deletes them all. */
export function tempCaseDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wsel-parity-${prefix}-`));
  caseDirs.push(dir);
  return dir;
}

export function removeCaseDirs(): void {
  for (const dir of caseDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
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
