// The headline of the report: which selection recipe to use, chosen on the validation split and confirmed on
// the test split against every random init and pruning baseline, and how the gain follows the teacher's quality.
// Built from an analysis of a grid with `choices` (and `teacherQuality`); rendered at the top of RESULTS.md and
// of the HTML report.
import { labelOf, type Analysis, type Cell } from './analyze.js';
import type { ChoiceSpec, TeacherQualitySpec } from './config.js';
import { mean, std, welchGreater } from './stats.js';

export const HEADLINE_ALPHA = 0.05;

export const CHOICE_RULE = 'A recipe is chosen on the **validation split** (1,000 training images held out of every run, disjoint from '
  + 'the images it trains on): the candidate with the highest validation accuracy of its final model, averaged over seeds and '
  + 'then over the train sets. The test split is never used to choose anything. The chosen recipe is then compared on the '
  + `test split with the paper's rule and with every baseline: one-sided Welch t-test over seeds, p < ${HEADLINE_ALPHA}. `
  + '"better" / "worse": significant in that direction; "no significant difference" otherwise. When the two best candidates '
  + 'are within noise (the per-seed validation accuracies, averaged over the train sets, do not separate them at p < 0.05), '
  + 'both get 5 seeds.';

export type HeadlineVerdict = 'better' | 'worse' | 'no significant difference' | 'not run' | 'too few seeds';

export interface CandidateRow {
  method: string;
  label: string;
  /** Validation and test accuracy per train set. */
  val: (Cell | null)[];
  test: (Cell | null)[];
  /** Mean over the train sets of the validation means; null until every train set has a result. */
  score: number | null;
}

export interface HeadlineRow {
  dataset: string;
  baseline: string;
  baselineLabel: string;
  chosen: Cell | null;
  other: Cell | null;
  diff: number | null;
  p: number | null;
  verdict: HeadlineVerdict;
}

export interface ChoiceResult {
  spec: ChoiceSpec;
  datasets: string[];
  /** Candidates, best validation score first. */
  candidates: CandidateRow[];
  chosen: CandidateRow | null;
  runnerUp: CandidateRow | null;
  /** The top two on per-seed validation scores: separated (p < 0.05) or within noise. */
  separation: { seeds: number[]; diff: number; p: number; withinNoise: boolean } | null;
  /** The chosen method on the test split against the reference and every baseline, per train set. */
  rows: HeadlineRow[];
}

export interface TeacherPoint {
  method: string;
  teacher: string;
  teacherAccuracy: number;
  dataset: string;
  student: Cell | null;
  baseline: Cell | null;
  gain: number | null;
  /** Standard error of the gain. */
  se: number | null;
}

export interface TeacherQualityResult {
  spec: TeacherQualitySpec;
  points: TeacherPoint[];
}

export interface Headline {
  root: string;
  choices: ChoiceResult[];
  teacherQuality: TeacherQualityResult[];
  runtime: Analysis['runtime'];
}

/** Cells of the final validation accuracy, from the finished runs that have one. */
function validationCells(a: Analysis): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const r of a.records) {
    if (r.status !== 'done' || r.final_val_acc === null || r.final_val_acc === undefined) continue;
    const k = `${r.dataset}|${r.method}`;
    const c = cells.get(k) ?? { method: r.method, label: labelOf(a.config, r.method), dataset: r.dataset, accs: [], seeds: [], mean: NaN, std: NaN, trainSeconds: 0, images: 0 };
    cells.set(k, c);
    c.accs.push(r.final_val_acc);
    c.seeds.push(r.seed);
  }
  for (const c of cells.values()) {
    c.mean = mean(c.accs);
    c.std = std(c.accs);
  }
  return cells;
}

export function headlineVerdict(a: number[], b: number[]): { diff: number; p: number; verdict: HeadlineVerdict } {
  const w = welchGreater(a, b);
  if (Math.min(a.length, b.length) < 2) return { diff: w.diff, p: NaN, verdict: 'too few seeds' };
  const verdict = w.diff > 0 && w.p < HEADLINE_ALPHA ? 'better' : w.diff < 0 && 1 - w.p < HEADLINE_ALPHA ? 'worse' : 'no significant difference';
  return { diff: w.diff, p: w.p, verdict };
}

