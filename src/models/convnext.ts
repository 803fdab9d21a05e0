// ConvNeXt with timm's parameter names and shapes (timm convnext.py). Internally activations are
// channels-last (B, H, W, C): the stem and downsampling convolutions are stride == kernel patch
// embeddings, the depthwise 7x7 runs on contiguous channel vectors, and LayerNorm / MLP act on the
// last dim directly — no NCHW<->NHWC permutes inside the network. Parameters keep PyTorch layouts.

import {
  add, depthwiseConv2dNhwc, gelu, globalAvgPool, layerNorm, linear, mul, patchEmbed,
} from '../engine/ops/index.js';
import { Conv2d, DropPath, init, LayerNorm, LayerNorm2d, Linear, Module, ModuleList, Rng, type Tensor } from '../engine/index.js';
import { hiddenWidth } from '../arch/config-util.js';
import {
  convnext, CONVNEXT_DEFAULTS as CONVNEXT_ARCH_DEFAULTS, stageDownsamples, type ConvNextConfig as ConvNextArchConfig,
} from '../arch/convnext.js';
import type { TrainableFamily } from './family.js';

/** The architecture's config (the one `wsel select` declares) plus what only training needs. */
export interface ConvNextConfig extends ConvNextArchConfig {
  drop_path_rate: number;
  head_init_scale: number;
  /** Seed for initialization and drop-path. */
  seed: number;
}

export const CONVNEXT_DEFAULTS: ConvNextConfig = { ...CONVNEXT_ARCH_DEFAULTS, drop_path_rate: 0, head_init_scale: 1, seed: 0 };

const LN_EPS = 1e-6;

/** Mlp on channels-last data; fc1/fc2 are Linear (conv_mlp=false) or 1x1 Conv2d (conv_mlp=true). */
class BlockMlp extends Module {
  readonly fc1: Linear | Conv2d;
  readonly fc2: Linear | Conv2d;
  constructor(dim: number, hidden: number, convMlp: boolean) {
    super();
    this.fc1 = this.child('fc1', convMlp ? new Conv2d(dim, hidden, 1) : new Linear(dim, hidden));
    this.fc2 = this.child('fc2', convMlp ? new Conv2d(hidden, dim, 1) : new Linear(hidden, dim));
  }
  forward(x: Tensor): Tensor {
    // A (out, in, 1, 1) kernel is the same matrix as an (out, in) Linear weight.
    const h = gelu(linear(x, this.fc1.weight, this.fc1.bias));
    return linear(h, this.fc2.weight, this.fc2.bias);
  }
}

export class ConvNextBlock extends Module {
  readonly gamma: Tensor | null;
  readonly convDw: Conv2d;
  readonly norm: LayerNorm;
  readonly mlp: BlockMlp;
  readonly dropPath: DropPath;

  constructor(dim: number, kernelSize: number, mlpRatio: number, lsInit: number | null, convMlp: boolean, dropPathRate: number, seed: number) {
    super();
    // timm registers gamma as the block's own parameter, so it comes first in the state dict.
    this.gamma = lsInit !== null ? this.param('gamma', [dim]) : null;
    if (this.gamma) this.gamma.data.fill(lsInit!);
    this.convDw = this.child('conv_dw', new Conv2d(dim, dim, kernelSize, { padding: kernelSize >> 1, groups: dim }));
    this.norm = this.child('norm', convMlp ? new LayerNorm2d(dim, LN_EPS) : new LayerNorm(dim, LN_EPS));
    this.mlp = this.child('mlp', new BlockMlp(dim, hiddenWidth(dim, mlpRatio), convMlp));
    this.dropPath = this.child('drop_path', new DropPath(dropPathRate, seed));
  }

  /** x: (B, H, W, C) channels-last. */
  forward(x: Tensor): Tensor {
    const k = this.convDw.kernelSize;
    let y = depthwiseConv2dNhwc(x, this.convDw.weight, this.convDw.bias, { padding: k >> 1 });
    y = layerNorm(y, this.norm.weight, this.norm.bias, LN_EPS);
    y = this.mlp.forward(y);
    if (this.gamma) y = mul(y, this.gamma);
    return add(this.dropPath.forward(y), x);
  }
}

export class ConvNextStage extends Module {
  /** LayerNorm2d then a 2x2 stride-2 conv, where timm has one (stageDownsamples); absent in stage 0. */
  readonly downsample: ModuleList | null;
  readonly blocks: ModuleList<ConvNextBlock>;

  constructor(inDim: number, outDim: number, downsample: boolean, depth: number, dprs: number[], c: ConvNextConfig, seed: number) {
    super();
    if (downsample) {
      this.downsample = this.child('downsample', new ModuleList([new LayerNorm2d(inDim, LN_EPS), new Conv2d(inDim, outDim, 2, { stride: 2 })]));
    } else {
      this.downsample = null;
    }
    this.blocks = this.child('blocks', new ModuleList<ConvNextBlock>());
    for (let i = 0; i < depth; i++) {
      this.blocks.push(new ConvNextBlock(outDim, c.kernel_size, c.mlp_ratio, c.ls_init_value, c.conv_mlp, dprs[i]!, seed + i));
    }
  }

  forward(x: Tensor): Tensor {
    if (this.downsample) {
      const norm = this.downsample.at(0) as LayerNorm2d;
      const conv = this.downsample.at(1) as Conv2d;
      x = patchEmbed(layerNorm(x, norm.weight, norm.bias, LN_EPS), conv.weight, conv.bias, 'nhwc');
    }
    for (const b of this.blocks) x = b.forward(x);
    return x;
  }
}

