// `wsel bench train`: one AdamW training step at batch 64 on fixed workloads, our engine against PyTorch
// (bench/train_reference.py under Debian's /usr/bin/python3) in the same run. Each side runs in its own
// process so that peak RSS is its own. Prints figures; asserts nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parseIntArg, UsageError } from './common.js';

const TORCH_PYTHON = '/usr/bin/python3';
const REFERENCE = fileURLToPath(new URL('../../bench/train_reference.py', import.meta.url));
const WSEL_BIN = fileURLToPath(new URL('../../bin/wsel.js', import.meta.url));

interface Side {
  msPerStepMedian: number;
  cpuMsPerStepMedian: number;
  peakRssMiB: number;
  threads: number;
}

interface BenchFlags {
  workload: string;
  steps: string;
  warmup: string;
  threads: string;
  torch: boolean;
  json?: boolean;
  child?: boolean;
}

function lastJsonLine<T>(text: string): T {
  return JSON.parse(text.trim().split('\n').pop()!) as T;
}

function runOurs(workload: string, steps: number, warmup: number, threads: number) {
  const args = [WSEL_BIN, 'bench', 'train', '--child', '--workload', workload, '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: threads === 1 ? { ...process.env, WSEL_THREADS: '1' } : process.env });
  if (r.status !== 0) throw new Error(`benchmark child failed: ${r.stderr}`);
  return lastJsonLine<Side & { backend: string; elementwiseThreads: number; steps: number }>(r.stdout);
}

function runTorch(workload: string, steps: number, warmup: number, threads: number): (Side & { torch: string }) | string {
  if (!existsSync(TORCH_PYTHON)) return `${TORCH_PYTHON} not found`;
  const r = spawnSync(TORCH_PYTHON, [REFERENCE, '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads), workload], { encoding: 'utf8' });
  if (r.status !== 0) return `PyTorch reference failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return lastJsonLine(r.stdout);
}

export function benchCommand(): Command {
  const bench = new Command('bench').summary('benchmarks that print measured figures');
  bench.addCommand(new Command('train')
    .summary('ms/step and peak RSS of one training step, against PyTorch in the same run')
    .description('Time one AdamW training step at batch 64 on random data (median over the timed steps after\n'
      + 'warm-up) and report peak RSS, for our engine and, where /usr/bin/python3 has torch, the same\n'
      + 'workload in PyTorch, with the ratio. Workloads: vit_tiny_28 (ViT, 28x28x1, patch 4, width 192, depth\n'
      + '12, 3 heads) and convnext_femto_32 (ConvNeXt, 32x32x3, depths 2,2,6,2, dims 48,96,192,384).\n'
      + 'CPU time per step is printed too: on a busy machine it is steadier than wall time.')
    .option('--workload <name>', 'vit_tiny_28, convnext_femto_32 or all', 'all')
    .option('--steps <n>', 'timed steps (at least 10 for a stable median)', '10')
    .option('--warmup <n>', 'untimed steps first', '2')
    .option('--threads <n>', 'threads for both sides (BLAS, and our elementwise helper thread)', '2')
    .option('--no-torch', 'skip the PyTorch side')
    .option('--json', 'print the results as JSON')
    .addOption(new Command().createOption('--child', 'run one workload in this process and print JSON').hideHelp())
    .addHelpText('after', '\nExamples:\n  wsel bench train --workload vit_tiny_28\n  WSEL_BLAS=wasm wsel bench train --no-torch   # the portable backend\n')
    .action(async (flags: BenchFlags) => {
      const { benchTrain, TRAIN_WORKLOADS } = await import('../bench/train.js');
      const steps = parseIntArg('--steps', flags.steps, 1);
      const warmup = parseIntArg('--warmup', flags.warmup, 0);
      const threads = parseIntArg('--threads', flags.threads, 1);
      const names = flags.workload === 'all' ? Object.keys(TRAIN_WORKLOADS) : [flags.workload];
      for (const name of names) {
        if (!TRAIN_WORKLOADS[name]) throw new UsageError(`unknown workload "${name}"; known: ${Object.keys(TRAIN_WORKLOADS).join(', ')}`);
      }
      if (flags.child) {
        if (threads > 1) await (await import('../engine/index.js')).initThreads();
        process.stdout.write(`${JSON.stringify(benchTrain({ workload: names[0]!, steps, warmup, threads }))}\n`);
        return;
      }
      const results = [];
      for (const name of names) {
        const ours = runOurs(name, steps, warmup, threads);
        const torch = flags.torch ? runTorch(name, steps, warmup, threads) : 'skipped (--no-torch)';
        const ratio = typeof torch === 'string' ? null : ours.msPerStepMedian / torch.msPerStepMedian;
        results.push({ workload: name, ours, torch, ratio });
        if (flags.json) continue;
        process.stdout.write(`${name}: wsel  ${ours.msPerStepMedian.toFixed(1)} ms/step (median of ${ours.steps}; CPU ${ours.cpuMsPerStepMedian.toFixed(0)} ms), `
          + `peak RSS ${ours.peakRssMiB.toFixed(0)} MiB, BLAS ${ours.backend} x${ours.threads}, elementwise x${ours.elementwiseThreads}\n`);
        if (typeof torch === 'string') {
          process.stdout.write(`${name}: PyTorch ${torch}\n`);
          continue;
        }
        process.stdout.write(`${name}: torch ${torch.msPerStepMedian.toFixed(1)} ms/step (median of ${steps}; CPU ${torch.cpuMsPerStepMedian.toFixed(0)} ms), `
          + `peak RSS ${torch.peakRssMiB.toFixed(0)} MiB, torch ${torch.torch} x${torch.threads}\n`);
        process.stdout.write(`${name}: ratio wsel/torch = ${ratio!.toFixed(2)} (CPU time ratio ${(ours.cpuMsPerStepMedian / torch.cpuMsPerStepMedian).toFixed(2)})\n`);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    }));
  return bench;
}
