// Run the `wsel` binary as a user would and report what a robustness test checks: exit code or signal, output,
// wall time and peak memory (measured inside the process, so no external tool is needed).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers.js';

export interface WselRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak resident memory; null when the process died before its exit handlers ran. */
  maxRssMiB: number | null;
}

const PRELOAD = path.join(REPO_ROOT, 'scripts/max-rss.mjs');
let runs = 0;

/** Run `wsel args...`; a run over `timeoutMs` is killed (SIGKILL) and reported with that signal. */
export function runWsel(args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<WselRun> {
  const rssFile = path.join(os.tmpdir(), `wsel-rss-${process.pid}-${runs++}`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, path.join(REPO_ROOT, 'bin/wsel.js'), ...args], {
      cwd: opts.cwd ?? REPO_ROOT, env: { ...process.env, WSEL_MAX_RSS_FILE: rssFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssMiB: number | null = null;
      try {
        maxRssMiB = (JSON.parse(fs.readFileSync(rssFile, 'utf8')) as { maxRSS: number }).maxRSS / 1024;
        fs.rmSync(rssFile);
      } catch { /* no exit handler ran */ }
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000, maxRssMiB });
    });
  });
}
