// `wsel bench train` end to end: the engine (each matrix-product backend, on every core and on one) and
// PyTorch (each thread configuration) on the same workloads, each side in its own process so peak RSS is its own, in
// interleaved rounds so that load from other work on the machine falls on every side alike. Prints
// one table: ms/step, CPU time, effective GFLOP/s, the share of the step in matrix products, peak RSS
// and the ratio to PyTorch's fastest configuration measured in the same run.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { medianOf, type BenchTrainResult } from './train.js';

const TORCH_PYTHON = '/usr/bin/python3';
const REFERENCE = fileURLToPath(new URL('../../bench/train_reference.py', import.meta.url));
const WSEL_BIN = fileURLToPath(new URL('../../bin/wsel.js', import.meta.url));

/** A PyTorch thread configuration: torch.set_num_threads (undefined: torch's default) and BLAS thread variables. */
export interface TorchConfig {
  label: string;
  setNumThreads?: number;
  blasThreads?: number;
  /** OPENBLAS_THREAD_TIMEOUT: how long idle OpenBLAS threads spin (2^n cycles) before they sleep. */
  blasThreadTimeout?: number;
}

/** The shortest OpenBLAS spin before its idle threads sleep; the engine loads OpenBLAS with it (engine/node/openblas.ts). */
const SHORT_SPIN = 4;

/**
 * The configurations tried: torch's default, then intra-op threads x OpenBLAS threads, then the
 * default and one intra-op thread with OpenBLAS's idle threads sleeping at once.
 */
export function torchConfigs(cores = availableParallelism()): TorchConfig[] {
  const out: TorchConfig[] = [{ label: 'default' }];
  for (const t of [1, Math.min(2, cores)]) {
    out.push({ label: `set_num_threads(${t})`, setNumThreads: t });
    out.push({ label: `set_num_threads(${t}), OPENBLAS_NUM_THREADS=1`, setNumThreads: t, blasThreads: 1 });
  }
  // The engine's own OpenBLAS setting, offered to PyTorch too: with as many threads as cores, idle
  // OpenBLAS threads that spin take the cores from the other threads between products.
  out.push({ label: `default, OPENBLAS_THREAD_TIMEOUT=${SHORT_SPIN}`, blasThreadTimeout: SHORT_SPIN });
  out.push({ label: `set_num_threads(1), OPENBLAS_THREAD_TIMEOUT=${SHORT_SPIN}`, setNumThreads: 1, blasThreadTimeout: SHORT_SPIN });
  return out.filter((c, i) => out.findIndex((d) => d.label === c.label) === i);
}

export interface CompareOptions {
  workloads: string[];
  backends: string[];
  steps: number;
  warmup: number;
  rounds: number;
  profileSteps: number;
  torch: boolean;
  /**
   * Engine thread counts to run each backend with (WSEL_THREADS and OPENBLAS_NUM_THREADS); undefined in
   * the list: the engine's default (every core).
   */
  engineThreads: (number | undefined)[];
  progress?: (line: string) => void;
}

/** One row of the table: a side, all its timed steps over the rounds, and its last profile. */
export interface SideResult {
  workload: string;
  side: 'wsel' | 'torch';
  label: string;
  msPerStep: number[];
  cpuMsPerStep: number[];
  peakRssMiB: number;
  /** Share of the step in matrix products (profiled steps). */
  gemmShare: number | null;
  detail: string;
  error?: string;
}

export interface CompareResult {
  date: string;
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
  steps: number;
  rounds: number;
  /** FLOPs per step by workload (matrix products and convolutions, forward and backward, from the op shapes). */
  flops: Record<string, number>;
  sides: SideResult[];
}

function lastJsonLine<T>(text: string): T {
  return JSON.parse(text.trim().split('\n').pop()!) as T;
}

function withoutThreadVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'GOTO_NUM_THREADS', 'WSEL_THREADS', 'OPENBLAS_THREAD_TIMEOUT', 'GOTO_THREAD_TIMEOUT']) delete out[k];
  return out;
}

/** The engine's configurations: its default (every core) and, on a machine with more, one thread. */
export function engineThreadConfigs(cores = availableParallelism()): (number | undefined)[] {
  return cores > 1 ? [undefined, 1] : [undefined];
}

function engineLabel(backend: string, threads: number | undefined): string {
  return `wsel ${backend}${threads === undefined ? '' : `, ${threads} thread${threads === 1 ? '' : 's'}`}`;
}

