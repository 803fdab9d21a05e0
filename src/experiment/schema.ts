// Reading and checking an experiment config: every field the planner relies on has the right shape, every name
// refers to something declared, and a key the schema does not know is an error naming the closest known one (a
// typo such as "trainsize" would otherwise be ignored silently). Errors name the file and the field.
import fs from 'node:fs';
import { closest } from 'fastest-levenshtein';
import { isObject, parseJson } from '../safe-json.js';
import { ExperimentError, type ClaimSpec, type ExperimentConfig, type MethodSpec, type RunRef } from './config.js';

// The keys each object of the schema may hold (see the interfaces in config.ts).
const KEYS = {
  config: ['name', 'description', 'seeds', 'datasets', 'train', 'methods', 'claims', 'choices', 'teacherQuality', 'curves', 'keepCheckpoints'],
  dataset: ['data', 'trainSize', 'epochs', 'steps', 'train', 'stage'],
  method: ['id', 'label', 'datasets', 'seeds', 'stage', 'select', 'selectFrom', 'prune', 'train', 'kdFrom', 'initFrom', 'scale'],
  runRef: ['method', 'dataset', 'seed'],
  claim: ['id', 'title', 'claim', 'kind', 'pairs', 'compared', 'datasets', 'target', 'baselines', 'ratio'],
  curve: ['title', 'dataset', 'methods'],
  choice: ['id', 'title', 'candidates', 'reference', 'baselines', 'datasets'],
  teacherQuality: ['id', 'title', 'baseline', 'points', 'datasets'],
  teacherPoint: ['method', 'teacherAccuracy', 'teacher'],
} as const satisfies Record<string, readonly string[]>;

const WORD = /^[A-Za-z0-9._-]+$/;
const isWordList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isSeedList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((s) => Number.isSafeInteger(s) && s >= 0);

/** Refuse a key the schema does not know, naming the closest known one. */
function rejectUnknownKeys(obj: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ExperimentError(`${where}: unknown key "${key}" (did you mean "${closest(key, known)}"?)`);
  }
}

export function loadConfig(file: string): ExperimentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExperimentError(`${file}: ${(e as Error).message}`);
  }
  return validateConfig(parseJson(text, (problem) => new ExperimentError(`${file}: ${problem}`)), file);
}

/** Check a parsed config; errors name the field. */
export function validateConfig(raw: unknown, where = 'config'): ExperimentConfig {
  if (!isObject(raw)) throw new ExperimentError(`${where}: expected a JSON object`);
  rejectUnknownKeys(raw, KEYS.config, where);
  const c = raw as unknown as ExperimentConfig;
  if (typeof c.name !== 'string' || !WORD.test(c.name)) throw new ExperimentError(`${where}: "name" must be a word (letters, digits, . _ -)`);
  if (!isSeedList(c.seeds)) throw new ExperimentError(`${where}: "seeds" must be a non-empty list of integers >= 0`);
  if (c.train !== undefined && !isObject(c.train)) throw new ExperimentError(`${where}: "train" must be an object of flags`);
  validateDatasets(c, where);
  const ids = validateMethods(c, where);
  validateClaims(c, ids, where);
  validateCurves(c, ids, where);
  validateHeadlineList(c, ids, 'choices', where, choiceMethods);
  validateHeadlineList(c, ids, 'teacherQuality', where, teacherQualityMethods);
  rejectCycles(c, where);
  return c;
}

function validateDatasets(c: ExperimentConfig, where: string): void {
  if (!isObject(c.datasets) || Object.keys(c.datasets).length === 0) throw new ExperimentError(`${where}: "datasets" must map ids to {data, trainSize?, epochs?|steps?}`);
  for (const [id, d] of Object.entries(c.datasets)) {
    if (!WORD.test(id)) throw new ExperimentError(`${where}: dataset id "${id}" must be a word`);
    if (!isObject(d)) throw new ExperimentError(`${where}: datasets.${id} must be an object`);
    rejectUnknownKeys(d, KEYS.dataset, `${where}: datasets.${id}`);
    if (typeof d.data !== 'string') throw new ExperimentError(`${where}: datasets.${id}.data must be a string`);
    if (d.epochs !== undefined && d.steps !== undefined) throw new ExperimentError(`${where}: datasets.${id}: give epochs or steps, not both`);
    for (const k of ['trainSize', 'epochs', 'steps'] as const) {
      if (d[k] !== undefined && !(Number.isSafeInteger(d[k]) && d[k]! > 0)) throw new ExperimentError(`${where}: datasets.${id}.${k} must be a positive integer`);
    }
    if (d.stage !== undefined && !(Number.isSafeInteger(d.stage) && d.stage >= 1)) throw new ExperimentError(`${where}: datasets.${id}.stage must be an integer >= 1`);
    if (d.train !== undefined && !isObject(d.train)) throw new ExperimentError(`${where}: datasets.${id}.train must be an object of flags`);
  }
}

