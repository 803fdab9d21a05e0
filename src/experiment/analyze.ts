// From a results folder to numbers: per-method accuracies over seeds, learning curves, every claim's rows with
// a verdict, compute-to-accuracy, and the grid's measured and estimated runtime. The HTML and Markdown
// reports (report.ts) are two renderings of this one object.
import fs from 'node:fs';
import path from 'node:path';
import { ExperimentError, type ClaimSpec, type ExperimentConfig } from './config.js';
import { planRuns, type PlannedRun } from './plan.js';
import { collectRecords, CONFIG_COPY, type RunRecord } from './results.js';
import { loadConfig } from './schema.js';
import { mean, std, welchGreater } from './stats.js';

/** The decision rule, stated once and printed in both reports. */
export const ALPHA = 0.05;
export const RULE = `A comparison "A beats B" is **reproduced** when the mean final test accuracy of A over its seeds is higher than `
  + `B's and a one-sided Welch t-test (unequal variances) of mean(A) > mean(B) gives p < ${ALPHA}; otherwise it is **not reproduced** `
  + `(with "same direction" when A's mean is higher but not significantly). A claim is reproduced when every one of its comparisons is. `
  + `A trend claim (the gain shrinks as the train set grows) is reproduced when the mean gain strictly decreases along the listed train sets. `
  + `A compute claim is reproduced when no baseline reaches the weight-selected student's mean accuracy with less than R times its training compute (R is stated with each claim) `
  + `(compute = training images processed, pre-training included; every model compared there has the student's architecture, so this is the ratio of training FLOPs; wall time is shown too).`;

export interface Cell {
  method: string;
  label: string;
  dataset: string;
  accs: number[];
  seeds: number[];
  mean: number;
  std: number;
  trainSeconds: number;
  images: number;
}

/** 'compared': a comparison shown without an expected direction. */
export type Verdict = 'reproduced' | 'not reproduced' | 'not run' | 'partly run' | 'compared';

export interface PairRow {
  dataset: string;
  betterLabel: string;
  worseLabel: string;
  better: Cell | null;
  worse: Cell | null;
  betterId: string;
  worseId: string;
  diff: number | null;
  p: number | null;
  verdict: Verdict | 'compared';
  note: string;
}

export interface TrendRow {
  dataset: string;
  gain: number | null;
  /** Standard error of the gain. */
  se: number | null;
  better: Cell | null;
  worse: Cell | null;
}

export interface ComputeRow {
  method: string;
  label: string;
  dataset: string;
  mean: number | null;
  std: number | null;
  n: number;
  /** Training seconds including the runs it starts from (pre-training). */
  seconds: number | null;
  images: number | null;
  timeRatio: number | null;
  imageRatio: number | null;
  reaches: boolean | null;
}

export interface ClaimResult {
  spec: ClaimSpec;
  kind: 'compare' | 'trend' | 'compute';
  verdict: Verdict;
  summary: string;
  pairs: PairRow[];
  compared: PairRow[];
  trend: TrendRow[];
  compute: ComputeRow[];
}

export interface CurvePoint {
  method: string;
  label: string;
  dataset: string;
  epoch: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface Runtime {
  runs: number;
  done: number;
  failed: number;
  /** Finished runs left out because they no longer match the config. */
  changed: number;
  measuredSeconds: number;
  /** Estimated seconds for the runs not done (one process, from the measured ms/step of similar runs). */
  estimatedRemainingSeconds: number;
  estimatedTotalSeconds: number;
  byDataset: { dataset: string; runs: number; done: number; seconds: number; estimated: number }[];
}

export interface Analysis {
  root: string;
  config: ExperimentConfig;
  runs: PlannedRun[];
  records: RunRecord[];
  cells: Map<string, Cell>;
  claims: ClaimResult[];
  curves: { title: string; dataset: string; points: CurvePoint[] }[];
  runtime: Runtime;
  generated: string;
}

export function labelOf(config: ExperimentConfig, method: string): string {
  return config.methods.find((m) => m.id === method)?.label ?? method;
}

const key = (dataset: string, method: string) => `${dataset}|${method}`;

function readEpochs(dir: string): { epoch: number; eval_acc: number }[] {
  try {
    return fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r['type'] === 'epoch' && typeof r['eval_acc'] === 'number')
      .map((r) => ({ epoch: r['epoch'] as number, eval_acc: r['eval_acc'] as number }));
  } catch {
    return [];
  }
}

