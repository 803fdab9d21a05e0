// Layers with timm/PyTorch parameter names. Parameters start at zero (LayerNorm weight at one);
// models apply their own (timm) initialization, or call resetParameters(rng) for PyTorch's defaults.

import { ones_, torchDefault_ } from './init.js';
import { Module } from './module.js';
import { gelu } from './ops/activation.js';
import { conv2d, type Conv2dOptions } from './ops/conv.js';
import { linear } from './ops/matmul.js';
import { layerNorm, layerNorm2d } from './ops/norm.js';
import { dropPath } from './ops/regularize.js';
import { Rng } from './random.js';
import type { Tensor } from './tensor.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.weight = this.param('weight', [outFeatures, inFeatures]);
    this.bias = bias ? this.param('bias', [outFeatures]) : null;
  }

  resetParameters(rng: Rng): void {
    torchDefault_(this.weight, this.bias, rng);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** LayerNorm over the last dim. */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', [dim]);
    this.bias = this.param('bias', [dim]);
    ones_(this.weight);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** timm LayerNorm2d: LayerNorm over channels of NCHW input (channels-last input: use forwardNhwc). */
export class LayerNorm2d extends LayerNorm {
  override forward(x: Tensor): Tensor {
    return layerNorm2d(x, this.weight, this.bias, this.eps);
  }

  /** Same normalization on channels-last (B, H, W, C) data: a plain last-dim LayerNorm. */
  forwardNhwc(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number,
    readonly opts: Conv2dOptions = {}, bias = true) {
    super();
    const groups = opts.groups ?? 1;
    this.weight = this.param('weight', [outChannels, inChannels / groups, kernelSize, kernelSize]);
    this.bias = bias ? this.param('bias', [outChannels]) : null;
  }

  resetParameters(rng: Rng): void {
    torchDefault_(this.weight, this.bias, rng);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}

/** timm Mlp: fc1 → GELU → fc2 (dropout 0). */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(inFeatures: number, hidden: number, outFeatures = inFeatures) {
    super();
    this.fc1 = this.child('fc1', new Linear(inFeatures, hidden));
    this.fc2 = this.child('fc2', new Linear(hidden, outFeatures));
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(gelu(this.fc1.forward(x)));
  }
}

/**
 * Stochastic depth (timm's DropPath) with its own seeded generator. A trainer calls reseed() every step so that
 * which samples are dropped is a function of (seed, step), and a resumed run drops the same ones.
 */
export class DropPath extends Module {
  private rng: Rng;
  constructor(readonly rate: number, seed: number) {
    super();
    this.rng = new Rng(seed);
  }
  reseed(seed: number): void {
    this.rng = new Rng(seed);
  }
  forward(x: Tensor): Tensor {
    return dropPath(x, this.rate, this.rng, this.training);
  }
}
