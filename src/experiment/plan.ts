// Expanding a grid into runs. Every run is one or two `wsel` commands a user could type by hand (`select` or
// `prune`, then `train`): flags are written in the config exactly as on the command line, and the expansion only
// adds --out, --seed and the paths of the files another run produced (a selected student, a KD teacher, a
// pre-trained checkpoint).
import path from 'node:path';
import { ExperimentError, type DatasetSpec, type ExperimentConfig, type Flags, type MethodSpec, type RunRef } from './config.js';

export interface PlannedRun {
  /** dataset/method/sSEED */
  id: string;
  method: string;
  dataset: string;
  seed: number;
  stage: number;
  /** The results folder the grid was planned into, as given. */
  root: string;
  /** The run's folder, as given to --out (relative paths stay relative to the working directory). */
  dir: string;
  /** argv of each command, without the program name: ['select', ...], ['train', ...]. */
  commands: string[][];
  /** Runs whose files this one reads. */
  deps: string[];
  /** Optimizer steps of the train command (for estimates). */
  steps: number;
  /** Other runs read this run's final.safetensors. */
  needed: boolean;
}


const KNOWN_SIZES: Record<string, number> = { mnist: 60000, 'fashion-mnist': 60000 };

/** Flags to argv: {"batch-size": 64, "flip": false, "config": {...}} -> --batch-size 64 --no-flip --config '{...}'. */
export function flagsToArgv(flags: Flags): string[] {
  const argv: string[] = [];
  for (const [k, v] of Object.entries(flags)) {
    const name = k.replace(/^--/, '');
    if (v === true) argv.push(`--${name}`);
    else if (v === false) argv.push(`--no-${name}`);
    else if (typeof v === 'object') argv.push(`--${name}`, JSON.stringify(v));
    else argv.push(`--${name}`, String(v));
  }
  return argv;
}

/** A command as a user types it in a POSIX shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function runId(dataset: string, method: string, seed: number): string {
  return `${dataset}/${method}/s${seed}`;
}

function methodDatasets(c: ExperimentConfig, m: MethodSpec): string[] {
  return m.datasets ?? Object.keys(c.datasets);
}

function resolveRef(ref: RunRef, dataset: string, seed: number): { method: string; dataset: string; seed: number } {
  const r = typeof ref === 'string' ? { method: ref } : ref;
  return { method: r.method, dataset: r.dataset ?? dataset, seed: r.seed ?? seed };
}

/**
 * Train steps of a dataset entry at a scale (train sets drop their last short batch, as the loader does); a
 * validation split held out of the whole train split (--val-size without a train size) leaves fewer to train on.
 */
export function plannedSteps(d: DatasetSpec, batchSize: number, scale = 1, valSize = 0): number {
  if (d.steps !== undefined) return Math.round(d.steps * scale);
  const n = d.trainSize ?? Math.max(0, (KNOWN_SIZES[d.data] ?? 0) - valSize);
  const perEpoch = n > batchSize ? Math.floor(n / batchSize) : 1;
  return Math.round((d.epochs ?? 10) * scale) * perEpoch;
}

/**
 * Expand the grid. `root` is the results folder as the user gave it; run folders are root/DATASET/METHOD/sSEED
 * (method ids may contain /, which become folders).
 */
/** Flags with `{data}` in string values replaced by the run's data source (e.g. "calib": "{data}:256"). */
function withDataSource(flags: Flags, data: string): Flags {
  return Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, typeof v === 'string' ? v.replaceAll('{data}', data) : v]));
}

