// Vision Transformer with timm's parameter names and shapes (timm vision_transformer.py).
// Activations stay token-major (B, T, D); attention runs on the packed qkv projection.

import {
  add, concat, expandBatch, globalAvgPool, layerNorm, linear, mul, multiHeadAttention, patchEmbed,
  reshape, select, slice,
} from '../engine/ops/index.js';
import { hiddenWidth } from '../arch/config-util.js';
import { vit, VIT_DEFAULTS as VIT_ARCH_DEFAULTS, type VitConfig as VitArchConfig } from '../arch/vit.js';
import { Conv2d, DropPath, init, LayerNorm, Linear, Mlp, Module, ModuleList, Rng, type Tensor } from '../engine/index.js';
import type { TrainableFamily } from './family.js';

/** The architecture's config (the one `wsel select` declares) plus what only training needs. */
export interface VitConfig extends VitArchConfig {
  drop_path_rate: number;
  /** Seed for initialization and drop-path. */
  seed: number;
}

export const VIT_DEFAULTS: VitConfig = { ...VIT_ARCH_DEFAULTS, drop_path_rate: 0, seed: 0 };

const LN_EPS = 1e-6;

/** timm's VisionTransformer.no_weight_decay(): besides 1-D tensors and biases. */
const NO_WEIGHT_DECAY = ['pos_embed', 'cls_token', 'reg_token', 'dist_token'] as const;

class PatchEmbed extends Module {
  readonly proj: Conv2d;

  constructor(inChans: number, embedDim: number, patch: number) {
    super();
    this.proj = this.child('proj', new Conv2d(inChans, embedDim, patch, { stride: patch }));
  }

  /** (B, C, H, W) → (B, N, D), patches in row-major order (conv + flatten(2).transpose(1, 2)). */
  forward(x: Tensor): Tensor {
    const y = patchEmbed(x, this.proj.weight, this.proj.bias, 'nchw');
    return reshape(y, [y.shape[0]!, y.shape[1]! * y.shape[2]!, y.shape[3]!]);
  }
}

class LayerScale extends Module {
  readonly gamma: Tensor;
  constructor(dim: number, value: number) {
    super();
    this.gamma = this.param('gamma', [dim]);
    this.gamma.data.fill(value);
  }
  forward(x: Tensor): Tensor {
    return mul(x, this.gamma);
  }
}

class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(dim: number, readonly numHeads: number, qkvBias: boolean) {
    super();
    this.qkv = this.child('qkv', new Linear(dim, dim * 3, qkvBias));
    this.proj = this.child('proj', new Linear(dim, dim));
  }
  forward(x: Tensor): Tensor {
    return this.proj.forward(multiHeadAttention(this.qkv.forward(x), this.numHeads));
  }
}

export class VitBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly ls1: LayerScale | null;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  readonly ls2: LayerScale | null;
  readonly dropPath: DropPath;

  constructor(dim: number, numHeads: number, mlpRatio: number, qkvBias: boolean, initValues: number | null,
    dropPathRate: number, seed: number) {
    super();
    this.norm1 = this.child('norm1', new LayerNorm(dim, LN_EPS));
    this.attn = this.child('attn', new Attention(dim, numHeads, qkvBias));
    this.ls1 = initValues !== null ? this.child('ls1', new LayerScale(dim, initValues)) : null;
    this.norm2 = this.child('norm2', new LayerNorm(dim, LN_EPS));
    this.mlp = this.child('mlp', new Mlp(dim, hiddenWidth(dim, mlpRatio)));
    this.ls2 = initValues !== null ? this.child('ls2', new LayerScale(dim, initValues)) : null;
    this.dropPath = this.child('drop_path', new DropPath(dropPathRate, seed));
  }

  forward(x: Tensor): Tensor {
    let h = this.attn.forward(this.norm1.forward(x));
    if (this.ls1) h = this.ls1.forward(h);
    x = add(x, this.dropPath.forward(h));
    h = this.mlp.forward(this.norm2.forward(x));
    if (this.ls2) h = this.ls2.forward(h);
    return add(x, this.dropPath.forward(h));
  }
}

export class VisionTransformer extends Module {
  readonly config: VitConfig;
  readonly numPrefixTokens: number;
  readonly clsToken: Tensor | null;
  readonly regToken: Tensor | null;
  readonly posEmbed: Tensor;
  readonly patchEmbed: PatchEmbed;
  readonly blocks: ModuleList<VitBlock>;
  readonly norm: LayerNorm | null;
  readonly fcNorm: LayerNorm | null;
  readonly head: Linear | null;