/** The method ids, after checking every method. */
function validateMethods(c: ExperimentConfig, where: string): Set<string> {
  if (!Array.isArray(c.methods) || c.methods.length === 0) throw new ExperimentError(`${where}: "methods" must be a non-empty list`);
  const ids = new Set<string>();
  for (const m of c.methods) {
    if (!isObject(m) || typeof m.id !== 'string' || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(m.id)) throw new ExperimentError(`${where}: every method needs an "id" of words separated by /`);
    if (ids.has(m.id)) throw new ExperimentError(`${where}: method "${m.id}" is declared twice`);
    ids.add(m.id);
    validateMethod(c, m, `${where}: method "${m.id}"`);
  }
  for (const m of c.methods) {
    for (const ref of [m.kdFrom, m.initFrom, m.selectFrom]) if (ref !== undefined) validateRunRef(c, ids, ref, `${where}: method "${m.id}"`);
  }
  return ids;
}

function validateMethod(c: ExperimentConfig, m: MethodSpec, where: string): void {
  rejectUnknownKeys(m as unknown as Record<string, unknown>, KEYS.method, where);
  if (m.select && m.prune) throw new ExperimentError(`${where}: select and prune are alternatives`);
  if (m.selectFrom && !m.select) throw new ExperimentError(`${where}: selectFrom needs select`);
  if ((m.select || m.prune) && m.initFrom) throw new ExperimentError(`${where}: initFrom and select/prune are alternatives`);
  if (m.datasets !== undefined && !isWordList(m.datasets)) throw new ExperimentError(`${where}: "datasets" must be a list of dataset ids`);
  for (const d of m.datasets ?? []) if (!(d in c.datasets)) throw new ExperimentError(`${where}: unknown dataset "${d}"`);
  if (m.seeds !== undefined && !isSeedList(m.seeds)) throw new ExperimentError(`${where}: "seeds" must be a non-empty list of integers >= 0`);
  if (m.stage !== undefined && !(Number.isSafeInteger(m.stage) && m.stage >= 1)) throw new ExperimentError(`${where}: "stage" must be an integer >= 1`);
  for (const k of ['select', 'prune', 'train'] as const) {
    if (m[k] !== undefined && !isObject(m[k])) throw new ExperimentError(`${where}: "${k}" must be an object of flags`);
  }
  if (m.scale !== undefined && !(typeof m.scale === 'number' && m.scale > 0)) throw new ExperimentError(`${where}: scale must be a number > 0`);
}

function validateRunRef(c: ExperimentConfig, ids: Set<string>, ref: RunRef, where: string): void {
  if (isObject(ref)) rejectUnknownKeys(ref, KEYS.runRef, where);
  const r = typeof ref === 'string' ? { method: ref } : ref;
  if (!ids.has(r.method)) throw new ExperimentError(`${where} refers to unknown method "${r.method}"`);
  if (r.dataset !== undefined && !(r.dataset in c.datasets)) throw new ExperimentError(`${where} refers to unknown dataset "${r.dataset}"`);
}

function validateClaims(c: ExperimentConfig, ids: Set<string>, where: string): void {
  if (c.claims !== undefined && !Array.isArray(c.claims)) throw new ExperimentError(`${where}: "claims" must be a list`);
  const claimIds = new Set<string>();
  for (const cl of c.claims ?? []) {
    if (!isObject(cl) || typeof cl.id !== 'string' || !WORD.test(cl.id) || typeof cl.title !== 'string') {
      throw new ExperimentError(`${where}: every claim needs an "id" (a word: letters, digits, . _ -) and a "title"`);
    }
    if (claimIds.has(cl.id)) throw new ExperimentError(`${where}: claim "${cl.id}" is declared twice`);
    claimIds.add(cl.id);
    validateClaim(c, ids, cl, `${where}: claim "${cl.id}"`);
  }
}

