// AdamW with PyTorch semantics (torch.optim.AdamW, amsgrad off):
//   p -= lr * wd * p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

import { parallelFor } from '../threads/pool.js';
import { allocF32 } from '../shared.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroupSpec } from './optimizer.js';

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly state = new Map<Tensor, { m: Float32Array; v: Float32Array; step: number }>();

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], opts: AdamWOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? 1e-2 });
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
  }

  step(): void {
    const { beta1: b1, beta2: b2, eps } = this;
    for (const group of this.groups) {
      const { lr, weightDecay: wd } = group;
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        let st = this.state.get(p);
        if (st === undefined) {
          st = { m: allocF32(p.size), v: allocF32(p.size), step: 0 };
          this.state.set(p, st);
        }
        st.step++;
        const bc1 = 1 - Math.pow(b1, st.step);
        const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, st.step));
        parallelFor('adamwRange', [p.data, g, st.m, st.v, b1, b2, eps, lr / bc1, bc2Sqrt, 1 - lr * wd], p.size, { cost: 7 });
      }
    }
  }

  /** Step count of a parameter (0 before its first update). */
  stepCount(p: Tensor): number {
    return this.state.get(p)?.step ?? 0;
  }

  /**
   * The moments as named tensors (`<prefix>exp_avg.<param>`, `<prefix>exp_avg_sq.<param>`, PyTorch's names) and
   * per-parameter step counts, so a run can be checkpointed and resumed exactly.
   */
  exportState(named: readonly [string, Tensor][], prefix: string): { tensors: OptimizerTensor[]; steps: Record<string, number> } {
    const tensors: OptimizerTensor[] = [];
    const steps: Record<string, number> = {};
    for (const [name, p] of named) {
      const st = this.state.get(p);
      if (!st) continue;
      tensors.push({ name: `${prefix}exp_avg.${name}`, shape: p.shape, data: st.m });
      tensors.push({ name: `${prefix}exp_avg_sq.${name}`, shape: p.shape, data: st.v });
      steps[name] = st.step;
    }
    return { tensors, steps };
  }

  /** Restore what exportState wrote; `read` returns a saved tensor's values by name. */
  importState(named: readonly [string, Tensor][], prefix: string, steps: Record<string, number>, read: (name: string) => Float32Array): void {
    this.state.clear();
    for (const [name, p] of named) {
      const step = steps[name];
      if (step === undefined) continue;
      const m = read(`${prefix}exp_avg.${name}`);
      const v = read(`${prefix}exp_avg_sq.${name}`);
      if (m.length !== p.size || v.length !== p.size) throw new Error(`optimizer state of ${name} has ${m.length} values, the parameter ${p.size}`);
      const st = { m: allocF32(p.size), v: allocF32(p.size), step };
      st.m.set(m);
      st.v.set(v);
      this.state.set(p, st);
    }
  }
}

/** A named optimizer tensor, as saved in a training checkpoint. */
export interface OptimizerTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

