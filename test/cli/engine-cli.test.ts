// `wsel info` and `wsel bench train` as users run them: the backend and threads come from the
// environment, a malformed variable is a usage error, and the benchmark prints its one table.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineThreadConfigs, formatCompare, torchConfigs, type CompareResult } from '../../src/bench/compare.js';
import { REPO_ROOT } from '../helpers.js';

function wselEnv(env: Record<string, string>, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/wsel.js'), ...args], {
    encoding: 'utf8', cwd: REPO_ROOT, env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wsel info', () => {
  it('reports the forced backend and the engine threads', () => {
    const r = wselEnv({ WSEL_BLAS: 'wasm', WSEL_THREADS: '2' }, 'info');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^matrix products: wasm \(2 threads\) - WSEL_BLAS=wasm$/m);
    expect(r.stdout).toMatch(/^engine kernels: 2 threads$/m);
    const json = JSON.parse(wselEnv({ WSEL_BLAS: 'typescript', WSEL_THREADS: '1' }, 'info', '--json').stdout);
    expect(json.blas.name).toBe('typescript');
    expect(json.threads.threads).toBe(1);
  });

  it('a malformed WSEL_BLAS or WSEL_THREADS is a usage error (exit 2) naming the variable', () => {
    const blas = wselEnv({ WSEL_BLAS: 'cublas' }, 'info');
    expect(blas.code).toBe(2);
    expect(blas.stderr).toMatch(/^wsel: WSEL_BLAS=cublas: expected openblas, wasm, typescript or auto\n$/);
    const threads = wselEnv({ WSEL_THREADS: 'many' }, 'info');
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/WSEL_THREADS=many/);
  });
});

describe('wsel bench train', () => {
  it('runs each side in its own process and prints one table with FLOPs, matrix-product share and ratios', () => {
    const r = wselEnv({}, 'bench', 'train', '--workload', 'convnext_femto_32', '--steps', '1', '--warmup', '0',
      '--rounds', '1', '--profile-steps', '1', '--backends', 'wasm,typescript', '--threads', '1', '--no-torch');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^convnext_femto_32: 6\.1 GFLOP per step/m);
    expect(r.stdout).toMatch(/^\| convnext_femto_32 \| wsel wasm, 1 thread \[wasm x1, kernels x1\] \| \d+ \| \d+ \| [\d.]+ \| \d+% \| \d+ \| - \|$/m);
    expect(r.stdout).toMatch(/^\| convnext_femto_32 \| wsel typescript, 1 thread \[typescript x1, kernels x1\] \| \d+ /m);
  });

  it('rejects an unknown backend or workload', () => {
    expect(wselEnv({}, 'bench', 'train', '--backends', 'cuda').code).toBe(2);
    expect(wselEnv({}, 'bench', 'train', '--workload', 'resnet').code).toBe(2);
  });

  it('runs the engine on every core and on one', () => {
    expect(engineThreadConfigs(2)).toEqual([undefined, 1]);
    expect(engineThreadConfigs(1)).toEqual([undefined]);
  });

  it('tries PyTorch\'s default and set_num_threads 1 and 2, each with OpenBLAS threaded or not, and OpenBLAS\'s short spin', () => {
    expect(torchConfigs(2).map((c) => c.label)).toEqual([
      'default', 'set_num_threads(1)', 'set_num_threads(1), OPENBLAS_NUM_THREADS=1',
      'set_num_threads(2)', 'set_num_threads(2), OPENBLAS_NUM_THREADS=1',
      'default, OPENBLAS_THREAD_TIMEOUT=4', 'set_num_threads(1), OPENBLAS_THREAD_TIMEOUT=4',
    ]);
    expect(torchConfigs(1).map((c) => c.label)).toEqual(['default', 'set_num_threads(1)', 'set_num_threads(1), OPENBLAS_NUM_THREADS=1',
      'default, OPENBLAS_THREAD_TIMEOUT=4', 'set_num_threads(1), OPENBLAS_THREAD_TIMEOUT=4']);
  });

  it('compares against the fastest PyTorch configuration and reports the default one too', () => {
    const side = (label: string, ms: number[], torch = true) => ({
      workload: 'w', side: torch ? 'torch' as const : 'wsel' as const, label, msPerStep: ms, cpuMsPerStep: [ms[0]! * 2],
      peakRssMiB: 100, gemmShare: 0.5, detail: '',
    });
    const result: CompareResult = {
      date: '2026-01-01', machine: '2 cores', loadBefore: [0.1, 0.2, 0.3], loadAfter: [0.4, 0.5, 0.6], steps: 2, rounds: 1,
      flops: { w: 2e9 },
      sides: [side('wsel openblas', [80, 90], false), side('wsel openblas, 1 thread', [70, 70], false),
        side('wsel wasm', [150, 170], false), side('wsel wasm, 1 thread', [200, 200], false),
        side('PyTorch default', [200, 220]), side('PyTorch set_num_threads(1)', [100, 100])],
    };
    const text = formatCompare(result);
    expect(text).toMatch(/load average \(1, 5, 15 min\) 0\.10 0\.20 0\.30 before, 0\.40 0\.50 0\.60 after/);
    expect(text).toMatch(/^\| w \| wsel openblas \| 85 \| 160 \| 23\.5 \| 50% \| 100 \| 0\.85 \|$/m);
    expect(text).toMatch(/^\| w \| PyTorch set_num_threads\(1\) \(fastest\) \| 100 \|/m);
    expect(text).toMatch(/wsel openblas \/ PyTorch fastest \(set_num_threads\(1\)\) = 0\.85; wsel openblas \/ PyTorch default = 0\.40/);
    expect(text).toMatch(/wasm \/ openblas = 1\.88/);
    expect(text).toMatch(/wsel openblas, 1 thread \/ PyTorch fastest \(set_num_threads\(1\)\) = 0\.70/);
    expect(text).toMatch(/fastest wasm \(wsel wasm\) \/ fastest openblas \(wsel openblas, 1 thread\) = 2\.29/);
  });
});
