// Planning a selection: for every student tensor, its teacher source and the indices kept along each axis.
// Indices are chosen once per dimension space and reused by every axis in that space (consistency); the
// plan is pure data, so it can be audited, recorded and executed by a streaming writer.
import type { ArchDecl, AxisDecl, Component, SpaceDecl, TensorDecl } from '../arch/types.js';
import { tensorShape } from '../arch/types.js';
import {
  allIndices, firstIndices, randomIndices, SCORED_RULES, topIndices, uniformIndices, type ElementRule,
} from './index-rules.js';
import { SelectionError } from './errors.js';
import { buildLayerMap, makeRenamer, type LayerRule } from './layers.js';
import { seededRandom } from '../data/keyed-random.js';

export type HeadMode = 'flat' | 'whole';

export interface PlanOptions {
  elements: ElementRule;
  layers: LayerRule;
  heads: HeadMode;
  exclude: readonly Component[];
  keepHead: boolean;
  seed: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  elements: 'uniform', layers: 'first', heads: 'flat', exclude: [], keepHead: false, seed: 0,
};

/** How one student axis is read from its teacher axis. `indices` null means every index (no selection). */
export interface AxisPlan {
  readonly space: string;
  readonly teacherSize: number;
  readonly studentSize: number;
  readonly indices: Int32Array | null;
}

export interface TensorPlan {
  readonly name: string;
  readonly source: string;
  readonly component: Component;
  /** The teacher tensor's shape in its file. */
  readonly sourceShape: readonly number[];
  /** The shape it is read as: the file's, or across a Linear / 1x1-conv layout change the same numbers viewed at
   *  the student's rank (trailing axes of size 1 added or dropped). */
  readonly teacherShape: readonly number[];
  readonly shape: readonly number[];
  readonly axes: readonly AxisPlan[];
}

export interface SpaceRecord {
  readonly teacherSpace: string;
  readonly teacherSize: number;
  readonly studentSize: number;
  readonly rule: string;
  readonly indices: Int32Array | null;
}

export interface SelectionPlan {
  readonly tensors: readonly TensorPlan[];
  /** Student tensors deliberately left out (head, --exclude), with the reason. */
  readonly omitted: readonly { name: string; reason: string }[];
  readonly layerMap: Readonly<Record<string, number[]>>;
  readonly spaces: Readonly<Record<string, SpaceRecord>>;
}

export { SelectionError } from './errors.js';

/**
 * Per-index importance of a teacher space, for the scored rules: computed by the caller from the teacher's
 * weights (magnitude) or from its activations on calibration data (activation). Undefined: the space has none.
 */
export type SpaceScores = (teacherSpace: string) => Float64Array | undefined;

