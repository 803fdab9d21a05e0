// Training-step benchmark: our engine vs PyTorch (bench/train_reference.py, /usr/bin/python3,
// torch.set_num_threads(2)) on the same workloads, one AdamW step at batch 64 on random data.
//
//   npm run bench:train -- [--workload vit_tiny_28|convnext_femto_32|all] [--steps 10] [--warmup 2] [--threads 2] [--no-torch]
//
// Prints ms/step (median over the timed steps) and peak RSS for each side, and ours / PyTorch.
// Each side runs in its own process so peak RSS is not shared. CPU time per step (all threads) is
// printed too: on a machine shared with other work it is steadier than wall time.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchTrain, TRAIN_WORKLOADS, type BenchTrainResult } from '../src/engine/bench-train.js';
import { initParallel } from '../src/engine/parallel.js';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

interface TorchResult { workload: string; msPerStepMedian: number; cpuMsPerStepMedian: number; peakRssMiB: number; threads: number; torch: string }

function runTorch(workload: string, steps: number, warmup: number, threads: number): TorchResult | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, [join(here, 'train_reference.py'), '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads), workload],
    { encoding: 'utf8', timeout: 30 * 60_000 });
  if (r.status !== 0) return `PyTorch reference failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
}

/** Our side in a child process (clean peak RSS); `--child` runs one workload and prints JSON. */
function runOurs(workload: string, steps: number, warmup: number, threads: number): BenchTrainResult {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', workload, '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads)],
    { encoding: 'utf8', timeout: 30 * 60_000, env: threads === 1 ? { ...process.env, WSEL_THREADS: '1' } : process.env });
  if (r.status !== 0) throw new Error(`benchmark child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as BenchTrainResult;
}

const steps = Number(arg('steps', '10'));
const warmup = Number(arg('warmup', '2'));
const threads = Number(arg('threads', '2'));
const child = arg('child', '');
if (child) {
  // Elementwise kernels get a helper thread unless the run is single-threaded.
  if (threads > 1) await initParallel();
  console.log(JSON.stringify(benchTrain({ workload: child, steps, warmup, threads })));
} else {
  const w = arg('workload', 'all');
  const names = w === 'all' ? Object.keys(TRAIN_WORKLOADS) : [w];
  const withTorch = !process.argv.includes('--no-torch');
  for (const name of names) {
    if (!TRAIN_WORKLOADS[name]) throw new Error(`unknown workload '${name}'; known: ${Object.keys(TRAIN_WORKLOADS).join(', ')}`);
    const ours = runOurs(name, steps, warmup, threads);
    console.log(`${name}: wsel  ${ours.msPerStepMedian.toFixed(1)} ms/step (median of ${ours.steps}; CPU ${ours.cpuMsPerStepMedian.toFixed(0)} ms), peak RSS ${ours.peakRssMiB.toFixed(0)} MiB, BLAS ${ours.backend} x${ours.threads}, elementwise x${ours.elementwiseThreads}`);
    if (!withTorch) continue;
    const t = runTorch(name, steps, warmup, threads);
    if (typeof t === 'string') {
      console.log(`${name}: PyTorch skipped (${t})`);
      continue;
    }
    console.log(`${name}: torch ${t.msPerStepMedian.toFixed(1)} ms/step (median of ${steps}; CPU ${t.cpuMsPerStepMedian.toFixed(0)} ms), peak RSS ${t.peakRssMiB.toFixed(0)} MiB, torch ${t.torch} x${t.threads}`);
    console.log(`${name}: ratio wsel/torch = ${(ours.msPerStepMedian / t.msPerStepMedian).toFixed(2)}`);
  }
}
