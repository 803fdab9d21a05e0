// AdamW whose state can be saved and restored (the engine's AdamW keeps its moments private). The update is
// the engine's, operation for operation (torch.optim.AdamW, amsgrad off), so a run is the same whichever class
// runs it; test/training checks the two bitwise.
import { Optimizer, type ParamGroupSpec, type Tensor } from '../engine/index.js';

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

interface Moments {
  m: Float32Array;
  v: Float32Array;
  step: number;
}

export interface OptimizerTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export class ResumableAdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly state = new Map<Tensor, Moments>();

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
          st = { m: new Float32Array(p.size), v: new Float32Array(p.size), step: 0 };
          this.state.set(p, st);
        }
        st.step++;
        const bc1 = 1 - Math.pow(b1, st.step);
        const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, st.step));
        adamwUpdate(p.data, g, st.m, st.v, b1, b2, eps, lr / bc1, bc2Sqrt, 1 - lr * wd);
      }
    }
  }

  stepCount(p: Tensor): number {
    return this.state.get(p)?.step ?? 0;
  }

  /** Moments as named tensors (`<prefix>exp_avg.<param>`, `<prefix>exp_avg_sq.<param>`) and per-parameter step counts. */
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
      if (m.length !== p.size || v.length !== p.size) throw new Error(`optimizer state of ${name} has the wrong size`);
      this.state.set(p, { m: Float32Array.from(m), v: Float32Array.from(v), step });
    }
  }
}

/** One AdamW update of a parameter buffer (a standalone function, so V8 keeps the loop in registers). */
function adamwUpdate(d: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number,
  eps: number, stepSize: number, bc2Sqrt: number, decay: number): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < d.length; i++) {
    const gi = g[i]!;
    const mi = b1 * m[i]! + c1 * gi;
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    d[i] = d[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}