interface PlanInputs {
  teacher: ArchDecl;
  student: ArchDecl;
  /** Shapes of the tensors actually present in the teacher file. */
  teacherShapes: ReadonlyMap<string, readonly number[]>;
  options: PlanOptions;
  /** Needed only for the scored rules (magnitude, activation). */
  scores?: SpaceScores;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Student and teacher sides of the layer mapping, shared by planning and magnitude scoring. */
export function mapLayers(teacher: ArchDecl, student: ArchDecl, rule: LayerRule) {
  const layerMap = buildLayerMap(rule, student.stacks, (stack) => {
    const depth = teacher.stacks[stack];
    if (depth === undefined) throw new SelectionError(`the teacher has no layer stack "${stack}"`);
    return depth;
  });
  return { layerMap, toTeacher: makeRenamer(layerMap) };
}

/** The student tensors that the options leave out, and why. */
export function omissionReason(tensor: TensorDecl, options: PlanOptions): string | null {
  if (tensor.component === 'head' && !options.keepHead) return 'classifier head (re-initialized for the new task; --keep-head keeps it)';
  if (options.exclude.includes(tensor.component)) return `component "${tensor.component}" excluded`;
  return null;
}

export function planSelection({ teacher, student, teacherShapes, options, scores }: PlanInputs): SelectionPlan {
  const { layerMap, toTeacher } = mapLayers(teacher, student, options.layers);
  const teacherTensors = new Map(teacher.tensors.map((t) => [t.name, t]));
  const spaces: Record<string, SpaceRecord> = {};

  const spaceIndices = (space: string): SpaceRecord => {
    const known = spaces[space];
    if (known) return known;
    const s = student.spaces[space];
    if (!s) throw new SelectionError(`${student.family}: undeclared space "${space}"`);
    const teacherSpace = toTeacher(space);
    const t = teacher.spaces[teacherSpace];
    if (!t) throw new SelectionError(`space "${space}" has no teacher counterpart "${teacherSpace}"`);
    // Flat mode treats a structured space as one dimension (what the reference code would do).
    const record = s.factors && options.heads === 'whole'
      ? resolveProduct(space, teacherSpace, t, s, spaceIndices)
      : resolveSpace(space, teacherSpace, t, s, options, scores);
    spaces[space] = record;
    return record;
  };

  const tensors: TensorPlan[] = [];
  const omitted: { name: string; reason: string }[] = [];
  for (const tensor of student.tensors) {
    const reason = omissionReason(tensor, options);
    if (reason) {
      omitted.push({ name: tensor.name, reason });
      continue;
    }
    const source = toTeacher(tensor.name);
    const shape = tensorShape(student, tensor);
    const actual = teacherShapes.get(source);
    if (!actual && tensor.optional) continue; // a buffer or head this checkpoint does not have
    if (!actual) {
      throw new SelectionError(`student tensor "${tensor.name}" ${fmt(shape)} has no teacher source: "${source}" is not in the teacher checkpoint`);
    }
    const declared = teacherTensors.get(source);
    if (!declared) throw new SelectionError(`student tensor "${tensor.name}": the teacher architecture declares no "${source}"`);
    const expected = tensorShape(teacher, declared);
    const viewed = viewAtRank(actual, shape);
    if (!viewed) {
      throw new SelectionError(`"${tensor.name}": rank differs: student ${fmt(shape)}, teacher "${source}" ${fmt(actual)}`);
    }
    if (actual.length !== expected.length || actual.some((n, i) => n !== expected[i])) {
      throw new SelectionError(`teacher tensor "${source}" has shape ${fmt(actual)} but the teacher config implies ${fmt(expected)}; pass --teacher-config to correct it`);
    }
    const axes = tensor.axes.map((axis, k): AxisPlan => {
      const m = shape[k]!;
      const n = viewed[k]!;
      if (m > n) {
        throw new SelectionError(`student tensor "${tensor.name}" ${fmt(shape)} is not a sub-shape of teacher "${source}" ${fmt(actual)} (axis ${k}: ${m} > ${n})`);
      }
      return { space: axis.space, teacherSize: n, studentSize: m, indices: axisIndices(tensor, k, axis, n, m, spaceIndices, options) };
    });
    tensors.push({ name: tensor.name, source, component: tensor.component, sourceShape: actual, teacherShape: viewed, shape, axes });
  }
  return { tensors, omitted, layerMap, spaces };
}

/**
 * The teacher's `shape` at the student's rank when only trailing axes of size 1 (on both sides) differ: a
 * Linear weight [out, in] holds the same numbers in the same order as a 1x1 conv's [out, in, 1, 1]. Null for
 * any other rank change.
 */
function viewAtRank(shape: readonly number[], student: readonly number[]): readonly number[] | null {
  if (shape.length === student.length) return shape;
  const common = Math.min(shape.length, student.length);
  const extra = shape.length > student.length ? shape.slice(common) : student.slice(common);
  if (common === 0 || extra.some((n) => n !== 1)) return null;
  return shape.length > student.length ? shape.slice(0, common) : [...shape, ...extra];
}

/** Indices for one axis: the space's indices, repeated for fused axes (qkv = [q; k; v]). */
function axisIndices(
  tensor: TensorDecl, k: number, axis: AxisDecl, n: number, m: number,
  spaceIndices: (space: string) => SpaceRecord, options: PlanOptions,
): Int32Array | null {
  const repeat = axis.repeat ?? 1;
  if (options.elements === 'random-inconsistent') {
    // The paper's negative control: fresh indices for every tensor axis, ignoring shared spaces.
    if (n === m) return null;
    return randomIndices(n, m, seededRandom(options.seed, `${tensor.name}#${k}`));
  }
  if (repeat > 1 && options.elements === 'uniform' && options.heads === 'flat') {
    // The reference code treats a fused axis as one dimension of size repeat x n.
    return n === m ? null : uniformIndices(n, m);
  }
  const space = spaceIndices(axis.space);
  if (space.indices === null) return null;
  if (repeat === 1) return space.indices;
  const per = n / repeat;
  const out = new Int32Array(m);
  const sub = space.indices;
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < sub.length; i++) out[r * sub.length + i] = r * per + sub[i]!;
  }
  return out;
}

