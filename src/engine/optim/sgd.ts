// SGD with momentum, PyTorch semantics (torch.optim.SGD): coupled weight decay g += wd * p; the
// momentum buffer starts as g, then buf = momentum * buf + (1 - dampening) * g; nesterov uses
// g + momentum * buf.

import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroupSpec } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<Tensor, Float32Array>();

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], opts: SGDOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-2, weightDecay: opts.weightDecay ?? 0 });
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
  }

  step(): void {
    const { momentum: mu, dampening, nesterov } = this;
    for (const group of this.groups) {
      const { lr, weightDecay: wd } = group;
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        const d = p.data;
        if (mu === 0) {
          for (let i = 0; i < d.length; i++) d[i] = d[i]! - lr * (g[i]! + wd * d[i]!);
          continue;
        }
        let buf = this.buffers.get(p);
        const first = buf === undefined;
        if (buf === undefined) { buf = new Float32Array(p.size); this.buffers.set(p, buf); }
        for (let i = 0; i < d.length; i++) {
          const gi = g[i]! + wd * d[i]!;
          const b = first ? gi : mu * buf[i]! + (1 - dampening) * gi;
          buf[i] = b;
          d[i] = d[i]! - lr * (nesterov ? gi + mu * b : b);
        }
      }
    }
  }
}
