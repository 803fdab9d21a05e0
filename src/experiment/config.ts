// An experiment grid declared in JSON (method x dataset x seed), expanded into runs. Every run is one or two
// `wsel` commands a user could type by hand (`select` or `prune`, then `train`): flags are written in the
// config exactly as on the command line, and the expansion only adds --out, --seed and the paths of the files
// another run produced (a selected student, a KD teacher, a pre-trained checkpoint).
import { WselError } from '../errors.js';
import fs from 'node:fs';
import path from 'node:path';

export class ExperimentError extends WselError {}

/** A command-line flag value: true is the bare flag, false is --no-FLAG, objects and arrays are JSON. */
export type FlagValue = string | number | boolean | Record<string, unknown> | unknown[];
export type Flags = Record<string, FlagValue>;

export interface DatasetSpec {
  /** --data: mnist, fashion-mnist or a path. */
  data: string;
  /** --train-size (absent: the whole train split). */
  trainSize?: number;
  epochs?: number;
  steps?: number;
  /** More `wsel train` flags for every run on this dataset (e.g. eval-every). */
  train?: Flags;
  /** A run's stage is the larger of its method's and its dataset's (default 1). */
  stage?: number;
}

/** Another run of the grid: a method, on a dataset (default: the same), with a seed (default: the same). */
export type RunRef = string | { method: string; dataset?: string; seed?: number };

export interface MethodSpec {
  id: string;
  /** A short name for tables and plots. */
  label?: string;
  /** Datasets (ids) this method runs on; default: all. */
  datasets?: string[];
  /** Seeds; default: the grid's. */
  seeds?: number[];
  /** Runs of a lower stage are ordered first (default 1). */
  stage?: number;
  /** `wsel select` flags (--out and --seed are added); the train run starts from its output. */
  select?: Flags;
  /** The select teacher is another run's final.safetensors (instead of select.teacher). */
  selectFrom?: RunRef;
  /** `wsel prune` flags (--out is added); the train run starts from its output. */
  prune?: Flags;
  /** `wsel train` flags over the grid's and the dataset's. */
  train?: Flags;
  /** --kd-teacher is this run's final.safetensors. */
  kdFrom?: RunRef;
  /** --init is this run's final.safetensors (pre-train, then fine-tune). */
  initFrom?: RunRef;
  /** Multiply the dataset's epochs (or steps): a longer schedule. */
  scale?: number;
}

export interface ClaimSpec {
  id: string;
  title: string;
  /** The claim in words, as the paper makes it. */
  claim?: string;
  /**
   * compare (default): every [better, worse] pair on every listed dataset must show mean(better) > mean(worse),
   * significant under the stated test. trend: the gain of pairs[0] shrinks along `datasets`. compute: the
   * compute the `baselines` need to reach the accuracy of `target`.
   */
  kind?: 'compare' | 'trend' | 'compute';
  pairs?: [string, string][];
  /** Pairs shown without a verdict (e.g. "first-N elements compared too"). */
  compared?: [string, string][];
  datasets?: string[];
  target?: string;
  /** compute: baselines; a baseline's cost includes the runs it starts from (initFrom). */
  baselines?: string[];
  /** compute: reproduced when no baseline reaches the target's accuracy with less than this many times its compute (default 1). */
  ratio?: number;
}

export interface CurveSpec {
  title?: string;
  dataset: string;
  methods: string[];
}

