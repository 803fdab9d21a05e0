// MLP-Mixer with timm's parameter names and shapes (timm mlp_mixer.py): token-mixing MLP across
// patches (on the transposed (B, D, N) activations), channel-mixing MLP across features.

import { add, globalAvgPool, patchEmbed, reshape, transpose } from '../engine/ops/index.js';
import { hiddenWidth } from '../arch/config-util.js';
import { mixer, MIXER_DEFAULTS as MIXER_ARCH_DEFAULTS, type MixerConfig as MixerArchConfig } from '../arch/mixer.js';
import { Conv2d, DropPath, init, LayerNorm, Linear, Mlp, Module, ModuleList, Rng, type Tensor } from '../engine/index.js';
import type { TrainableFamily } from './family.js';

/** The architecture's config (the one `wsel select` declares) plus what only training needs. */
export interface MixerConfig extends MixerArchConfig {
  drop_path_rate: number;
  /** Seed for initialization and drop-path. */
  seed: number;
}

export const MIXER_DEFAULTS: MixerConfig = { ...MIXER_ARCH_DEFAULTS, drop_path_rate: 0, seed: 0 };

const LN_EPS = 1e-6;

export class MixerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly mlpTokens: Mlp;
  readonly norm2: LayerNorm;
  readonly mlpChannels: Mlp;
  readonly dropPath: DropPath;

  constructor(dim: number, seqLen: number, ratio: [number, number], dropPathRate: number, seed: number) {
    super();
    const tokensDim = hiddenWidth(dim, ratio[0]);
    const channelsDim = hiddenWidth(dim, ratio[1]);
    this.norm1 = this.child('norm1', new LayerNorm(dim, LN_EPS));
    this.mlpTokens = this.child('mlp_tokens', new Mlp(seqLen, tokensDim));
    this.norm2 = this.child('norm2', new LayerNorm(dim, LN_EPS));
    this.mlpChannels = this.child('mlp_channels', new Mlp(dim, channelsDim));
    this.dropPath = this.child('drop_path', new DropPath(dropPathRate, seed));
  }

  /** x: (B, N, D). */
  forward(x: Tensor): Tensor {
    const t = transpose(this.mlpTokens.forward(transpose(this.norm1.forward(x), 1, 2)), 1, 2);
    x = add(x, this.dropPath.forward(t));
    const c = this.mlpChannels.forward(this.norm2.forward(x));
    return add(x, this.dropPath.forward(c));
  }
}

class Stem extends Module {
  readonly proj: Conv2d;
  constructor(inChans: number, dim: number, patch: number) {
    super();
    this.proj = this.child('proj', new Conv2d(inChans, dim, patch, { stride: patch }));
  }
  forward(x: Tensor): Tensor {
    const y = patchEmbed(x, this.proj.weight, this.proj.bias, 'nchw');
    return reshape(y, [y.shape[0]!, y.shape[1]! * y.shape[2]!, y.shape[3]!]);
  }
}

export class MlpMixer extends Module {
  readonly config: MixerConfig;
  readonly stem: Stem;
  readonly blocks: ModuleList<MixerBlock>;
  readonly norm: LayerNorm;
  readonly head: Linear | null;

  constructor(config: Partial<MixerConfig> = {}) {
    super();
    const c = { ...MIXER_DEFAULTS, ...config };
    this.config = c;
    const grid = Math.floor(c.img_size / c.patch_size);
    const seqLen = grid * grid;
    this.stem = this.child('stem', new Stem(c.in_chans, c.embed_dim, c.patch_size));
    this.blocks = this.child('blocks', new ModuleList<MixerBlock>());
    // timm's MlpMixer uses the same drop-path rate in every block.
    for (let i = 0; i < c.num_blocks; i++) this.blocks.push(new MixerBlock(c.embed_dim, seqLen, c.mlp_ratio, c.drop_path_rate, c.seed + 1000 + i));
    this.norm = this.child('norm', new LayerNorm(c.embed_dim, LN_EPS));
    this.head = c.num_classes > 0 ? this.child('head', new Linear(c.embed_dim, c.num_classes)) : null;
    this.initWeights(new Rng(c.seed));
  }

  /**
   * timm _init_weights (flax=False, head_bias=0): Linear xavier-uniform, biases of MLP layers
   * normal(1e-6), other biases zero; head weight and bias zero; stem conv lecun-normal, zero bias.
   */
  initWeights(rng: Rng): void {
    for (const [name, m] of this.namedModules()) {
      if (m instanceof Linear) {
        if (name.startsWith('head')) {
          init.zeros_(m.weight);
          if (m.bias) init.zeros_(m.bias);
        } else {
          init.xavierUniform_(m.weight, rng);
          if (m.bias) {
            if (name.includes('mlp')) init.normal_(m.bias, rng, 0, 1e-6);
            else init.zeros_(m.bias);
          }
        }
      } else if (m instanceof Conv2d) {
        init.lecunNormal_(m.weight, rng);
        if (m.bias) init.zeros_(m.bias);
      }
    }
  }

  noWeightDecay(): string[] {
    return [];
  }

  forwardFeatures(x: Tensor): Tensor {
    let t = this.stem.forward(x);
    for (const b of this.blocks) t = b.forward(t);
    return this.norm.forward(t);
  }

  forwardHead(t: Tensor, preLogits = false): Tensor {
    const p = globalAvgPool(t, 'nhwc');
    if (preLogits || !this.head) return p;
    return this.head.forward(p);
  }

  forward(x: Tensor): Tensor {
    return this.forwardHead(this.forwardFeatures(x));
  }
}

export const mixerFamily: TrainableFamily<MixerArchConfig, MlpMixer> = {
  name: 'mixer',
  arch: mixer,
  defaults: MIXER_ARCH_DEFAULTS,
  create: (config) => new MlpMixer(config),
  classifierPrefix: 'head.',
  noWeightDecay: [],
  defaultDropPath: 0,
  inputSide: 'img_size',
  unbuildable: (c) => (c.img_size % c.patch_size !== 0 ? `img_size ${c.img_size} is not a multiple of patch_size ${c.patch_size}` : null),
};
