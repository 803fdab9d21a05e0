// timm model names as data: each name is the constructor fields timm's registered model passes (its
// `model_args`) plus the input size of its default pretrained config, over the family's defaults. Taken from
// timm's vision_transformer.py, deit.py, convnext.py and mlp_mixer.py. A name fixes the architecture, not the
// head: num_classes is never part of it (it follows the teacher, the data or the checkpoint). A pretrained tag
// after a dot (`vit_base_patch16_224.augreg2_in21k_ft_in1k`) names weights, not shapes, and is ignored.
// Listed: the names whose every layer the trainable models implement.
import { ConfigError } from './config-util.js';
import type { VisionFamilyName } from './family-names.js';
import { tensorShape, type Family } from './types.js';
import type { ConvNextConfig } from './convnext.js';
import type { MixerConfig } from './mixer.js';
import type { VitConfig } from './vit.js';

export interface TimmName {
  readonly family: VisionFamilyName;
  /** Fields that differ from the family's defaults. */
  readonly config: Readonly<Record<string, unknown>>;
}

const vit = (config: Partial<VitConfig>): TimmName => ({ family: 'vit', config });
const convnext = (config: Partial<ConvNextConfig>): TimmName => ({ family: 'convnext', config });
const mixer = (config: Partial<MixerConfig>): TimmName => ({ family: 'mixer', config });

// ViT sizes (width, depth, heads); every one keeps timm's 64-wide heads.
const TI = { embed_dim: 192, depth: 12, num_heads: 3 };
const S = { embed_dim: 384, depth: 12, num_heads: 6 };
const M = { embed_dim: 512, depth: 12, num_heads: 8 };
const B = { embed_dim: 768, depth: 12, num_heads: 12 };
const L = { embed_dim: 1024, depth: 24, num_heads: 16 };
/** DINOv2: layer scale, 518 px input (37 x 37 patches of 14), no classifier in the released weights. */
const DINOV2 = { patch_size: 14, img_size: 518, init_values: 1e-5 };
/** DeiT III: layer scale, position embeddings for the patches only. */
const DEIT3 = { no_embed_class: true, init_values: 1e-6 };
/** timm's "reg" ViTs: register tokens, no class token, average pooling with fc_norm, layer scale. */
const REG_GAP = { class_token: false, no_embed_class: true, global_pool: 'avg' as const, init_values: 1e-5, img_size: 256 };

