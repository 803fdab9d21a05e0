// Unstructured magnitude pruning, the paper's other baseline: keep the teacher's architecture but only as many
// parameters as the student has. Weight matrices and convolution kernels compete in one global ranking by |w|;
// norms, biases, position embeddings, tokens, layer scales and the classifier stay dense and count toward the
// budget. Training then keeps the sparsity pattern fixed (see Masks).
import fs from 'node:fs';
import path from 'node:path';
import { FAMILIES } from '../arch/index.js';
import { numel } from '../checkpoint/dtype.js';
import { openCheckpoint } from '../checkpoint/node/open.js';
import { encodeFloat32 } from '../checkpoint/dtype.js';
import { saveSafetensors } from '../checkpoint/node/write.js';
import type { TensorData } from '../checkpoint/index.js';
import type { Module, Tensor } from '../engine/index.js';
import type { ModelFamily } from '../models/index.js';
import { parseJsonObject } from '../safe-json.js';
import { modelMetadata, modelTensorNames, readFloat32, specFromCheckpoint, type SaveDType } from './checkpoint.js';
import { TrainingError } from './errors.js';
import { headPrefix } from './model-config.js';

export const PRUNE_KEY = 'wsel.prune';

/** Whether a tensor takes part in the magnitude ranking (a weight matrix or conv kernel, not the classifier). */
export function isPrunable(family: ModelFamily, name: string, shape: readonly number[]): boolean {
  return shape.length >= 2 && name.endsWith('.weight') && !name.startsWith(headPrefix(family));
}

export interface PruneRequest {
  teacher: string;
  out: string;
  /** Parameter budget; or give `student` (config overrides over the teacher's) to use its parameter count. */
  params?: number;
  student?: Record<string, unknown>;
  family?: ModelFamily;
  /** Keep the teacher's classifier (default: leave it out for the trainer to re-initialize, as selection does). */
  keepHead?: boolean;
  dtype?: SaveDType;
}

export interface PruneResult {
  out: string;
  family: ModelFamily;
  params: number;
  dense: number;
  keptWeights: number;
  prunableWeights: number;
  teacherParams: number;
  studentConfig?: Record<string, unknown>;
}

function studentParams(family: ModelFamily, teacherConfig: Record<string, unknown>, student: Record<string, unknown>): { params: number; config: Record<string, unknown> } {
  const f = FAMILIES[family]!;
  const config = f.studentConfig(teacherConfig, student) as Record<string, unknown>;
  const decl = f.declare(config);
  let params = 0;
  for (const t of decl.tensors) if (!t.optional) params += numel(t.axes.map((a) => decl.spaces[a.space]!.size * (a.repeat ?? 1)));
  return { params, config };
}

/**
 * Indices (per tensor) of the k largest |w| over all tensors, ties broken by position (earlier tensor,
 * then lower index), so exactly k are kept.
 */
export function globalTopK(values: readonly Float32Array[], k: number): Uint8Array[] {
  const total = values.reduce((s, v) => s + v.length, 0);
  if (k < 0 || k > total) throw new Error(`cannot keep ${k} of ${total} weights`);
  const keep = values.map((v) => new Uint8Array(v.length));
  if (k === 0) return keep;
  const abs = new Float32Array(total);
  let o = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) abs[o++] = Math.abs(v[i]!);
  const sorted = abs.slice().sort();
  const threshold = sorted[total - k]!;
  // Everything above the threshold, then threshold ties in order until k.
  let above = 0;
  for (let i = 0; i < total; i++) if (abs[i]! > threshold) above++;
  let ties = k - above;
  o = 0;
  values.forEach((v, t) => {
    const m = keep[t]!;
    for (let i = 0; i < v.length; i++, o++) {
      const a = abs[o]!;
      if (a > threshold) m[i] = 1;
      else if (a === threshold && ties > 0) { m[i] = 1; ties--; }
    }
  });
  return keep;
}

