// `wsel bench train`: one AdamW training step at batch 64 on fixed workloads, the engine (each
// matrix-product backend) against PyTorch (each thread configuration, bench/train_reference.py under
// Debian's /usr/bin/python3) in the same run. Prints figures; asserts nothing.
import { Command } from 'commander';
import { parseIntArg, UsageError } from './common.js';

interface BenchFlags {
  workload: string;
  steps: string;
  warmup: string;
  rounds: string;
  profileSteps: string;
  backends?: string;
  threads?: string;
  torch: boolean;
  json?: boolean;
  child?: boolean;
}

const BACKENDS = ['openblas', 'wasm', 'typescript'];

export function benchCommand(): Command {
  const bench = new Command('bench').summary('benchmarks that print measured figures');
  bench.addCommand(new Command('train')
    .summary('one training step: the engine against PyTorch at its fastest, in the same run')
    .description('Time one AdamW training step at batch 64 on random data (median over the timed steps after\n'
      + 'warm-up) for the engine on each matrix-product backend, on every core (its default) and on one\n'
      + 'thread, and for the same workload in PyTorch\n'
      + '(/usr/bin/python3 with torch) under each of its thread configurations: its default,\n'
      + 'torch.set_num_threads(1 and 2), each with OpenBLAS on its own threads or on one, and its default and\n'
      + 'set_num_threads(1) with OPENBLAS_THREAD_TIMEOUT=4 (idle OpenBLAS threads sleep at once, as the\n'
      + 'engine loads it). Sides run in their\n'
      + 'own processes, interleaved over --rounds, so load from other work falls on all alike. The table\n'
      + 'gives ms/step, CPU time, effective GFLOP/s (the step\'s FLOPs are computed from the op shapes), the\n'
      + 'share of the step spent in matrix products (from profiled steps run after the timed ones: the\n'
      + 'engine\'s timers, torch.profiler) and peak RSS, then the ratios to PyTorch\'s fastest\n'
      + 'configuration and between the backends.\n\n'
      + 'Workloads: vit_tiny_28 (ViT, 28x28x1, patch 4, width 192, depth 12, 3 heads) and\n'
      + 'convnext_femto_32 (ConvNeXt, 32x32x3, depths 2,2,6,2, dims 48,96,192,384).')
    .option('--workload <name>', 'vit_tiny_28, convnext_femto_32 or all', 'all')
    .option('--backends <list>', 'engine backends to run, comma-separated: openblas, wasm, typescript (default: openblas,wasm; wasm alone without the addon)')
    .option('--steps <n>', 'timed steps per process', '10')
    .option('--warmup <n>', 'untimed steps first', '2')
    .option('--rounds <n>', 'interleaved rounds of every side', '2')
    .option('--profile-steps <n>', 'profiled steps after the timed ones (0: no matrix-product share)', '2')
    .option('--threads <n>', 'run the engine on this many threads only (its kernels and OpenBLAS; default: every core, then one)')
    .option('--no-torch', 'skip the PyTorch side')
    .option('--json', 'print the results as JSON')
    .addOption(new Command().createOption('--child', 'run one workload in this process and print JSON').hideHelp())
    .addHelpText('after', '\nExamples:\n  npm run bench:train                                # everything, one table\n'
      + '  wsel bench train --workload vit_tiny_28 --rounds 1\n'
      + '  wsel bench train --backends wasm --no-torch        # the portable backend alone\n')
    .action(async (flags: BenchFlags) => {
      const { TRAIN_WORKLOADS } = await import('../bench/train.js');
      const steps = parseIntArg('--steps', flags.steps, 1);
      const warmup = parseIntArg('--warmup', flags.warmup, 0);
      const rounds = parseIntArg('--rounds', flags.rounds, 1);
      const profileSteps = parseIntArg('--profile-steps', flags.profileSteps, 0);
      const threads = flags.threads === undefined ? undefined : parseIntArg('--threads', flags.threads, 1);
      const workloads = flags.workload === 'all' ? Object.keys(TRAIN_WORKLOADS) : [flags.workload];
      for (const name of workloads) {
        if (!TRAIN_WORKLOADS[name]) throw new UsageError(`unknown workload "${name}"; known: ${Object.keys(TRAIN_WORKLOADS).join(', ')}`);
      }
      if (flags.child) {
        const { benchTrain } = await import('../bench/train.js');
        process.stdout.write(`${JSON.stringify(await benchTrain({ workload: workloads[0]!, steps, warmup, profileSteps }))}\n`);
        return;
      }
      const backends = flags.backends === undefined ? await defaultBackends() : flags.backends.split(',').map((b) => b.trim());
      for (const b of backends) if (!BACKENDS.includes(b)) throw new UsageError(`--backends: unknown backend "${b}"; known: ${BACKENDS.join(', ')}`);
      const { compareTrain, engineThreadConfigs, formatCompare } = await import('../bench/compare.js');
      const result = compareTrain({
        workloads, backends, steps, warmup, rounds, profileSteps, torch: flags.torch,
        engineThreads: threads !== undefined ? [threads] : engineThreadConfigs(),
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatCompare(result));
    }));
  return bench;
}

async function defaultBackends(): Promise<string[]> {
  const { loadOpenBlasAddon } = await import('../engine/node/openblas.js');
  return 'addon' in loadOpenBlasAddon() ? ['openblas', 'wasm'] : ['wasm'];
}