export const TIMM_NAMES: Readonly<Record<string, TimmName>> = {
  // vision_transformer.py (augreg, orig and sam weights are tags of these names)
  vit_tiny_patch16_224: vit({ ...TI, patch_size: 16 }),
  vit_tiny_patch16_384: vit({ ...TI, patch_size: 16, img_size: 384 }),
  vit_small_patch32_224: vit({ ...S, patch_size: 32 }),
  vit_small_patch32_384: vit({ ...S, patch_size: 32, img_size: 384 }),
  vit_small_patch16_224: vit({ ...S, patch_size: 16 }),
  vit_small_patch16_384: vit({ ...S, patch_size: 16, img_size: 384 }),
  vit_small_patch8_224: vit({ ...S, patch_size: 8 }),
  vit_base_patch32_224: vit({ ...B, patch_size: 32 }),
  vit_base_patch32_384: vit({ ...B, patch_size: 32, img_size: 384 }),
  vit_base_patch16_224: vit({ ...B, patch_size: 16 }),
  vit_base_patch16_384: vit({ ...B, patch_size: 16, img_size: 384 }),
  vit_base_patch8_224: vit({ ...B, patch_size: 8 }),
  vit_base_patch16_224_miil: vit({ ...B, patch_size: 16, qkv_bias: false }),
  vit_large_patch32_224: vit({ ...L, patch_size: 32 }),
  vit_large_patch32_384: vit({ ...L, patch_size: 32, img_size: 384 }),
  vit_large_patch16_224: vit({ ...L, patch_size: 16 }),
  vit_large_patch16_384: vit({ ...L, patch_size: 16, img_size: 384 }),
  vit_large_patch14_224: vit({ ...L, patch_size: 14 }),
  vit_small_patch14_dinov2: vit({ ...S, ...DINOV2 }),
  vit_base_patch14_dinov2: vit({ ...B, ...DINOV2 }),
  vit_large_patch14_dinov2: vit({ ...L, ...DINOV2 }),
  vit_small_patch14_reg4_dinov2: vit({ ...S, ...DINOV2, reg_tokens: 4, no_embed_class: true }),
  vit_base_patch14_reg4_dinov2: vit({ ...B, ...DINOV2, reg_tokens: 4, no_embed_class: true }),
  vit_large_patch14_reg4_dinov2: vit({ ...L, ...DINOV2, reg_tokens: 4, no_embed_class: true }),
  vit_wee_patch16_reg1_gap_256: vit({ ...REG_GAP, embed_dim: 256, depth: 14, num_heads: 4, mlp_ratio: 5, reg_tokens: 1 }),
  vit_little_patch16_reg1_gap_256: vit({ ...REG_GAP, embed_dim: 320, depth: 14, num_heads: 5, mlp_ratio: 5.6, reg_tokens: 1 }),
  vit_little_patch16_reg4_gap_256: vit({ ...REG_GAP, embed_dim: 320, depth: 14, num_heads: 5, mlp_ratio: 5.6, reg_tokens: 4 }),
  vit_medium_patch16_reg1_gap_256: vit({ ...REG_GAP, ...M, reg_tokens: 1 }),
  vit_medium_patch16_reg4_gap_256: vit({ ...REG_GAP, ...M, reg_tokens: 4 }),
  vit_mediumd_patch16_reg4_gap_256: vit({ ...REG_GAP, ...M, depth: 20, reg_tokens: 4 }),
  vit_mediumd_patch16_reg4_gap_384: vit({ ...REG_GAP, ...M, depth: 20, reg_tokens: 4, img_size: 384 }),
  vit_betwixt_patch16_reg1_gap_256: vit({ ...REG_GAP, embed_dim: 640, depth: 12, num_heads: 10, reg_tokens: 1 }),
  vit_betwixt_patch16_reg4_gap_256: vit({ ...REG_GAP, embed_dim: 640, depth: 12, num_heads: 10, reg_tokens: 4 }),
  vit_betwixt_patch16_reg4_gap_384: vit({ ...REG_GAP, embed_dim: 640, depth: 12, num_heads: 10, reg_tokens: 4, img_size: 384 }),
  vit_base_patch16_reg4_gap_256: vit({ ...REG_GAP, ...B, reg_tokens: 4, init_values: null }),
  // deit.py (the distilled DeiTs have a second head and token, which wsel does not declare)
  deit_tiny_patch16_224: vit({ ...TI, patch_size: 16 }),
  deit_small_patch16_224: vit({ ...S, patch_size: 16 }),
  deit_base_patch16_224: vit({ ...B, patch_size: 16 }),
  deit_base_patch16_384: vit({ ...B, patch_size: 16, img_size: 384 }),
  deit3_small_patch16_224: vit({ ...S, ...DEIT3, patch_size: 16 }),
  deit3_small_patch16_384: vit({ ...S, ...DEIT3, patch_size: 16, img_size: 384 }),
  deit3_medium_patch16_224: vit({ ...M, ...DEIT3, patch_size: 16 }),
  deit3_base_patch16_224: vit({ ...B, ...DEIT3, patch_size: 16 }),
  deit3_base_patch16_384: vit({ ...B, ...DEIT3, patch_size: 16, img_size: 384 }),
  deit3_large_patch16_224: vit({ ...L, ...DEIT3, patch_size: 16 }),
  deit3_large_patch16_384: vit({ ...L, ...DEIT3, patch_size: 16, img_size: 384 }),
  // convnext.py: the timm-original small ones use 1x1-conv MLPs (conv_mlp), tiny and up Linear MLPs
  convnext_atto: convnext({ depths: [2, 2, 6, 2], dims: [40, 80, 160, 320], conv_mlp: true }),
  convnext_femto: convnext({ depths: [2, 2, 6, 2], dims: [48, 96, 192, 384], conv_mlp: true }),
  convnext_pico: convnext({ depths: [2, 2, 6, 2], dims: [64, 128, 256, 512], conv_mlp: true }),
  convnext_nano: convnext({ depths: [2, 2, 8, 2], dims: [80, 160, 320, 640], conv_mlp: true }),
  convnext_tiny: convnext({ depths: [3, 3, 9, 3], dims: [96, 192, 384, 768] }),
  convnext_small: convnext({ depths: [3, 3, 27, 3], dims: [96, 192, 384, 768] }),
  convnext_base: convnext({ depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024] }),
  convnext_large: convnext({ depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536] }),
  convnext_xlarge: convnext({ depths: [3, 3, 27, 3], dims: [256, 512, 1024, 2048] }),
  // mlp_mixer.py
  mixer_s32_224: mixer({ patch_size: 32, num_blocks: 8, embed_dim: 512 }),
  mixer_s16_224: mixer({ patch_size: 16, num_blocks: 8, embed_dim: 512 }),
  mixer_b32_224: mixer({ patch_size: 32, num_blocks: 12, embed_dim: 768 }),
  mixer_b16_224: mixer({ patch_size: 16, num_blocks: 12, embed_dim: 768 }),
  mixer_l32_224: mixer({ patch_size: 32, num_blocks: 24, embed_dim: 1024 }),
  mixer_l16_224: mixer({ patch_size: 16, num_blocks: 24, embed_dim: 1024 }),
};