export interface ExperimentConfig {
  name: string;
  description?: string;
  seeds: number[];
  datasets: Record<string, DatasetSpec>;
  /** `wsel train` flags for every run. */
  train?: Flags;
  methods: MethodSpec[];
  claims?: ClaimSpec[];
  curves?: CurveSpec[];
  /** Keep every run's checkpoints (default: only final.safetensors of runs other runs start from). */
  keepCheckpoints?: boolean;
}

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

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Check the parts of a config the planner relies on; errors name the field. */
export function validateConfig(raw: unknown, where = 'config'): ExperimentConfig {
  if (!isObject(raw)) throw new ExperimentError(`${where}: expected a JSON object`);
  const c = raw as unknown as ExperimentConfig;
  if (typeof c.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(c.name)) throw new ExperimentError(`${where}: "name" must be a word (letters, digits, . _ -)`);
  if (!Array.isArray(c.seeds) || c.seeds.length === 0 || !c.seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new ExperimentError(`${where}: "seeds" must be a non-empty list of integers >= 0`);
  if (!isObject(c.datasets) || Object.keys(c.datasets).length === 0) throw new ExperimentError(`${where}: "datasets" must map ids to {data, trainSize?, epochs?|steps?}`);
  for (const [id, d] of Object.entries(c.datasets)) {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new ExperimentError(`${where}: dataset id "${id}" must be a word`);
    if (!isObject(d) || typeof d.data !== 'string') throw new ExperimentError(`${where}: datasets.${id}.data must be a string`);
    if (d.epochs !== undefined && d.steps !== undefined) throw new ExperimentError(`${where}: datasets.${id}: give epochs or steps, not both`);
    for (const k of ['trainSize', 'epochs', 'steps'] as const) {
      if (d[k] !== undefined && !(Number.isSafeInteger(d[k]) && d[k]! > 0)) throw new ExperimentError(`${where}: datasets.${id}.${k} must be a positive integer`);
    }
  }
  if (!Array.isArray(c.methods) || c.methods.length === 0) throw new ExperimentError(`${where}: "methods" must be a non-empty list`);
  const ids = new Set<string>();
  for (const m of c.methods) {
    if (!isObject(m) || typeof m.id !== 'string' || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(m.id)) throw new ExperimentError(`${where}: every method needs an "id" of words separated by /`);
    if (ids.has(m.id)) throw new ExperimentError(`${where}: method "${m.id}" is declared twice`);
    ids.add(m.id);
    if (m.select && m.prune) throw new ExperimentError(`${where}: method "${m.id}": select and prune are alternatives`);
    if (m.selectFrom && !m.select) throw new ExperimentError(`${where}: method "${m.id}": selectFrom needs select`);
    if ((m.select || m.prune) && m.initFrom) throw new ExperimentError(`${where}: method "${m.id}": initFrom and select/prune are alternatives`);
    if (m.datasets !== undefined && !isWordList(m.datasets)) throw new ExperimentError(`${where}: method "${m.id}": "datasets" must be a list of dataset ids`);
    for (const d of m.datasets ?? []) if (!(d in c.datasets)) throw new ExperimentError(`${where}: method "${m.id}": unknown dataset "${d}"`);
    if (m.seeds !== undefined && !(Array.isArray(m.seeds) && m.seeds.length > 0 && m.seeds.every((x) => Number.isSafeInteger(x) && x >= 0))) {
      throw new ExperimentError(`${where}: method "${m.id}": "seeds" must be a non-empty list of integers >= 0`);
    }
    if (m.stage !== undefined && !(Number.isSafeInteger(m.stage) && m.stage >= 1)) throw new ExperimentError(`${where}: method "${m.id}": "stage" must be an integer >= 1`);
    for (const k of ['select', 'prune', 'train'] as const) {
      if (m[k] !== undefined && !isObject(m[k])) throw new ExperimentError(`${where}: method "${m.id}": "${k}" must be an object of flags`);
    }
    if (m.scale !== undefined && !(typeof m.scale === 'number' && m.scale > 0)) throw new ExperimentError(`${where}: method "${m.id}": scale must be a number > 0`);
  }
  for (const [id, d] of Object.entries(c.datasets)) {
    if (d.stage !== undefined && !(Number.isSafeInteger(d.stage) && d.stage >= 1)) throw new ExperimentError(`${where}: datasets.${id}.stage must be an integer >= 1`);
  }
  for (const m of c.methods) {
    for (const ref of [m.kdFrom, m.initFrom, m.selectFrom]) {
      if (ref === undefined) continue;
      const r = typeof ref === 'string' ? { method: ref } : ref;
      if (!ids.has(r.method)) throw new ExperimentError(`${where}: method "${m.id}" refers to unknown method "${r.method}"`);
      if (r.dataset !== undefined && !(r.dataset in c.datasets)) throw new ExperimentError(`${where}: method "${m.id}" refers to unknown dataset "${r.dataset}"`);
    }
  }
  if (c.claims !== undefined && !Array.isArray(c.claims)) throw new ExperimentError(`${where}: "claims" must be a list`);
  if (c.curves !== undefined && !Array.isArray(c.curves)) throw new ExperimentError(`${where}: "curves" must be a list`);
  const claimIds = new Set<string>();
  for (const cl of c.claims ?? []) {
    if (!isObject(cl) || typeof cl.id !== 'string' || !/^[A-Za-z0-9._-]+$/.test(cl.id) || typeof cl.title !== 'string') {
      throw new ExperimentError(`${where}: every claim needs an "id" (a word: letters, digits, . _ -) and a "title"`);
    }
    if (claimIds.has(cl.id)) throw new ExperimentError(`${where}: claim "${cl.id}" is declared twice`);
    claimIds.add(cl.id);
    const bad = (what: string): never => { throw new ExperimentError(`${where}: claim "${cl.id}": ${what}`); };
    const kind = cl.kind ?? 'compare';
    if (!['compare', 'trend', 'compute'].includes(kind)) bad(`"kind" must be compare, trend or compute, not "${String(kind)}"`);
    for (const k of ['pairs', 'compared'] as const) {
      const v: unknown = cl[k];
      if (v !== undefined && !(Array.isArray(v) && v.every((p) => isWordList(p) && p.length === 2))) bad(`"${k}" must be a list of [A, B] method pairs`);
    }
    if (cl.datasets !== undefined && !isWordList(cl.datasets)) bad('"datasets" must be a list of dataset ids');
    if (kind === 'compare' && !(cl.pairs?.length || cl.compared?.length)) bad('a compare claim needs "pairs" (or "compared")');
    if (kind === 'trend' && !(cl.pairs?.length && (cl.datasets?.length ?? 0) >= 2)) bad('a trend claim needs "pairs" and at least 2 "datasets", in the order the gain should shrink');
    if (kind === 'compute') {
      if (typeof cl.target !== 'string' || !isWordList(cl.baselines) || cl.baselines.length === 0) bad('a compute claim needs a "target" method and a list of "baselines"');
      if (cl.ratio !== undefined && !(typeof cl.ratio === 'number' && cl.ratio > 0)) bad('"ratio" must be a number > 0');
    }
    const named = [...(cl.pairs ?? []).flat(), ...(cl.compared ?? []).flat(), ...(cl.baselines ?? []), ...(cl.target ? [cl.target] : [])];
    for (const n of named) if (!ids.has(n)) throw new ExperimentError(`${where}: claim "${cl.id}" names unknown method "${n}"`);
    for (const d of cl.datasets ?? []) if (!(d in c.datasets)) throw new ExperimentError(`${where}: claim "${cl.id}": unknown dataset "${d}"`);
  }
  for (const cv of c.curves ?? []) {
    if (!isObject(cv) || typeof cv.dataset !== 'string' || !(cv.dataset in c.datasets) || !isWordList(cv.methods) || cv.methods.some((m) => !ids.has(m))) {
      throw new ExperimentError(`${where}: every curve needs a known "dataset" and a list of known "methods"`);
    }
  }
  rejectCycles(c, where);
  return c;
}

const isWordList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A method that (through kdFrom / initFrom / selectFrom) needs itself can never run. */
function rejectCycles(c: ExperimentConfig, where: string): void {
  const refs = (m: MethodSpec): string[] => [m.kdFrom, m.initFrom, m.selectFrom].filter((r) => r !== undefined).map((r) => (typeof r === 'string' ? r : r!.method));
  const byId = new Map(c.methods.map((m) => [m.id, m]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, chain: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new ExperimentError(`${where}: methods depend on each other in a cycle: ${[...chain.slice(chain.indexOf(id)), id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const r of refs(byId.get(id)!)) visit(r, [...chain, id]);
    state.set(id, 'done');
  };
  for (const m of c.methods) visit(m.id, []);
}

export function loadConfig(file: string): ExperimentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExperimentError(`${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ExperimentError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return validateConfig(raw, file);
}

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
          const sel: Flags = { ...m.select };
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

/** Glob over run ids (`*` within a segment, `**` across, `{a,b}` alternatives); a comma-separated list is OR. */
export function matchRun(pattern: string, run: Pick<PlannedRun, 'id'>): boolean {
  return splitTop(pattern).some((p) => globToRegExp(p).test(run.id));
}

function splitTop(pattern: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of pattern) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') re += '[^/]';
    else if (ch === '{') re += '(?:';
    else if (ch === '}') re += ')';
    else if (ch === ',') re += '|';
    else re += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  // A pattern without a seed (or method) part matches every run below it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/**
 * Split runs into M parts of similar cost (planned steps), keeping each (stage, dataset, seed, model family) group
 * together, since the runs a run reads are usually in its group; part is 1-based.
 */
export function partOf(runs: readonly PlannedRun[], part: number, parts: number): PlannedRun[] {
  const groupKey = (r: PlannedRun) => `${r.stage}|${r.dataset}|${r.seed}|${r.method.split('/')[0]}`;
  const groups = new Map<string, PlannedRun[]>();
  for (const r of runs) {
    const key = groupKey(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const load = new Array<number>(parts).fill(0);
  const owner = new Map<string, number>();
  for (const [key, rs] of groups) {
    let best = 0;
    for (let i = 1; i < parts; i++) if (load[i]! < load[best]!) best = i;
    owner.set(key, best);
    load[best]! += rs.reduce((a, r) => a + r.steps, 0);
  }
  return runs.filter((r) => owner.get(groupKey(r)) === part - 1);
}