function validateClaim(c: ExperimentConfig, ids: Set<string>, cl: ClaimSpec, where: string): void {
  rejectUnknownKeys(cl as unknown as Record<string, unknown>, KEYS.claim, where);
  const bad = (what: string): never => { throw new ExperimentError(`${where}: ${what}`); };
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
  for (const n of named) if (!ids.has(n)) bad(`names unknown method "${n}"`);
  for (const d of cl.datasets ?? []) if (!(d in c.datasets)) bad(`unknown dataset "${d}"`);
}

function validateCurves(c: ExperimentConfig, ids: Set<string>, where: string): void {
  if (c.curves !== undefined && !Array.isArray(c.curves)) throw new ExperimentError(`${where}: "curves" must be a list`);
  for (const [i, cv] of (c.curves ?? []).entries()) {
    if (isObject(cv)) rejectUnknownKeys(cv, KEYS.curve, `${where}: curves[${i}]`);
    if (!isObject(cv) || typeof cv.dataset !== 'string' || !(cv.dataset in c.datasets) || !isWordList(cv.methods) || cv.methods.some((m) => !ids.has(m))) {
      throw new ExperimentError(`${where}: every curve needs a known "dataset" and a list of known "methods"`);
    }
  }
}

/** A method that (through kdFrom / initFrom / selectFrom) needs itself can never run. */
type HeadlineKey = 'choices' | 'teacherQuality';
type Bad = (what: string) => never;

/**
 * Every entry of `choices` or `teacherQuality`: an object with a word id, a title and only known keys, whose
 * own fields `methodsOf` checks (returning the methods it names); every method and dataset it names is declared.
 */
function validateHeadlineList(c: ExperimentConfig, ids: Set<string>, key: HeadlineKey, where: string,
  methodsOf: (item: Record<string, unknown>, bad: Bad, at: string) => string[]): void {
  const list = c[key];
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new ExperimentError(`${where}: "${key}" must be a list`);
  for (const item of list as unknown[]) {
    if (!isObject(item) || typeof item['id'] !== 'string' || !WORD.test(item['id']) || typeof item['title'] !== 'string') {
      throw new ExperimentError(`${where}: every entry of "${key}" needs an "id" (a word) and a "title"`);
    }
    const at = `${where}: ${key} "${item['id']}"`;
    rejectUnknownKeys(item, key === 'choices' ? KEYS.choice : KEYS.teacherQuality, at);
    const bad: Bad = (what) => { throw new ExperimentError(`${at}: ${what}`); };
    for (const m of methodsOf(item, bad, at)) if (!ids.has(m)) bad(`unknown method "${m}"`);
    const ds = item['datasets'];
    if (ds !== undefined && !(isWordList(ds) && ds.every((d) => d in c.datasets))) bad('"datasets" must be a list of declared dataset ids');
  }
}

/** `choices`: candidates, the reference they replace, and the baselines. */
function choiceMethods(item: Record<string, unknown>, bad: Bad): string[] {
  const { candidates, reference, baselines } = item;
  if (!isWordList(candidates) || candidates.length === 0) bad('"candidates" must be a non-empty list of methods');
  if (typeof reference !== 'string') bad('"reference" must be a method');
  if (!isWordList(baselines)) bad('"baselines" must be a list of methods');
  return [...(candidates as string[]), reference as string, ...(baselines as string[])];
}

/** `teacherQuality`: a random-init baseline and one selecting method per teacher, with the teacher's accuracy. */
function teacherQualityMethods(item: Record<string, unknown>, bad: Bad, at: string): string[] {
  if (typeof item['baseline'] !== 'string') bad('"baseline" must be a method');
  const points = item['points'];
  const isPoint = (p: unknown): boolean => isObject(p) && typeof p['method'] === 'string' && typeof p['teacher'] === 'string'
    && typeof p['teacherAccuracy'] === 'number' && p['teacherAccuracy'] >= 0 && p['teacherAccuracy'] <= 1;
  if (!Array.isArray(points) || points.length === 0 || !points.every(isPoint)) bad('"points" must be a list of {method, teacher, teacherAccuracy (0..1)}');
  for (const p of points as Record<string, unknown>[]) rejectUnknownKeys(p, KEYS.teacherPoint, `${at} point`);
  return [item['baseline'] as string, ...(points as { method: string }[]).map((p) => p.method)];
}

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