/** Prune a teacher checkpoint to `params` parameters and write it (atomically) with its mask recorded in metadata. */
export function pruneCheckpoint(req: PruneRequest): PruneResult {
  const reader = openCheckpoint(req.teacher);
  try {
    const spec = specFromCheckpoint(reader, req.family);
    const family = spec.family;
    let budget = req.params;
    let studentConfig: Record<string, unknown> | undefined;
    if (req.student) {
      const s = studentParams(family, spec.config, req.student);
      studentConfig = s.config;
      if (budget === undefined) budget = s.params;
    }
    if (budget === undefined) throw new TrainingError('give the parameter budget (--params N) or the student config (--student JSON)');
    const names = modelTensorNames(reader);
    const head = headPrefix(family);
    const prunable: string[] = [];
    let dense = 0;
    let teacherParams = 0;
    for (const n of names) {
      const shape = reader.tensors.get(n)!.shape;
      teacherParams += numel(shape);
      if (isPrunable(family, n, shape)) prunable.push(n);
      else dense += numel(shape); // the classifier counts even when left out: the trainer re-creates it dense
    }
    const prunableTotal = prunable.reduce((s, n) => s + numel(reader.tensors.get(n)!.shape), 0);
    const k = budget - dense;
    if (k < 0) throw new TrainingError(`a budget of ${budget} parameters is below the ${dense} dense ones (norms, biases, embeddings, classifier) of the teacher`);
    if (k > prunableTotal) throw new TrainingError(`a budget of ${budget} parameters is more than the teacher has (${teacherParams})`);
    const values = prunable.map((n) => readFloat32(reader, n));
    const keep = globalTopK(values, k);
    const pruned = new Map(prunable.map((n, i) => {
      const v = values[i]!;
      const m = keep[i]!;
      for (let j = 0; j < v.length; j++) if (m[j] === 0) v[j] = 0;
      return [n, v] as const;
    }));
    const dtype = req.dtype ?? 'F32';
    const tensors: TensorData[] = [];
    for (const n of names) {
      if (!req.keepHead && n.startsWith(head)) continue;
      const shape = reader.tensors.get(n)!.shape;
      tensors.push({ name: n, dtype, shape: [...shape], data: encodeFloat32(dtype, pruned.get(n) ?? readFloat32(reader, n)) });
    }
    const record = {
      method: 'global-magnitude', params: budget, dense, kept_weights: k, prunable_weights: prunableTotal,
      teacher_params: teacherParams, masked: prunable, teacher: path.basename(req.teacher), kept_head: Boolean(req.keepHead),
    };
    fs.mkdirSync(path.dirname(path.resolve(req.out)), { recursive: true });
    saveSafetensors(req.out, tensors, modelMetadata(spec, { [PRUNE_KEY]: JSON.stringify(record) }));
    return {
      out: req.out, family, params: budget, dense, keptWeights: k, prunableWeights: prunableTotal, teacherParams,
      ...(studentConfig ? { studentConfig } : {}),
    };
  } finally {
    reader.close();
  }
}

/** Fixed sparsity patterns of some parameters: zero entries stay zero through training. */
export class Masks {
  private readonly entries: { name: string; param: Tensor; zeros: Int32Array }[] = [];

  /** Masks of the tensors a pruned checkpoint (`file`) lists, taken from where its values are zero. */
  static fromPruned(model: Module, metadata: Readonly<Record<string, string>>, file = 'checkpoint'): Masks | null {
    const text = metadata[PRUNE_KEY];
    if (!text) return null;
    const fail = (problem: string) => new TrainingError(`${file}: metadata ${PRUNE_KEY} ${problem}`);
    const masked = parseJsonObject(text, fail)['masked'];
    if (!Array.isArray(masked) || !masked.every((n) => typeof n === 'string')) throw fail('has no "masked" list of tensor names');
    const params = new Map(model.namedParameters());
    const masks = new Masks();
    for (const n of new Set(masked as string[])) {
      const p = params.get(n);
      if (!p) throw new TrainingError(`${file}: the pruning record names ${n}, which the model does not have`);
      const zeros: number[] = [];
      for (let i = 0; i < p.size; i++) if (p.data[i] === 0) zeros.push(i);
      masks.entries.push({ name: n, param: p, zeros: Int32Array.from(zeros) });
    }
    return masks;
  }

  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** Number of masked-out (forced zero) entries. */
  get prunedCount(): number {
    return this.entries.reduce((s, e) => s + e.zeros.length, 0);
  }

  /** Zero the gradients of pruned entries (so AdamW's moments stay zero there). */
  maskGrads(): void {
    for (const e of this.entries) {
      const g = e.param.grad;
      if (g === null) continue;
      for (const i of e.zeros) g[i] = 0;
    }
  }

  /** Force pruned weights back to zero (after an optimizer step). */
  apply(): void {
    for (const e of this.entries) {
      const d = e.param.data;
      for (const i of e.zeros) d[i] = 0;
    }
  }
}

/** Non-zero values over all parameters of a model. */
export function countNonZero(model: Module): number {
  let n = 0;
  for (const p of model.parameters()) for (let i = 0; i < p.size; i++) if (p.data[i] !== 0) n++;
  return n;
}
