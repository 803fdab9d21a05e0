// ConvNeXt as ONNX, following ConvNeXt.forward: activations stay channels-last (B, H, W, C) as in the engine,
// so LayerNorm and the MLP act on the last axis; convolutions (stem, downsample, depthwise) run on NCHW views.
import type { ConvNeXt, ConvNextBlock, ConvNextStage } from '../../models/index.js';
import type { Conv2d, LayerNorm } from '../../engine/index.js';
import { conv2d, layerNorm, linear, mean, mlp, NCHW_TO_NHWC, NHWC_TO_NCHW, patchConv, scale, transpose } from '../layers.js';
import type { OnnxGraph } from '../onnx-graph.js';

/** A convolution on channels-last data. */
function convNhwc(g: OnnxGraph, x: string, conv: (nchw: string) => string, scope: string): string {
  return transpose(g, conv(transpose(g, x, NHWC_TO_NCHW, scope)), NCHW_TO_NHWC, scope);
}

function block(g: OnnxGraph, x: string, b: ConvNextBlock, p: string): string {
  let y = convNhwc(g, x, (t) => conv2d(g, t, b.convDw, `${p}.conv_dw`), `${p}.conv_dw`);
  y = mlp(g, layerNorm(g, y, b.norm, `${p}.norm`), b.mlp, `${p}.mlp`);
  if (b.gamma) y = scale(g, y, b.gamma, `${p}.gamma`, p);
  return g.node('Add', [y, x], {}, p);
}

function stage(g: OnnxGraph, x: string, s: ConvNextStage, p: string): string {
  if (s.downsample) {
    const norm = s.downsample.at(0) as LayerNorm;
    const conv = s.downsample.at(1) as Conv2d;
    const normed = layerNorm(g, x, norm, `${p}.downsample.0`);
    x = convNhwc(g, normed, (t) => patchConv(g, t, conv, `${p}.downsample.1`), `${p}.downsample`);
  }
  s.blocks.items.forEach((b, i) => { x = block(g, x, b, `${p}.blocks.${i}`); });
  return x;
}

export function convnextGraph(g: OnnxGraph, model: ConvNeXt, x: string): string {
  const stem = patchConv(g, x, model.stem.at(0) as Conv2d, 'stem.0');
  let y = layerNorm(g, transpose(g, stem, NCHW_TO_NHWC, 'stem'), model.stem.at(1) as LayerNorm, 'stem.1');
  model.stages.items.forEach((s, i) => { y = stage(g, y, s, `stages.${i}`); });
  const pooled = layerNorm(g, mean(g, y, [1, 2], 'head.pool'), model.head.norm, 'head.norm');
  return linear(g, pooled, model.head.fc!, 'head.fc');
}