function verdictOf(a: number[], b: number[]): { diff: number; p: number; verdict: Verdict; note: string } {
  const w = welchGreater(a, b);
  const n = Math.min(a.length, b.length);
  // One seed has no spread to test against: no verdict yet.
  if (n < 2) return { diff: w.diff, p: NaN, verdict: 'partly run', note: `only ${n} seed; a verdict needs 2 or more` };
  const ok = w.diff > 0 && w.p < ALPHA;
  const note = ok ? '' : w.diff > 0 ? 'same direction, not significant' : 'opposite direction';
  return { diff: w.diff, p: w.p, verdict: ok ? 'reproduced' : 'not reproduced', note: n < 3 ? `${note ? `${note}; ` : ''}only ${n} seed${n === 1 ? '' : 's'}` : note };
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}`;

function combine(verdicts: (Verdict | 'compared')[]): Verdict {
  const v = verdicts.filter((x) => x !== 'compared') as Verdict[];
  if (v.length === 0 || v.every((x) => x === 'not run')) return 'not run';
  if (v.some((x) => x === 'not reproduced')) return 'not reproduced';
  if (v.some((x) => x === 'not run' || x === 'partly run')) return 'partly run';
  return 'reproduced';
}

export function analyze(root: string, configFile?: string): Analysis {
  const cfgPath = configFile ?? path.join(root, CONFIG_COPY);
  if (!fs.existsSync(cfgPath)) throw new ExperimentError(`${cfgPath} not found: give the results folder of \`wsel experiment\` (or --config)`);
  const config = loadConfig(cfgPath);
  const runs = planRuns(config, root);
  const records = collectRecords(runs);
  const recordOf = new Map(records.map((r) => [r.id, r]));

  const cells = new Map<string, Cell>();
  for (const r of records) {
    if (r.status !== 'done' || r.final_acc === null) continue;
    const k = key(r.dataset, r.method);
    if (!cells.has(k)) cells.set(k, { method: r.method, label: labelOf(config, r.method), dataset: r.dataset, accs: [], seeds: [], mean: NaN, std: NaN, trainSeconds: 0, images: 0 });
    const c = cells.get(k)!;
    c.accs.push(r.final_acc);
    c.seeds.push(r.seed);
    c.trainSeconds += r.train_seconds ?? 0;
    c.images += r.images_seen ?? 0;
  }
  for (const c of cells.values()) {
    c.mean = mean(c.accs);
    c.std = std(c.accs);
    c.trainSeconds /= c.accs.length;
    c.images /= c.accs.length;
  }
  const cell = (dataset: string, method: string) => cells.get(key(dataset, method)) ?? null;
  const datasetsWith = (methods: string[]) => Object.keys(config.datasets).filter((d) => methods.some((m) => runs.some((r) => r.dataset === d && r.method === m)));

  const pairRow = (dataset: string, [b, w]: [string, string], compared: boolean): PairRow => {
    const better = cell(dataset, b);
    const worse = cell(dataset, w);
    const labels = { betterLabel: labelOf(config, b), worseLabel: labelOf(config, w) };
    if (!better || !worse) return { dataset, ...labels, better, worse, betterId: b, worseId: w, diff: null, p: null, verdict: compared ? 'compared' : 'not run', note: 'not run yet' };
    const v = verdictOf(better.accs, worse.accs);
    return { dataset, ...labels, better, worse, betterId: b, worseId: w, diff: v.diff, p: v.p, verdict: compared ? 'compared' : v.verdict, note: compared ? '' : v.note };
  };

  // Cost of a method on a dataset: its own training plus the runs it starts from (initFrom chains).
  const costOf = (dataset: string, method: string): { seconds: number; images: number } | null => {
    const c = cell(dataset, method);
    if (!c) return null;
    let seconds = c.trainSeconds;
    let images = c.images;
    const m = config.methods.find((x) => x.id === method)!;
    if (m.initFrom) {
      const ref = typeof m.initFrom === 'string' ? { method: m.initFrom } : m.initFrom;
      const up = costOf(ref.dataset ?? dataset, ref.method);
      if (!up) return null;
      seconds += up.seconds;
      images += up.images;
    }
    return { seconds, images };
  };

  const claims: ClaimResult[] = (config.claims ?? []).map((spec) => {
    const kind = spec.kind ?? 'compare';
    const res: ClaimResult = { spec, kind, verdict: 'not run', summary: '', pairs: [], compared: [], trend: [], compute: [] };
    if (kind === 'compare') {
      const ds = spec.datasets ?? datasetsWith([...(spec.pairs ?? []).flat(), ...(spec.compared ?? []).flat()]);
      for (const d of ds) {
        for (const p of spec.pairs ?? []) res.pairs.push(pairRow(d, p, false));
        for (const p of spec.compared ?? []) res.compared.push(pairRow(d, p, true));
      }
      res.verdict = (spec.pairs ?? []).length === 0 ? (res.compared.some((p) => p.better && p.worse) ? 'compared' : 'not run') : combine(res.pairs.map((p) => p.verdict));
      const run = res.pairs.filter((p) => p.verdict === 'reproduced' || p.verdict === 'not reproduced');
      const ok = run.filter((p) => p.verdict === 'reproduced').length;
      const shown = res.compared.filter((p) => p.better && p.worse);
      if ((spec.pairs ?? []).length === 0) res.summary = shown.length === 0 ? 'no runs yet' : shown.map((p) => `${p.dataset}: ${p.better!.label} ${signed(p.better!.mean - p.worse!.mean)} pts vs ${p.worse!.label}`).join('; ');
      else res.summary = run.length === 0 ? (res.pairs.some((p) => p.verdict === 'partly run') ? 'too few seeds so far' : 'no runs yet') : `${ok} of ${run.length} comparisons reproduced${run.length < res.pairs.length ? ` (${res.pairs.length - run.length} not run or with too few seeds)` : ''}`;
    } else if (kind === 'trend') {
      const [b, w] = spec.pairs?.[0] ?? ['', ''];
      for (const d of spec.datasets ?? []) {
        const better = cell(d, b);
        const worse = cell(d, w);
        const gain = better && worse ? better.mean - worse.mean : null;
        const se = better && worse ? Math.sqrt(better.std ** 2 / better.accs.length + worse.std ** 2 / worse.accs.length) : null;
        res.trend.push({ dataset: d, gain, se, better, worse });
      }
      const gains = res.trend.map((t) => t.gain);
      if (gains.every((g) => g === null)) res.verdict = 'not run';
      else if (gains.some((g) => g === null)) {
        const known = gains.filter((g): g is number => g !== null);
        res.verdict = known.every((g, i) => i === 0 || g < known[i - 1]!) ? 'partly run' : 'not reproduced';
      } else res.verdict = (gains as number[]).every((g, i) => i === 0 || g < gains[i - 1]!) ? 'reproduced' : 'not reproduced';
      res.summary = res.trend.map((t) => `${t.dataset}: ${t.gain === null ? 'not run' : `${t.gain >= 0 ? '+' : ''}${(100 * t.gain).toFixed(2)} pts`}`).join(', ');
    } else {
      const target = spec.target!;
      const verdicts: Verdict[] = [];
      const say = (d: string, text: string, v: Verdict): void => {
        verdicts.push(v);
        res.summary += `${res.summary ? '; ' : ''}${d}${text}: ${v}`;
      };
      for (const d of spec.datasets ?? datasetsWith([target])) {
        const t = cell(d, target);
        const tc = costOf(d, target);
        const rows: ComputeRow[] = [];
        for (const m of [target, ...(spec.baselines ?? [])]) {
          const c = cell(d, m);
          const cost = costOf(d, m);
          rows.push({
            method: m, label: labelOf(config, m), dataset: d, mean: c?.mean ?? null, std: c?.std ?? null, n: c?.accs.length ?? 0,
            seconds: cost?.seconds ?? null, images: cost?.images ?? null,
            timeRatio: cost && tc ? cost.seconds / tc.seconds : null, imageRatio: cost && tc ? cost.images / tc.images : null,
            reaches: c && t ? c.mean >= t.mean : null,
          });
        }
        for (const r of rows) res.compute.push(r);
        const base = rows.slice(1);
        if (!t || base.every((r) => r.mean === null)) {
          say(d, '', 'not run');
          continue;
        }
        // Compute = training images processed: target and baselines share the student's architecture and input
        // size, so this is the ratio of training FLOPs (and, unlike wall time, does not depend on machine load).
        const reaching = base.filter((r) => r.reaches && r.imageRatio !== null);
        const cheapest = reaching.length ? reaching.reduce((m, r) => Math.min(m, r.imageRatio!), Infinity) : null;
        const ratios = base.filter((r) => r.imageRatio !== null).map((r) => r.imageRatio!);
        const threshold = spec.ratio ?? 1;
        const cheaperReach = reaching.some((r) => r.imageRatio! < threshold);
        // Reproduced needs evidence: every baseline run and at least one tested at the threshold or beyond.
        const v: Verdict = cheaperReach ? 'not reproduced'
          : base.some((r) => r.mean === null) || !ratios.some((x) => x >= threshold) ? 'partly run' : 'reproduced';
        const found = cheapest !== null ? `a baseline reaches it at ${cheapest.toFixed(2)}x the training compute`
          : ratios.length ? `no baseline reaches it (up to ${ratios.reduce((m, x) => Math.max(m, x), -Infinity).toFixed(2)}x the training compute tested)` : 'no baseline cost known';
        say(d, ` (needs ${threshold}x or more): ${found}`, v);
      }
      res.verdict = combine(verdicts);
      if (!res.summary) res.summary = 'no runs yet';
    }
    return res;
  });

  // Learning curves: mean (and min/max band) of the evaluated accuracy per epoch over seeds.
  const curveSpecs = config.curves ?? Object.keys(config.datasets).map((d) => ({ dataset: d, methods: config.methods.map((m) => m.id), title: undefined }));
  const curves = curveSpecs.map((cs) => {
    const points: CurvePoint[] = [];
    for (const m of cs.methods) {
      const byEpoch = new Map<number, number[]>();
      for (const r of runs) {
        if (r.method !== m || r.dataset !== cs.dataset || recordOf.get(r.id)?.status !== 'done') continue;
        for (const e of readEpochs(r.dir)) {
          if (!byEpoch.has(e.epoch)) byEpoch.set(e.epoch, []);
          byEpoch.get(e.epoch)!.push(e.eval_acc);
        }
      }
      for (const [epoch, accs] of [...byEpoch].sort((a, b) => a[0] - b[0])) {
        const mu = mean(accs);
        const sd = std(accs);
        points.push({ method: m, label: labelOf(config, m), dataset: cs.dataset, epoch, mean: mu, lo: mu - sd, hi: mu + sd, n: accs.length });
      }
    }
    return { title: cs.title ?? `${cs.dataset}: test accuracy during training (mean ± std over seeds)`, dataset: cs.dataset, points };
  }).filter((c) => c.points.length > 0);

  return { root, config, runs, records, cells, claims, curves, runtime: estimateRuntime(config, runs, records), generated: new Date().toISOString() };
}

