// ConvNeXt, timm layout (`convnext.py`): patchify stem, four stages (LayerNorm + strided conv downsample
// at the start of every stage after the first, whatever the widths), blocks of depthwise conv -> LayerNorm -> Linear MLP -> layer scale, and a pooled head with
// its own LayerNorm. Channel spaces are per stage; each block's MLP hidden units are its own space.
import { DeclBuilder } from './builder.js';
import {
  checkKnownFields, ConfigError, countLayers, hiddenWidth, positiveInt, positiveIntList, requireShape, nonNegativeInt,
} from './config-util.js';
import { applyTimmName } from './timm-names.js';
import type { Family } from './types.js';

export interface ConvNextConfig {
  in_chans: number;
  num_classes: number;
  depths: number[];
  dims: number[];
  /** Stem patch size (stride = kernel). */
  patch_size: number;
  /** Depthwise kernel size. */
  kernel_size: number;
  /** MLP hidden width = mlp_ratio x stage width. */
  mlp_ratio: number;
  /** Layer scale (`gamma`) when set. */
  ls_init_value: number | null;
  /** 1x1 convolutions instead of Linear layers in the MLP (4-D fc weights). */
  conv_mlp: boolean;
}

const FIELDS = ['in_chans', 'num_classes', 'depths', 'dims', 'patch_size', 'kernel_size', 'mlp_ratio', 'ls_init_value', 'conv_mlp'] as const;

export const CONVNEXT_DEFAULTS: ConvNextConfig = {
  in_chans: 3, num_classes: 1000, depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], patch_size: 4, kernel_size: 7,
  mlp_ratio: 4, ls_init_value: 1e-6, conv_mlp: false,
};

function validate(c: ConvNextConfig): ConvNextConfig {
  positiveInt(c.in_chans, 'in_chans');
  nonNegativeInt(c.num_classes, 'num_classes');
  positiveInt(c.patch_size, 'patch_size');
  positiveInt(c.kernel_size, 'kernel_size');
  const depths = positiveIntList(c.depths, 'depths');
  positiveIntList(c.dims, 'dims', depths.length);
  if (!(c.mlp_ratio > 0)) throw new ConfigError('config field "mlp_ratio" must be positive');
  checkStrides(c);
  return c;
}

/** timm's output stride: a stage past it would be dilated instead of downsampled (wsel builds neither). */
const MAX_STRIDE = 32;

/**
 * Whether stage `s` starts with a downsample (LayerNorm + 2x2 stride-2 conv), by timm's rule: when its input
 * and output widths differ or it has stride 2, and every stage after the first has stride 2 (the first too
 * after a stem of stride 2). Equal widths do not remove it.
 */
export function stageDownsamples(c: Pick<ConvNextConfig, 'patch_size' | 'dims'>, s: number): boolean {
  const stride = s > 0 || c.patch_size === 2 ? 2 : 1;
  const inDim = c.dims[Math.max(0, s - 1)]!;
  return stride > 1 || inDim !== c.dims[s];
}

/** The network's total stride after every stage: the stem's patch size, doubled by each downsample. */
function checkStrides(c: ConvNextConfig): void {
  let stride = c.patch_size;
  c.dims.forEach((_, s) => {
    if (!stageDownsamples(c, s)) return;
    if (stride >= MAX_STRIDE) {
      throw new ConfigError(`stage ${s} would downsample past stride ${MAX_STRIDE} (stem ${c.patch_size}, ${c.dims.length} stages), where timm dilates its convolutions instead; use a smaller patch_size or fewer stages`);
    }
    stride *= 2;
  });
}

export function stageMlpHidden(c: ConvNextConfig, stage: number): number {
  return hiddenWidth(c.dims[stage]!, c.mlp_ratio);
}

