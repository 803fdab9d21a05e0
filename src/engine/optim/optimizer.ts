// Shared optimizer plumbing: parameter groups with their own hyper-parameters (PyTorch style).

import type { Tensor } from '../tensor.js';

export interface ParamGroupSpec {
  params: readonly Tensor[];
  lr?: number;
  weightDecay?: number;
  /** Multiplier applied to the scheduled lr (layer-wise decay etc.). */
  lrScale?: number;
}

export interface ParamGroup {
  params: readonly Tensor[];
  lr: number;
  weightDecay: number;
  lrScale: number;
}

export abstract class Optimizer {
  readonly groups: ParamGroup[];

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], defaults: { lr: number; weightDecay: number }) {
    const specs: readonly ParamGroupSpec[] = params.length > 0 && !('params' in (params[0] as object))
      ? [{ params: params as readonly Tensor[] }]
      : (params as readonly ParamGroupSpec[]);
    this.groups = specs.map((s) => ({
      params: s.params,
      lr: s.lr ?? defaults.lr,
      weightDecay: s.weightDecay ?? defaults.weightDecay,
      lrScale: s.lrScale ?? 1,
    }));
  }

  /** Set the lr of every group (times its lrScale), e.g. from a schedule. */
  setLr(lr: number): void {
    for (const g of this.groups) g.lr = lr * g.lrScale;
  }

  /** Zero all gradients (buffers are kept, so steps do not allocate). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad?.fill(0);
  }

  abstract step(): void;
}

/**
 * timm's param_groups_weight_decay: no decay for 1-D parameters (norms, biases, layer scale), names
 * ending in ".bias", and names in skip (e.g. pos_embed, cls_token); weightDecay for the rest.
 */
export function paramGroupsWeightDecay(named: readonly [string, Tensor][], weightDecay: number,
  skip: Iterable<string> = []): ParamGroupSpec[] {
  const skipSet = new Set(skip);
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [name, p] of named) {
    if (!p.requiresGrad) continue;
    if (p.ndim <= 1 || name.endsWith('.bias') || skipSet.has(name)) noDecay.push(p);
    else decay.push(p);
  }
  return [{ params: noDecay, weightDecay: 0 }, { params: decay, weightDecay }];
}