/** Per seed, the validation accuracy averaged over the train sets (seeds with every train set only). */
function perSeedScores(row: CandidateRow): Map<number, number> {
  const bySeed = new Map<number, number[]>();
  for (const c of row.val) {
    if (!c) continue;
    c.seeds.forEach((s, i) => bySeed.set(s, [...(bySeed.get(s) ?? []), c.accs[i]!]));
  }
  return new Map([...bySeed].filter(([, v]) => v.length === row.val.length).map(([s, v]) => [s, mean(v)]));
}

function choose(a: Analysis, spec: ChoiceSpec, valCells: Map<string, Cell>): ChoiceResult {
  const datasets = spec.datasets ?? Object.keys(a.config.datasets).filter((d) => a.runs.some((r) => r.dataset === d && spec.candidates.includes(r.method)));
  const candidates = spec.candidates.map((m): CandidateRow => {
    const val = datasets.map((d) => valCells.get(`${d}|${m}`) ?? null);
    const test = datasets.map((d) => a.cells.get(`${d}|${m}`) ?? null);
    return { method: m, label: labelOf(a.config, m), val, test, score: val.every((c) => c) ? mean(val.map((c) => c!.mean)) : null };
  });
  // Best score first; unscored last; ties keep the declared order.
  const ranked = [...candidates].sort((x, y) => (y.score ?? -Infinity) - (x.score ?? -Infinity));
  const scored = ranked.filter((c) => c.score !== null);
  const chosen = scored.length === candidates.length ? scored[0]! : null;
  const runnerUp = chosen ? scored[1] ?? null : null;
  let separation: ChoiceResult['separation'] = null;
  if (chosen && runnerUp) {
    const x = perSeedScores(chosen);
    const y = perSeedScores(runnerUp);
    const w = welchGreater([...x.values()], [...y.values()]);
    separation = { seeds: [...x.keys()].filter((s) => y.has(s)).sort((p, q) => p - q), diff: w.diff, p: w.p, withinNoise: !(w.p < HEADLINE_ALPHA) };
  }
  const rows: HeadlineRow[] = [];
  if (chosen) {
    for (const d of datasets) {
      const mine = a.cells.get(`${d}|${chosen.method}`) ?? null;
      for (const b of [spec.reference, ...spec.baselines]) {
        if (b === chosen.method) continue;
        const other = a.cells.get(`${d}|${b}`) ?? null;
        const base = { dataset: d, baseline: b, baselineLabel: labelOf(a.config, b), chosen: mine, other };
        if (!mine || !other) rows.push({ ...base, diff: null, p: null, verdict: 'not run' });
        else rows.push({ ...base, ...headlineVerdict(mine.accs, other.accs) });
      }
    }
  }
  return { spec, datasets, candidates: ranked, chosen, runnerUp, separation, rows };
}

function teacherQuality(a: Analysis, spec: TeacherQualitySpec): TeacherQualityResult {
  const datasets = spec.datasets ?? Object.keys(a.config.datasets).filter((d) => a.runs.some((r) => r.dataset === d && r.method === spec.baseline));
  const points: TeacherPoint[] = [];
  for (const d of datasets) {
    const baseline = a.cells.get(`${d}|${spec.baseline}`) ?? null;
    for (const p of spec.points) {
      const student = a.cells.get(`${d}|${p.method}`) ?? null;
      const gain = student && baseline ? student.mean - baseline.mean : null;
      const se = student && baseline ? Math.sqrt(student.std ** 2 / student.accs.length + baseline.std ** 2 / baseline.accs.length) : null;
      points.push({ method: p.method, teacher: p.teacher, teacherAccuracy: p.teacherAccuracy, dataset: d, student, baseline, gain, se });
    }
  }
  return { spec, points };
}

/** The headline of a grid that declares `choices` (and `teacherQuality`). */
export function buildHeadline(a: Analysis): Headline {
  const valCells = validationCells(a);
  return {
    root: a.root,
    choices: (a.config.choices ?? []).map((spec) => choose(a, spec, valCells)),
    teacherQuality: (a.config.teacherQuality ?? []).map((spec) => teacherQuality(a, spec)),
    runtime: a.runtime,
  };
}