export const convnext: Family<ConvNextConfig> = {
  name: 'convnext',
  unseenByShapes: ['ls_init_value'],
  description: 'ConvNeXt (timm names: stem.0, stages.S.downsample, stages.S.blocks.B.conv_dw / mlp.fc1 / gamma, head.norm, head.fc)',

  inferConfig(shapes) {
    const stem = requireShape(shapes, 'stem.0.weight', 4, 'ConvNeXt');
    const depths: number[] = [];
    const dims: number[] = [];
    for (let s = 0; ; s++) {
      const depth = countLayers(shapes, `stages.${s}.blocks`);
      if (depth === 0) break;
      depths.push(depth);
      dims.push(requireShape(shapes, `stages.${s}.blocks.0.conv_dw.weight`, 4, 'ConvNeXt')[0]!);
    }
    if (depths.length === 0) throw new ConfigError('not a ConvNeXt checkpoint: no "stages.S.blocks.B." tensors');
    const dw = shapes.get('stages.0.blocks.0.conv_dw.weight')!;
    const fc1 = shapes.get('stages.0.blocks.0.mlp.fc1.weight');
    if (!fc1) throw new ConfigError('not a ConvNeXt checkpoint: "stages.0.blocks.0.mlp.fc1.weight" is missing');
    const head = shapes.get('head.fc.weight');
    return validate({
      in_chans: stem[1]!, num_classes: head ? head[0]! : 0, depths, dims, patch_size: stem[2]!, kernel_size: dw[2]!,
      mlp_ratio: fc1[0]! / dims[0]!, ls_init_value: shapes.has('stages.0.blocks.0.gamma') ? 1e-6 : null,
      conv_mlp: fc1.length === 4,
    });
  },

  studentConfig(teacher, overrides) {
    const named = applyTimmName('convnext', CONVNEXT_DEFAULTS, teacher, overrides);
    checkKnownFields(named.overrides, FIELDS, 'ConvNeXt');
    return validate({ ...named.base, ...named.overrides } as ConvNextConfig);
  },

  checkStudent(teacher, student) {
    if (student.depths.length !== teacher.depths.length) {
      throw new ConfigError(`the student has ${student.depths.length} stages, the teacher ${teacher.depths.length}; stages are not selected, only blocks within them`);
    }
  },

  declare(c) {
    validate(c);
    const b = new DeclBuilder('convnext', { ...c });
    const fcAxes = c.conv_mlp ? ['unit', 'unit'] : [];
    b.space('unit', 1, { fixed: 'a singleton axis' })
      .space('in_chans', c.in_chans, { fixed: 'input channels' })
      .space('stem_patch', c.patch_size)
      .space('kernel', c.kernel_size)
      .space('downsample_kernel', 2, { fixed: 'the downsample kernel' })
      .space('classes', c.num_classes, { fixed: 'the label set' });
    c.dims.forEach((d, s) => b.space(`dim.${s}`, d));

    b.tensor('stem.0.weight', 'embed', 'dim.0', 'in_chans', 'stem_patch', 'stem_patch')
      .tensor('stem.0.bias', 'embed', 'dim.0')
      .norm('stem.1', 'dim.0');
    c.depths.forEach((depth, s) => {
      const dim = `dim.${s}`;
      if (stageDownsamples(c, s)) {
        const inDim = `dim.${Math.max(0, s - 1)}`;
        b.norm(`stages.${s}.downsample.0`, inDim, 'downsample')
          .tensor(`stages.${s}.downsample.1.weight`, 'downsample', dim, inDim, 'downsample_kernel', 'downsample_kernel')
          .tensor(`stages.${s}.downsample.1.bias`, 'downsample', dim);
      }
      const stack = `stages.${s}.blocks`;
      b.stack(stack, depth);
      for (let i = 0; i < depth; i++) {
        const p = `${stack}.${i}`;
        const mlp = `${p}.mlp`;
        b.space(mlp, stageMlpHidden(c, s));
        // The block's own parameter (layer scale) comes before its children's, as in PyTorch's state_dict.
        if (c.ls_init_value !== null) b.tensor(`${p}.gamma`, 'layer_scale', dim);
        b.tensor(`${p}.conv_dw.weight`, 'conv', dim, 'unit', 'kernel', 'kernel')
          .tensor(`${p}.conv_dw.bias`, 'conv', dim)
          .norm(`${p}.norm`, dim)
          .tensor(`${p}.mlp.fc1.weight`, 'mlp', mlp, dim, ...fcAxes)
          .tensor(`${p}.mlp.fc1.bias`, 'mlp', mlp)
          .tensor(`${p}.mlp.fc2.weight`, 'mlp', dim, mlp, ...fcAxes)
          .tensor(`${p}.mlp.fc2.bias`, 'mlp', dim);
      }
    });
    const last = `dim.${c.dims.length - 1}`;
    // Unlike the reference code (which skips every name containing "head"), the final LayerNorm is selected.
    b.norm('head.norm', last);
    if (c.num_classes > 0) b.linear('head.fc', 'head', 'classes', last);
    return b.build();
  },
};