/** Choose a space's indices once, by the element rule (and whole heads when asked). */
function resolveSpace(
  space: string, teacherSpace: string, t: SpaceDecl, s: SpaceDecl, options: PlanOptions, scores?: SpaceScores,
): SpaceRecord {
  const n = t.size;
  const m = s.size;
  const base = { teacherSpace, teacherSize: n, studentSize: m };
  if (m > n) {
    throw new SelectionError(`the student's "${space}" has ${m} entries, the teacher's only ${n}: the student must be a sub-shape of the teacher`);
  }
  if (n === m && !(options.heads === 'whole' && t.heads !== undefined && t.heads !== s.heads)) {
    return { ...base, rule: 'all', indices: null };
  }
  if (s.fixed || t.fixed) {
    throw new SelectionError(`"${space}" (${s.fixed ?? t.fixed}) cannot be subsampled: teacher ${n}, student ${m}`);
  }
  const rule = options.elements === 'random-inconsistent' ? 'random' : options.elements;
  const pick = (count: number, of: number, key: string, weights?: Float64Array): Int32Array => {
    switch (rule) {
      case 'uniform': return uniformIndices(of, count);
      case 'first': return firstIndices(of, count);
      case 'random': return randomIndices(of, count, seededRandom(options.seed, key));
      case 'magnitude':
      case 'activation': return topIndices(weights!, count);
    }
  };
  const weights = SCORED_RULES.includes(rule) ? requireScores(scores, rule, teacherSpace, n) : undefined;
  if (options.heads === 'whole' && t.heads !== undefined && s.heads !== undefined) {
    return { ...base, rule: `${rule}, whole heads`, indices: wholeHeads(t.heads, s.heads, n, m, space, pick, weights) };
  }
  if (t.paired) {
    return { ...base, rule: `${rule}, rotary pairs (j, j + ${n / 2})`, indices: rotaryPairs(n, m, space, pick, weights) };
  }
  return { ...base, rule, indices: pick(m, n, space, weights) };
}

/** Keep pairs (j, j + n/2) together, in the halves' order, so the student's rotate_half pairs the same dimensions. */
function rotaryPairs(
  n: number, m: number, space: string,
  pick: (count: number, of: number, key: string, weights?: Float64Array) => Int32Array, weights?: Float64Array,
): Int32Array {
  if (n % 2 !== 0 || m % 2 !== 0) throw new SelectionError(`"${space}": rotary head dimensions must be even (teacher ${n}, student ${m})`);
  const half = n / 2;
  const pairWeights = weights && Float64Array.from({ length: half }, (_, j) => weights[j]! + weights[j + half]!);
  const pairs = pick(m / 2, half, `${space}#pairs`, pairWeights);
  const out = new Int32Array(m);
  pairs.forEach((j, i) => { out[i] = j; out[i + m / 2] = j + half; });
  return out;
}