export function planRuns(c: ExperimentConfig, root: string): PlannedRun[] {
  const byId = new Map(c.methods.map((m) => [m.id, m]));
  const dirOf = (dataset: string, method: string, seed: number) => path.join(root, dataset, ...method.split('/'), `s${seed}`);
  const runs: PlannedRun[] = [];
  const order = new Map<string, number>();
  c.methods.forEach((m, i) => order.set(m.id, i));
  const datasetOrder = Object.keys(c.datasets);
  for (const m of c.methods) {
    for (const dataset of methodDatasets(c, m)) {
      for (const seed of m.seeds ?? c.seeds) {
        const d = c.datasets[dataset]!;
        const dir = dirOf(dataset, m.id, seed);
        const deps: string[] = [];
        const refRun = (ref: RunRef): string => {
          const r = resolveRef(ref, dataset, seed);
          const target = byId.get(r.method)!;
          if (!methodDatasets(c, target).includes(r.dataset) || !(target.seeds ?? c.seeds).includes(r.seed)) {
            throw new ExperimentError(`method "${m.id}" on ${dataset} seed ${seed} needs ${runId(r.dataset, r.method, r.seed)}, which the grid does not run`);
          }
          deps.push(runId(r.dataset, r.method, r.seed));
          return path.join(dirOf(r.dataset, r.method, r.seed), 'final.safetensors');
        };
        const commands: string[][] = [];
        const trainFlags: Flags = { ...(c.train ?? {}) };
        trainFlags['data'] = d.data;
        if (d.trainSize !== undefined) trainFlags['train-size'] = d.trainSize;
        const scale = m.scale ?? 1;
        if (d.steps !== undefined) trainFlags['steps'] = Math.round(d.steps * scale);
        else trainFlags['epochs'] = Math.round((d.epochs ?? 10) * scale);
        Object.assign(trainFlags, d.train ?? {}, m.train ?? {});
        const student = path.join(dir, 'student.safetensors');
        if (m.select) {
          const sel: Flags = withDataSource(m.select, d.data);
          if (m.selectFrom) sel['teacher'] = refRun(m.selectFrom);
          if (typeof sel['teacher'] !== 'string') throw new ExperimentError(`method "${m.id}": select needs a teacher (or selectFrom)`);
          commands.push(['select', ...flagsToArgv({ ...sel, out: student, seed, progress: false })]);
          trainFlags['init'] = student;
        } else if (m.prune) {
          commands.push(['prune', ...flagsToArgv({ ...m.prune, out: student })]);
          trainFlags['init'] = student;
        } else if (m.initFrom) {
          trainFlags['init'] = refRun(m.initFrom);
        }
        if (m.kdFrom) trainFlags['kd-teacher'] = refRun(m.kdFrom);
        trainFlags['seed'] = seed;
        trainFlags['out'] = dir;
        trainFlags['progress'] = false;
        // --steps and --epochs exclude each other: a method's own choice replaces the dataset's.
        if (m.train && 'steps' in m.train) delete trainFlags['epochs'];
        if (m.train && 'epochs' in m.train) delete trainFlags['steps'];
        commands.push(['train', ...flagsToArgv(trainFlags)]);
        const batch = Number(trainFlags['batch-size'] ?? 64);
        const steps = trainFlags['steps'] !== undefined ? Number(trainFlags['steps'])
          : plannedSteps({ ...d, steps: undefined, epochs: Number(trainFlags['epochs']) }, batch, 1, Number(trainFlags['val-size'] ?? 0));
        runs.push({ id: runId(dataset, m.id, seed), method: m.id, dataset, seed, stage: Math.max(m.stage ?? 1, d.stage ?? 1), root, dir, commands, deps, steps, needed: false });
      }
    }
  }
  const index = new Map(runs.map((r) => [r.id, r]));
  for (const r of runs) for (const dep of r.deps) index.get(dep)!.needed = true;
  // Stage first, then seed (an interrupted grid has whole seeds), dataset and method order; a run's
  // dependencies (declared earlier in the file, or in a lower stage) come before it.
  runs.sort((a, b) => a.stage - b.stage || a.seed - b.seed || datasetOrder.indexOf(a.dataset) - datasetOrder.indexOf(b.dataset)
    || order.get(a.method)! - order.get(b.method)!);
  return runs;
}

/** A run's commands as printed and recorded in run.json. */
export function printedCommands(r: PlannedRun): string[] {
  return r.commands.map((c) => shellQuote(['wsel', ...c]));
}