/** The architecture part of a name: `vit_base_patch16_224.augreg_in21k` -> `vit_base_patch16_224`. */
export function timmArchitecture(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/** The table entry of a name (a pretrained tag is ignored), or undefined. */
export function lookupTimmName(name: string): TimmName | undefined {
  const arch = timmArchitecture(name);
  return Object.hasOwn(TIMM_NAMES, arch) ? TIMM_NAMES[arch] : undefined;
}

/** The table entry of a name; a ConfigError suggesting the closest names when there is none. */
export function resolveTimmName(name: string): TimmName {
  const entry = lookupTimmName(name);
  if (!entry) {
    throw new ConfigError(`unknown timm model name "${name}" (closest: ${closestTimmNames(name).join(', ')}; the README lists the names wsel knows)`);
  }
  return entry;
}

/**
 * A config's `name` field resolved for `family`: the named architecture (the family's defaults and the name's
 * fields, num_classes kept from `base`) becomes the base that the other fields override. Without a name, base
 * and overrides are returned as they are.
 */
export function applyTimmName<C extends object>(
  family: VisionFamilyName, defaults: C, base: C, overrides: Record<string, unknown>,
): { base: C; overrides: Record<string, unknown> } {
  if (!('name' in overrides)) return { base, overrides };
  const { name, ...rest } = overrides;
  if (typeof name !== 'string') throw new ConfigError(`config field "name" must be a timm model name, got ${JSON.stringify(name)}`);
  const entry = resolveTimmName(name);
  if (entry.family !== family) throw new ConfigError(`"${name}" is a ${entry.family} model, not a ${family} one`);
  const numClasses = (base as Record<string, unknown>)['num_classes'];
  return { base: { ...defaults, ...entry.config, num_classes: numClasses } as C, overrides: rest };
}

/**
 * The timm names whose architecture has exactly these tensors (names and shapes; the classifier follows the
 * checkpoint's). `known` holds config fields shapes cannot show that the file records (a head count): a name
 * that disagrees with them does not match.
 */
export function matchTimmNames(
  family: Family<any>, config: Record<string, unknown>, shapes: ReadonlyMap<string, readonly number[]>,
  known: Readonly<Record<string, unknown>> = {},
): string[] {
  return Object.entries(TIMM_NAMES).filter(([name, entry]) => {
    if (entry.family !== family.name) return false;
    let named: Record<string, unknown>;
    try {
      named = family.studentConfig(config, { name }) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (Object.entries(known).some(([k, v]) => JSON.stringify(named[k]) !== JSON.stringify(v))) return false;
    const decl = family.declare(named);
    const declared = decl.tensors.filter((t) => !t.optional || shapes.has(t.name));
    return declared.length === shapes.size && declared.every((t) => {
      const shape = shapes.get(t.name);
      const want = tensorShape(decl, t);
      return shape !== undefined && shape.length === want.length && shape.every((n, i) => n === want[i]);
    });
  }).map(([name]) => name);
}

/** A plausible timm name as a command-line word (not JSON, not a file name). */
export function looksLikeTimmName(text: string): boolean {
  return /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$/i.test(text) && !/\.json$/i.test(text);
}

/** Known names closest to `name` (same family prefix first), for "did you mean" messages. */
export function closestTimmNames(name: string, count = 3): string[] {
  const arch = timmArchitecture(name);
  return Object.keys(TIMM_NAMES)
    .map((known) => ({ known, d: editDistance(arch, known) }))
    .sort((a, b) => a.d - b.d || a.known.localeCompare(b.known))
    .slice(0, count)
    .map((x) => x.known);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