function runWsel(workload: string, backend: string, threads: number | undefined, o: CompareOptions): BenchTrainResult | string {
  const env = { ...withoutThreadVars(process.env), WSEL_BLAS: backend };
  if (threads !== undefined) Object.assign(env, { WSEL_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) });
  const args = [WSEL_BIN, 'bench', 'train', '--child', '--workload', workload, '--steps', String(o.steps),
    '--warmup', String(o.warmup), '--profile-steps', String(o.profileSteps)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) return `failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return lastJsonLine<BenchTrainResult>(r.stdout);
}

interface TorchRun { msPerStep: number[]; cpuMsPerStepMedian: number; peakRssMiB: number; threads: number; torch: string; gemmShare?: number }

function runTorch(workload: string, config: TorchConfig, o: CompareOptions): TorchRun | string {
  if (!existsSync(TORCH_PYTHON)) return `${TORCH_PYTHON} not found (install python3-torch)`;
  const env = withoutThreadVars(process.env);
  if (config.blasThreads !== undefined) {
    env['OPENBLAS_NUM_THREADS'] = String(config.blasThreads);
    env['OMP_NUM_THREADS'] = String(config.setNumThreads ?? config.blasThreads);
  }
  if (config.blasThreadTimeout !== undefined) env['OPENBLAS_THREAD_TIMEOUT'] = String(config.blasThreadTimeout);
  const args = [REFERENCE, '--steps', String(o.steps), '--warmup', String(o.warmup), '--profile-steps', String(o.profileSteps),
    ...(config.setNumThreads !== undefined ? ['--threads', String(config.setNumThreads)] : []), workload];
  const r = spawnSync(TORCH_PYTHON, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) return `failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return lastJsonLine<TorchRun>(r.stdout);
}

function addRun(sides: Map<string, SideResult>, key: Omit<SideResult, 'msPerStep' | 'cpuMsPerStep' | 'peakRssMiB' | 'gemmShare'>,
  run: { msPerStep: number[]; cpuMsPerStepMedian: number; peakRssMiB: number; gemmShare: number | null } | string): void {
  const id = `${key.workload}|${key.side}|${key.label}`;
  let s = sides.get(id);
  if (s === undefined) {
    s = { ...key, msPerStep: [], cpuMsPerStep: [], peakRssMiB: 0, gemmShare: null };
    sides.set(id, s);
  }
  if (typeof run === 'string') {
    s.error = run;
    return;
  }
  for (const ms of run.msPerStep) s.msPerStep.push(ms);
  s.cpuMsPerStep.push(run.cpuMsPerStepMedian);
  s.peakRssMiB = Math.max(s.peakRssMiB, run.peakRssMiB);
  if (run.gemmShare !== null) s.gemmShare = run.gemmShare;
}