  constructor(config: Partial<VitConfig> = {}) {
    super();
    const c = { ...VIT_DEFAULTS, ...config };
    this.config = c;
    if (c.embed_dim % c.num_heads !== 0) throw new Error(`ViT: embedDim ${c.embed_dim} is not divisible by numHeads ${c.num_heads}`);
    const grid = Math.floor(c.img_size / c.patch_size);
    const numPatches = grid * grid;
    this.numPrefixTokens = (c.class_token ? 1 : 0) + c.reg_tokens;
    // Registration order follows timm's state_dict: own parameters, then submodules.
    this.clsToken = c.class_token ? this.param('cls_token', [1, 1, c.embed_dim]) : null;
    this.regToken = c.reg_tokens > 0 ? this.param('reg_token', [1, c.reg_tokens, c.embed_dim]) : null;
    // no_embed_class (DeiT III, register ViTs): position embeddings for the patches only.
    this.posEmbed = this.param('pos_embed', [1, (c.no_embed_class ? 0 : this.numPrefixTokens) + numPatches, c.embed_dim]);
    this.patchEmbed = this.child('patch_embed', new PatchEmbed(c.in_chans, c.embed_dim, c.patch_size));
    this.blocks = this.child('blocks', new ModuleList<VitBlock>());
    for (let i = 0; i < c.depth; i++) {
      // Stochastic depth rises linearly with depth, as in timm.
      const dpr = c.depth > 1 ? (c.drop_path_rate * i) / (c.depth - 1) : 0;
      this.blocks.push(new VitBlock(c.embed_dim, c.num_heads, c.mlp_ratio, c.qkv_bias, c.init_values, dpr, c.seed + 1000 + i));
    }
    const useFcNorm = c.global_pool === 'avg';
    this.norm = useFcNorm ? null : this.child('norm', new LayerNorm(c.embed_dim, LN_EPS));
    this.fcNorm = useFcNorm ? this.child('fc_norm', new LayerNorm(c.embed_dim, LN_EPS)) : null;
    this.head = c.num_classes > 0 ? this.child('head', new Linear(c.embed_dim, c.num_classes)) : null;
    this.initWeights(new Rng(c.seed));
  }

  /**
   * timm's default ('') init: pos_embed trunc-normal(0.02), cls/reg tokens normal(1e-6), every Linear
   * trunc-normal(0.02) with zero bias. The patch-embedding conv keeps PyTorch's default conv init
   * (kaiming-uniform a=sqrt(5)), as timm leaves it in this mode. LayerNorms are ones/zeros.
   */
  initWeights(rng: Rng): void {
    init.truncNormal_(this.posEmbed, rng, 0.02);
    if (this.clsToken) init.normal_(this.clsToken, rng, 0, 1e-6);
    if (this.regToken) init.normal_(this.regToken, rng, 0, 1e-6);
    this.patchEmbed.proj.resetParameters(rng);
    for (const [, m] of this.namedModules()) {
      if (m instanceof Linear) {
        init.truncNormal_(m.weight, rng, 0.02);
        if (m.bias) init.zeros_(m.bias);
      }
    }
  }

  /** Names excluded from weight decay besides 1-D tensors and biases (timm no_weight_decay()). */
  noWeightDecay(): string[] {
    return [...NO_WEIGHT_DECAY];
  }

  /** Tokens after the final norm: (B, T, D). */
  forwardFeatures(x: Tensor): Tensor {
    let t = this.patchEmbed.forward(x);
    const b = t.shape[0]!;
    const prefix: Tensor[] = [];
    if (this.clsToken) prefix.push(expandBatch(this.clsToken, b));
    if (this.regToken) prefix.push(expandBatch(this.regToken, b));
    // timm's _pos_embed: with no_embed_class, add to the patches and then prepend the prefix tokens.
    if (this.config.no_embed_class) t = add(t, this.posEmbed);
    if (prefix.length > 0) t = concat([...prefix, t], 1);
    if (!this.config.no_embed_class) t = add(t, this.posEmbed);
    for (const blk of this.blocks) t = blk.forward(t);
    if (this.norm) t = this.norm.forward(t);
    return t;
  }

  forwardHead(t: Tensor, preLogits = false): Tensor {
    let x: Tensor;
    if (this.config.global_pool === 'avg') {
      const tokens = this.numPrefixTokens > 0 ? slice(t, 1, this.numPrefixTokens, t.shape[1]!) : t;
      x = globalAvgPool(tokens, 'nhwc');
    } else {
      x = select(t, 1, 0);
    }
    if (this.fcNorm) x = layerNorm(x, this.fcNorm.weight, this.fcNorm.bias, LN_EPS);
    if (preLogits || !this.head) return x;
    return linear(x, this.head.weight, this.head.bias);
  }

  forward(x: Tensor): Tensor {
    return this.forwardHead(this.forwardFeatures(x));
  }
}

export const vitFamily: TrainableFamily<VitArchConfig, VisionTransformer> = {
  name: 'vit',
  arch: vit,
  defaults: VIT_ARCH_DEFAULTS,
  create: (config) => new VisionTransformer(config),
  classifierPrefix: 'head.',
  noWeightDecay: NO_WEIGHT_DECAY,
  defaultDropPath: 0,
  inputSide: 'img_size',
  unbuildable(c) {
    if (c.img_size % c.patch_size !== 0) return `img_size ${c.img_size} is not a multiple of patch_size ${c.patch_size}`;
    return null;
  },
};