/** Measured wall time of finished runs; the rest estimated from the ms/step of the most similar finished runs. */
export function estimateRuntime(config: ExperimentConfig, runs: PlannedRun[], records: RunRecord[]): Runtime {
  const done = records.filter((r) => r.status === 'done' && r.wall_seconds !== null);
  const methodOf = new Map(config.methods.map((m) => [m.id, m]));
  const kindOf = (method: string): string => {
    const m = methodOf.get(method)!;
    const family = method.split('/')[0];
    return `${family}|${m.kdFrom ? 'kd' : ''}|${m.prune ? 'prune' : ''}|${m.train?.['linear-probe'] ? 'probe' : ''}|${m.select || m.prune || m.initFrom || m.train?.['init'] ? 'ckpt' : ''}`;
  };
  const rate = (pred: (r: RunRecord) => boolean): number | null => {
    const xs = done.filter((r) => pred(r) && r.wall_seconds !== null && r.steps);
    return xs.length ? mean(xs.map((r) => r.wall_seconds! / r.steps!)) : null;
  };
  const recordOf = new Map(records.map((r) => [r.id, r]));
  const byDataset = new Map<string, { dataset: string; runs: number; done: number; seconds: number; estimated: number }>();
  let measured = 0;
  let remaining = 0;
  for (const r of runs) {
    const rec = recordOf.get(r.id)!;
    const bd = byDataset.get(r.dataset) ?? { dataset: r.dataset, runs: 0, done: 0, seconds: 0, estimated: 0 };
    byDataset.set(r.dataset, bd);
    bd.runs++;
    if (rec.status === 'done' && rec.wall_seconds !== null) {
      measured += rec.wall_seconds;
      bd.done++;
      bd.seconds += rec.wall_seconds;
      continue;
    }
    const perStep = rate((x) => x.method === r.method) ?? rate((x) => kindOf(x.method) === kindOf(r.method))
      ?? rate((x) => x.method.split('/')[0] === r.method.split('/')[0]) ?? rate(() => true);
    const est = perStep === null ? 0 : perStep * r.steps;
    remaining += est;
    bd.estimated += est;
  }
  return {
    runs: runs.length, done: records.filter((r) => r.status === 'done').length, failed: records.filter((r) => r.status === 'failed').length,
    changed: records.filter((r) => r.status === 'changed').length,
    measuredSeconds: measured, estimatedRemainingSeconds: remaining, estimatedTotalSeconds: measured + remaining, byDataset: [...byDataset.values()],
  };
}