export function compareTrain(o: CompareOptions): CompareResult {
  const say = o.progress ?? (() => {});
  const loadBefore = loadavg();
  const sides = new Map<string, SideResult>();
  const flops: Record<string, number> = {};
  const configs = o.torch ? torchConfigs() : [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const workload of o.workloads) {
      for (const backend of o.backends) {
        for (const threads of o.engineThreads) {
          const label = engineLabel(backend, threads);
          say(`round ${round}/${o.rounds}: ${workload}, ${label}`);
          const r = runWsel(workload, backend, threads, o);
          if (typeof r !== 'string' && r.profile) flops[workload] = r.profile.modelFlops;
          addRun(sides, {
            workload, side: 'wsel', label,
            detail: typeof r === 'string' ? '' : `${r.backend} x${r.threads}, kernels x${r.kernelThreads}`,
          }, typeof r === 'string' ? r : { ...r, gemmShare: r.profile?.gemmShare ?? null });
        }
      }
      for (const config of configs) {
        say(`round ${round}/${o.rounds}: ${workload}, PyTorch ${config.label}`);
        const r = runTorch(workload, config, o);
        addRun(sides, {
          workload, side: 'torch', label: `PyTorch ${config.label}`,
          detail: typeof r === 'string' ? '' : `torch ${r.torch}, ${r.threads} intra-op thread${r.threads === 1 ? '' : 's'}`,
        }, typeof r === 'string' ? r : { ...r, gemmShare: r.gemmShare ?? null });
      }
    }
  }
  return {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`,
    loadBefore, loadAfter: loadavg(), steps: o.steps, rounds: o.rounds, flops, sides: [...sides.values()],
  };
}

/** The side's typical step: the median of all its timed steps over the rounds. */
export function stepMs(s: SideResult): number {
  return s.msPerStep.length > 0 ? medianOf(s.msPerStep) : NaN;
}

/** The fastest of some sides. */
function fastest(sides: SideResult[]): SideResult | undefined {
  return sides.reduce<SideResult | undefined>((b, s) => (b === undefined || stepMs(s) < stepMs(b) ? s : b), undefined);
}

/** PyTorch's fastest configuration for a workload, and its default one. */
export function torchBestAndDefault(result: CompareResult, workload: string): { best?: SideResult; dflt?: SideResult } {
  const torch = result.sides.filter((s) => s.workload === workload && s.side === 'torch' && s.msPerStep.length > 0);
  return { best: fastest(torch), dflt: torch.find((s) => s.label === 'PyTorch default') };
}

/** The engine's fastest configuration on one backend ('wsel openblas' and 'wsel openblas, 1 thread' alike). */
function engineBest(ours: SideResult[], backend: string): SideResult | undefined {
  return fastest(ours.filter((s) => s.label === `wsel ${backend}` || s.label.startsWith(`wsel ${backend},`)));
}

const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** The report: a header, one Markdown table, and the ratios the targets are about. */
export function formatCompare(result: CompareResult): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `Training step, batch 64, AdamW: median of ${result.steps} timed steps x ${result.rounds} round${result.rounds === 1 ? '' : 's'} per side (sides interleaved), ${result.date}`,
    `${result.machine}; load average (1, 5, 15 min) ${load(result.loadBefore)} before, ${load(result.loadAfter)} after`,
  ];
  for (const [w, f] of Object.entries(result.flops)) lines.push(`${w}: ${(f / 1e9).toFixed(1)} GFLOP per step (matrix products and convolutions, forward + backward, from the op shapes)`);
  lines.push('', '| workload | run | ms/step | CPU ms/step | GFLOP/s | in matrix products | peak RSS MiB | / PyTorch best |', '|---|---|---|---|---|---|---|---|');
  const workloads = [...new Set(result.sides.map((s) => s.workload))];
  for (const w of workloads) {
    const { best } = torchBestAndDefault(result, w);
    const bestMs = best ? stepMs(best) : NaN;
    for (const s of result.sides.filter((x) => x.workload === w)) {
      const ms = stepMs(s);
      const label = `${s.label}${s === best ? ' (fastest)' : ''}${s.detail ? ` [${s.detail}]` : ''}`;
      if (s.error !== undefined && s.msPerStep.length === 0) {
        lines.push(`| ${w} | ${label} | ${s.error} | | | | | |`);
        continue;
      }
      const gflops = result.flops[w] !== undefined ? result.flops[w]! / ms / 1e6 : NaN;
      const share = s.gemmShare === null ? '-' : `${fmt(100 * s.gemmShare)}%`;
      lines.push(`| ${w} | ${label} | ${fmt(ms)} | ${fmt(medianOf(s.cpuMsPerStep))} | ${fmt(gflops, 1)} | ${share} | ${fmt(s.peakRssMiB)} | ${fmt(ms / bestMs, 2)} |`);
    }
  }
  lines.push('');
  for (const w of workloads) {
    const { best, dflt } = torchBestAndDefault(result, w);
    const ours = result.sides.filter((s) => s.workload === w && s.side === 'wsel' && s.msPerStep.length > 0);
    const parts: string[] = [];
    for (const s of ours) {
      if (best) parts.push(`${s.label} / PyTorch fastest (${best.label.replace('PyTorch ', '')}) = ${fmt(stepMs(s) / stepMs(best), 2)}`);
      if (dflt && dflt !== best) parts.push(`${s.label} / PyTorch default = ${fmt(stepMs(s) / stepMs(dflt), 2)}`);
    }
    const blas = ours.find((s) => s.label === 'wsel openblas');
    const wasm = ours.find((s) => s.label === 'wsel wasm');
    if (blas && wasm) parts.push(`wasm / openblas = ${fmt(stepMs(wasm) / stepMs(blas), 2)}`);
    const blasBest = engineBest(ours, 'openblas');
    const wasmBest = engineBest(ours, 'wasm');
    if (blasBest && wasmBest && (blasBest !== blas || wasmBest !== wasm)) {
      parts.push(`fastest wasm (${wasmBest.label}) / fastest openblas (${blasBest.label}) = ${fmt(stepMs(wasmBest) / stepMs(blasBest), 2)}`);
    }
    if (parts.length > 0) lines.push(`${w}: ${parts.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
