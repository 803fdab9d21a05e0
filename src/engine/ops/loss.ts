// Classification losses on logits (B, C), fused with their log-softmax. Both return the batch mean.

import { gradOf, record } from '../autograd.js';
import { logSumExpRow } from '../kernels/softmax.js';
import { scratch } from '../pool.js';
import { empty, shapeStr, Tensor } from '../tensor.js';

export interface CrossEntropyOptions {
  /** PyTorch label_smoothing: the target becomes (1 - s) * target + s / C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits (B, C) against class indices (B) or soft targets (B, C) (e.g. mixup),
 * averaged over the batch — torch.nn.functional.cross_entropy semantics. Targets get no gradient.
 */
export function crossEntropy(logits: Tensor, target: Int32Array | readonly number[] | Tensor, opts: CrossEntropyOptions = {}): Tensor {
  if (logits.ndim !== 2) throw new Error(`crossEntropy: logits must be (B, C), got ${shapeStr(logits.shape)}`);
  const [b, c] = logits.shape as [number, number];
  const eps = opts.labelSmoothing ?? 0;
  const soft = target instanceof Tensor ? target.data : null;
  if (soft && soft.length !== b * c) throw new Error(`crossEntropy: soft targets must be (${b}, ${c})`);
  if (!soft && (target as ArrayLike<number>).length !== b) throw new Error(`crossEntropy: expected ${b} labels`);
  const labels = soft ? null : (target as ArrayLike<number>);
  const x = logits.data;
  // q: the effective target distribution per row; probs: softmax for backward.
  const q = scratch(b * c);
  const probs = scratch(b * c);
  let total = 0;
  for (let r = 0; r < b; r++) {
    const base = r * c;
    if (soft) {
      for (let j = 0; j < c; j++) q[base + j] = soft[base + j]! * (1 - eps) + eps / c;
    } else {
      const y = labels![r]!;
      if (y < 0 || y >= c) throw new Error(`crossEntropy: label ${y} out of range [0, ${c})`);
      for (let j = 0; j < c; j++) q[base + j] = eps / c;
      q[base + y] += 1 - eps;
    }
    const lse = logSumExpRow(x, base, c);
    for (let j = 0; j < c; j++) {
      const lp = x[base + j]! - lse;
      probs[base + j] = Math.exp(lp);
      total -= q[base + j]! * lp;
    }
  }
  const out = empty([]);
  out.data[0] = total / b;
  return record(out, 'crossEntropy', [logits], (g) => {
    const gx = gradOf(logits)!;
    const scale = g[0]! / b;
    // d/dz of -sum_j q_j log softmax(z)_j = softmax(z) * sum(q) - q (soft rows need not sum to 1).
    for (let r = 0; r < b; r++) {
      const base = r * c;
      let qs = 0;
      for (let j = 0; j < c; j++) qs += q[base + j]!;
      for (let j = 0; j < c; j++) gx[base + j] += scale * (probs[base + j]! * qs - q[base + j]!);
    }
  });
}

/**
 * Knowledge-distillation loss T^2 * KL(softmax(teacher/T) || softmax(student/T)), averaged over the
 * batch ('batchmean'). The teacher is a constant: only the student logits get a gradient.
 */
export function distillationKL(student: Tensor, teacher: Tensor, temperature = 1): Tensor {
  if (student.ndim !== 2 || teacher.ndim !== 2 || student.shape[0] !== teacher.shape[0] || student.shape[1] !== teacher.shape[1]) {
    throw new Error(`distillationKL: student ${shapeStr(student.shape)} and teacher ${shapeStr(teacher.shape)} must both be (B, C)`);
  }
  const [b, c] = student.shape as [number, number];
  const t = temperature;
  const s = student.data;
  const te = teacher.data;
  const ps = scratch(b * c);
  const pt = scratch(b * c);
  let total = 0;
  const logSoftmaxRow = (src: Float32Array, base: number, dst: Float32Array): void => {
    const lse = logSumExpRow(src, base, c, t);
    for (let j = 0; j < c; j++) dst[base + j] = src[base + j]! / t - lse;
  };
  for (let r = 0; r < b; r++) {
    const base = r * c;
    logSoftmaxRow(s, base, ps);
    logSoftmaxRow(te, base, pt);
    for (let j = 0; j < c; j++) {
      const lt = pt[base + j]!;
      const p = Math.exp(lt);
      if (p > 0) total += p * (lt - ps[base + j]!);
    }
  }
  const out = empty([]);
  out.data[0] = (t * t * total) / b;
  return record(out, 'distillationKL', [student], (g) => {
    const gx = gradOf(student)!;
    // d/ds = T^2/B * (softmax(s/T) - softmax(t/T)) / T.
    const scale = (g[0]! * t) / b;
    for (let i = 0; i < b * c; i++) gx[i] += scale * (Math.exp(ps[i]!) - Math.exp(pt[i]!));
  });
}