/** timm NormMlpClassifierHead (no hidden layer): global average pool, head.norm, head.fc. */
class ClassifierHead extends Module {
  readonly norm: LayerNorm2d;
  readonly fc: Linear | null;
  constructor(dim: number, numClasses: number) {
    super();
    this.norm = this.child('norm', new LayerNorm2d(dim, LN_EPS));
    this.fc = numClasses > 0 ? this.child('fc', new Linear(dim, numClasses)) : null;
  }
  /** y: channels-last (B, H, W, C). */
  forward(y: Tensor, preLogits = false): Tensor {
    const p = layerNorm(globalAvgPool(y, 'nhwc'), this.norm.weight, this.norm.bias, LN_EPS);
    if (preLogits || !this.fc) return p;
    return linear(p, this.fc.weight, this.fc.bias);
  }
}

export class ConvNeXt extends Module {
  readonly config: ConvNextConfig;
  readonly stem: ModuleList;
  readonly stages: ModuleList<ConvNextStage>;
  readonly head: ClassifierHead;

  constructor(config: Partial<ConvNextConfig> = {}) {
    super();
    const c = { ...CONVNEXT_DEFAULTS, ...config };
    this.config = c;
    if (c.depths.length !== c.dims.length) throw new Error('ConvNeXt: depths and dims must have the same length');
    this.stem = this.child('stem', new ModuleList([
      new Conv2d(c.in_chans, c.dims[0]!, c.patch_size, { stride: c.patch_size }),
      new LayerNorm2d(c.dims[0]!, LN_EPS),
    ]));
    this.stages = this.child('stages', new ModuleList<ConvNextStage>());
    // Drop-path rate rises linearly over all blocks of all stages (timm linspace(0, rate, sum(depths))).
    const total = c.depths.reduce((a, b) => a + b, 0);
    let bi = 0;
    let prev = c.dims[0]!;
    c.depths.forEach((depth, s) => {
      const dprs = Array.from({ length: depth }, () => (total > 1 ? (c.drop_path_rate * bi++) / (total - 1) : 0));
      this.stages.push(new ConvNextStage(prev, c.dims[s]!, stageDownsamples(c, s), depth, dprs, c, c.seed + 1000 * (s + 1)));
      prev = c.dims[s]!;
    });
    // timm NormMlpClassifierHead: head.norm (LayerNorm2d on the pooled features), head.fc.
    this.head = this.child('head', new ClassifierHead(prev, c.num_classes));
    this.initWeights(new Rng(c.seed));
  }

  /** timm _init_weights: trunc-normal(0.02) for every Conv2d / Linear weight, zero biases; head.fc scaled. */
  initWeights(rng: Rng): void {
    for (const [, m] of this.namedModules()) {
      if (m instanceof Conv2d || m instanceof Linear) {
        init.truncNormal_(m.weight, rng, 0.02);
        if (m.bias) init.zeros_(m.bias);
      }
    }
    const fc = this.head.fc;
    if (fc) {
      const s = this.config.head_init_scale;
      for (const t of [fc.weight, fc.bias!]) for (let i = 0; i < t.size; i++) t.data[i] *= s;
    }
  }

  noWeightDecay(): string[] {
    return [];
  }

  /** Channels-last features of the last stage: (B, H/32, W/32, C_last). */
  forwardFeatures(x: Tensor): Tensor {
    const side = Math.min(x.shape[2]!, x.shape[3]!);
    if (convnextLastSide(side, this.config) < 1) {
      throw new Error(`ConvNeXt: a ${x.shape[2]}x${x.shape[3]} input is too small for a stem of ${this.config.patch_size} and ${this.config.depths.length} stages (the last stage would be empty); use at least ${convnextMinSide(this.config)}`);
    }
    const conv = this.stem.at(0) as Conv2d;
    const norm = this.stem.at(1) as LayerNorm2d;
    let y = patchEmbed(x, conv.weight, conv.bias, 'nchw');
    y = layerNorm(y, norm.weight, norm.bias, LN_EPS);
    for (const s of this.stages) y = s.forward(y);
    return y;
  }

  forwardHead(y: Tensor, preLogits = false): Tensor {
    return this.head.forward(y, preLogits);
  }

  /** x: (B, C, H, W) → logits (B, num_classes). */
  forward(x: Tensor): Tensor {
    return this.forwardHead(this.forwardFeatures(x));
  }
}

/** Spatial side of the last stage for a square input: the stem divides by patch_size, each downsample halves (floor). */
export function convnextLastSide(side: number, c: Pick<ConvNextConfig, 'patch_size' | 'dims'>): number {
  let s = Math.floor(side / c.patch_size);
  c.dims.forEach((_, i) => { if (stageDownsamples(c, i)) s = Math.floor(s / 2); });
  return s;
}

/** The smallest square input side every stage gets at least one pixel of. */
export function convnextMinSide(c: Pick<ConvNextConfig, 'patch_size' | 'dims'>): number {
  return c.patch_size * 2 ** c.dims.filter((_, i) => stageDownsamples(c, i)).length;
}

export const convnextFamily: TrainableFamily<ConvNextArchConfig, ConvNeXt> = {
  name: 'convnext',
  arch: convnext,
  defaults: CONVNEXT_ARCH_DEFAULTS,
  create: (config) => new ConvNeXt(config),
  classifierPrefix: 'head.fc.',
  noWeightDecay: [],
  defaultDropPath: 0.1,
  inputSide: 'any',
  unbuildable: (c) => (c.kernel_size % 2 !== 1 ? `kernel_size ${c.kernel_size} must be odd` : null),
};
