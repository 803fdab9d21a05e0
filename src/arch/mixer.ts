// MLP-Mixer, timm layout (`mlp_mixer.py`): patch stem, blocks of token mixing (an MLP across the patch grid)
// and channel mixing (an MLP across channels), final norm, linear head.
import { DeclBuilder } from './builder.js';
import { checkKnownFields, ConfigError, countLayers, hiddenWidth, nonNegativeInt, positiveInt, requireShape } from './config-util.js';
import { applyTimmName } from './timm-names.js';
import type { Family } from './types.js';

export interface MixerConfig {
  img_size: number;
  patch_size: number;
  in_chans: number;
  num_classes: number;
  embed_dim: number;
  num_blocks: number;
  /** [token-mixing ratio, channel-mixing ratio]; hidden widths are int(ratio x embed_dim), as timm. */
  mlp_ratio: [number, number];
}

const FIELDS = ['img_size', 'patch_size', 'in_chans', 'num_classes', 'embed_dim', 'num_blocks', 'mlp_ratio'] as const;

export const MIXER_DEFAULTS: MixerConfig = {
  img_size: 224, patch_size: 16, in_chans: 3, num_classes: 1000, embed_dim: 512, num_blocks: 8, mlp_ratio: [0.5, 4],
};

export function mixerHidden(c: MixerConfig): { tokens: number; channels: number } {
  return { tokens: hiddenWidth(c.embed_dim, c.mlp_ratio[0]), channels: hiddenWidth(c.embed_dim, c.mlp_ratio[1]) };
}

function validate(c: MixerConfig): MixerConfig {
  for (const f of ['img_size', 'patch_size', 'in_chans', 'embed_dim', 'num_blocks'] as const) positiveInt(c[f], f);
  nonNegativeInt(c.num_classes, 'num_classes');
  if (!Array.isArray(c.mlp_ratio) || c.mlp_ratio.length !== 2 || !c.mlp_ratio.every((r) => typeof r === 'number' && r > 0)) {
    throw new ConfigError('config field "mlp_ratio" must be [token_ratio, channel_ratio]');
  }
  return c;
}

export const mixer: Family<MixerConfig> = {
  name: 'mixer',
  description: 'MLP-Mixer (timm names: stem.proj, blocks.N.mlp_tokens / mlp_channels, norm, head)',

  inferConfig(shapes) {
    const stem = requireShape(shapes, 'stem.proj.weight', 4, 'MLP-Mixer');
    const num_blocks = countLayers(shapes, 'blocks');
    const tokens = requireShape(shapes, 'blocks.0.mlp_tokens.fc1.weight', 2, 'MLP-Mixer');
    const channels = requireShape(shapes, 'blocks.0.mlp_channels.fc1.weight', 2, 'MLP-Mixer');
    const embed_dim = stem[0]!;
    const grid = Math.round(Math.sqrt(tokens[1]!));
    if (grid * grid !== tokens[1]) throw new ConfigError(`mlp_tokens reads ${tokens[1]} patches, which is not a square grid`);
    const head = shapes.get('head.weight');
    return validate({
      img_size: grid * stem[2]!, patch_size: stem[2]!, in_chans: stem[1]!, num_classes: head ? head[0]! : 0, embed_dim,
      num_blocks, mlp_ratio: [tokens[0]! / embed_dim, channels[0]! / embed_dim],
    });
  },

  studentConfig(teacher, overrides) {
    const named = applyTimmName('mixer', MIXER_DEFAULTS, teacher, overrides);
    checkKnownFields(named.overrides, FIELDS, 'MLP-Mixer');
    return validate({ ...named.base, ...named.overrides } as MixerConfig);
  },

  declare(c) {
    validate(c);
    const b = new DeclBuilder('mixer', { ...c });
    const grid = Math.floor(c.img_size / c.patch_size);
    const hidden = mixerHidden(c);
    b.space('embed', c.embed_dim)
      .space('in_chans', c.in_chans, { fixed: 'input channels' })
      .space('patch', c.patch_size)
      .space('patches', grid * grid, { fixed: 'the patch grid (token mixing reads every patch)' })
      .space('classes', c.num_classes, { fixed: 'the label set' });
    b.tensor('stem.proj.weight', 'embed', 'embed', 'in_chans', 'patch', 'patch')
      .tensor('stem.proj.bias', 'embed', 'embed');
    b.stack('blocks', c.num_blocks);
    for (let i = 0; i < c.num_blocks; i++) {
      const p = `blocks.${i}`;
      b.space(`${p}.mlp_tokens`, hidden.tokens).space(`${p}.mlp_channels`, hidden.channels)
        .norm(`${p}.norm1`, 'embed')
        .linear(`${p}.mlp_tokens.fc1`, 'mlp', `${p}.mlp_tokens`, 'patches')
        .linear(`${p}.mlp_tokens.fc2`, 'mlp', 'patches', `${p}.mlp_tokens`)
        .norm(`${p}.norm2`, 'embed')
        .linear(`${p}.mlp_channels.fc1`, 'mlp', `${p}.mlp_channels`, 'embed')
        .linear(`${p}.mlp_channels.fc2`, 'mlp', 'embed', `${p}.mlp_channels`);
    }
    b.norm('norm', 'embed');
    if (c.num_classes > 0) b.linear('head', 'head', 'classes', 'embed');
    return b.build();
  },
};