/**
 * A structured space: its factors' index sets (each chosen once, shared with every other product that has the
 * factor), combined row-major. E.g. q = [kv groups, q per group, head_dim] and k = [kv groups, head_dim] keep
 * the same groups, and every kept query head stays with its own key/value group.
 */
function resolveProduct(
  space: string, teacherSpace: string, t: SpaceDecl, s: SpaceDecl, resolve: (space: string) => SpaceRecord,
): SpaceRecord {
  const base = { teacherSpace, teacherSize: t.size, studentSize: s.size };
  const factors = s.factors!;
  if (!t.factors || t.factors.length !== factors.length) {
    throw new SelectionError(`"${space}" is a product of ${factors.join(' x ')} but the teacher's "${teacherSpace}" is not a product of as many spaces`);
  }
  const parts = factors.map(resolve);
  if (parts.reduce((p, f) => p * f.teacherSize, 1) !== t.size) {
    throw new SelectionError(`"${teacherSpace}": the teacher's factor sizes do not multiply to ${t.size}`);
  }
  const rule = `product of ${factors.join(' x ')}`;
  if (parts.every((p) => p.indices === null)) return { ...base, rule, indices: null };
  let indices = Int32Array.of(0);
  for (const p of parts) {
    const sel = p.indices ?? allIndices(p.teacherSize);
    const next = new Int32Array(indices.length * sel.length);
    let k = 0;
    for (const a of indices) for (const b of sel) next[k++] = a * p.teacherSize + b;
    indices = next;
  }
  return { ...base, rule, indices };
}

function requireScores(scores: SpaceScores | undefined, rule: ElementRule, teacherSpace: string, n: number): Float64Array {
  if (!scores) throw new SelectionError(`the ${rule} rule needs scores of the teacher's units`);
  const w = scores(teacherSpace);
  if (!w) {
    throw new SelectionError(`the ${rule} rule has no scores for "${teacherSpace}" (${n} entries), which the student narrows; `
      + 'activations score channels, MLP units and heads, not kernel taps: choose another --elements rule for this student');
  }
  if (w.length !== n) throw new SelectionError(`${rule} scores for "${teacherSpace}" have ${w.length} entries, expected ${n}`);
  return w;
}

/** Keep whole heads: choose heads, each kept with every one of its dimensions. */
function wholeHeads(
  teacherHeads: number, studentHeads: number, n: number, m: number, space: string,
  pick: (count: number, of: number, key: string, weights?: Float64Array) => Int32Array, weights?: Float64Array,
): Int32Array {
  const tDim = n / teacherHeads;
  const sDim = m / studentHeads;
  if (sDim !== tDim) {
    // Whole heads keep the teacher's head width; anything else would narrow every head (what flat does).
    const fix = m % tDim === 0 ? `set the student's num_heads to ${m / tDim} (${m} / ${tDim})` : `make the student's width a multiple of ${tDim}`;
    throw new SelectionError(`"${space}": --heads whole keeps the teacher's ${tDim}-wide heads (${teacherHeads} x ${tDim}), but the student's are ${sDim} wide (${studentHeads} x ${sDim}); ${fix}, or use --heads flat`);
  }
  if (studentHeads > teacherHeads) {
    throw new SelectionError(`"${space}": cannot keep whole heads: the student has ${studentHeads} heads, the teacher only ${teacherHeads}`);
  }
  const headWeights = weights && sumPerHead(weights, teacherHeads, tDim);
  const heads = pick(studentHeads, teacherHeads, `${space}#heads`, headWeights);
  const dims = allIndices(tDim);
  const out = new Int32Array(m);
  heads.forEach((h, i) => dims.forEach((d, j) => { out[i * sDim + j] = h * tDim + d; }));
  return out;
}

/** Sum a space's scores over each head. */
function sumPerHead(w: Float64Array, heads: number, dim: number): Float64Array {
  const out = new Float64Array(heads);
  for (let h = 0; h < heads; h++) for (let d = 0; d < dim; d++) out[h]! += w[h * dim + d]!;
  return out;
}
