// MLP-Mixer as ONNX, following MlpMixer.forward: patch stem to tokens, blocks of token mixing (an MLP over the
// transposed (B, D, N) activations) and channel mixing, final norm, mean over tokens, head.
import type { MlpMixer } from '../../models/index.js';
import { gridToTokens, layerNorm, linear, mean, mlp, patchConv, transpose } from '../layers.js';
import type { OnnxGraph } from '../onnx-graph.js';

export function mixerGraph(g: OnnxGraph, model: MlpMixer, x: string): string {
  const c = model.config;
  const grid = Math.floor(c.img_size / c.patch_size);
  let t = gridToTokens(g, patchConv(g, x, model.stem.proj, 'stem.proj'), c.embed_dim, grid * grid, 'stem');
  model.blocks.items.forEach((b, i) => {
    const p = `blocks.${i}`;
    const mixed = mlp(g, transpose(g, layerNorm(g, t, b.norm1, `${p}.norm1`), [0, 2, 1], p), b.mlpTokens, `${p}.mlp_tokens`);
    t = g.node('Add', [t, transpose(g, mixed, [0, 2, 1], p)], {}, p);
    t = g.node('Add', [t, mlp(g, layerNorm(g, t, b.norm2, `${p}.norm2`), b.mlpChannels, `${p}.mlp_channels`)], {}, p);
  });
  const pooled = mean(g, layerNorm(g, t, model.norm, 'norm'), [1], 'pool');
  return linear(g, pooled, model.head!, 'head');
}
