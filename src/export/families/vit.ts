// ViT as ONNX, following VisionTransformer.forward: patch embedding, class and register tokens, position
// embeddings, pre-norm blocks (optional layer scale), final norm, token or average pooling (fc_norm), head.
import type { VisionTransformer } from '../../models/index.js';
import { attention, expandToBatch, gridToTokens, layerNorm, linear, mean, mlp, patchConv, scale } from '../layers.js';
import type { OnnxGraph } from '../onnx-graph.js';

export function vitGraph(g: OnnxGraph, model: VisionTransformer, x: string): string {
  const c = model.config;
  const dim = c.embed_dim;
  const grid = Math.floor(c.img_size / c.patch_size);
  const prefix = model.numPrefixTokens;
  const tokens = prefix + grid * grid;
  let t = gridToTokens(g, patchConv(g, x, model.patchEmbed.proj, 'patch_embed.proj'), dim, grid * grid, 'patch_embed');
  const prefixParams: string[] = [];
  if (model.clsToken) prefixParams.push(g.weight('cls_token', model.clsToken));
  if (model.regToken) prefixParams.push(g.weight('reg_token', model.regToken));
  if (prefixParams.length > 0) {
    const joined = prefixParams.length === 1 ? prefixParams[0]! : g.node('Concat', prefixParams, { axis: { int: 1 } }, 'prefix');
    t = g.node('Concat', [expandToBatch(g, joined, x, prefix, dim, 'prefix'), t], { axis: { int: 1 } }, 'prefix');
  }
  t = g.node('Add', [t, g.weight('pos_embed', model.posEmbed)], {}, 'pos_embed');
  model.blocks.items.forEach((b, i) => {
    const p = `blocks.${i}`;
    let h = attention(g, layerNorm(g, t, b.norm1, `${p}.norm1`), b.attn, tokens, dim, `${p}.attn`);
    if (b.ls1) h = scale(g, h, b.ls1.gamma, `${p}.ls1.gamma`, `${p}.ls1`);
    t = g.node('Add', [t, h], {}, p);
    h = mlp(g, layerNorm(g, t, b.norm2, `${p}.norm2`), b.mlp, `${p}.mlp`);
    if (b.ls2) h = scale(g, h, b.ls2.gamma, `${p}.ls2.gamma`, `${p}.ls2`);
    t = g.node('Add', [t, h], {}, p);
  });
  if (model.norm) t = layerNorm(g, t, model.norm, 'norm');
  let pooled: string;
  if (c.global_pool === 'avg') {
    const patches = prefix > 0 ? g.node('Slice', [t, g.int64s([prefix]), g.int64s([tokens]), g.int64s([1])], {}, 'pool') : t;
    pooled = mean(g, patches, [1], 'pool');
  } else {
    pooled = g.node('Gather', [t, g.int64Scalar(0)], { axis: { int: 1 } }, 'pool');
  }
  if (model.fcNorm) pooled = layerNorm(g, pooled, model.fcNorm, 'fc_norm');
  return linear(g, pooled, model.head!, 'head');
}
