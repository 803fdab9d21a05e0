// The engine's layers as ONNX subgraphs, each computing what the engine's forward computes (same formulas, same
// epsilon, exact erf GELU). Parameters keep their checkpoint names and layouts; layout changes (a Linear weight
// transposed, a 1x1 conv kernel reshaped to a matrix) are nodes on the initializer that runtimes fold at load.
import type { Conv2d, LayerNorm, Mlp } from '../engine/index.js';
import { float, int, ints, type OnnxGraph, type WeightLike } from './onnx-graph.js';

/** A Linear-like layer: a (out, in) matrix or (out, in, 1, 1) kernel, and an optional bias. */
export interface Affine {
  readonly weight: WeightLike;
  readonly bias: WeightLike | null;
}

/** y = x W^T + b over the last axis of x (any rank). */
export function linear(g: OnnxGraph, x: string, layer: Affine, scope: string): string {
  let w = g.weight(`${scope}.weight`, layer.weight);
  const [out, inp] = layer.weight.shape;
  if (layer.weight.shape.length !== 2) w = g.node('Reshape', [w, g.int64s([out!, inp!])], {}, scope);
  const wt = g.node('Transpose', [w], { perm: ints([1, 0]) }, scope);
  const y = g.node('MatMul', [x, wt], {}, scope);
  return layer.bias ? g.node('Add', [y, g.weight(`${scope}.bias`, layer.bias)], {}, scope) : y;
}

/** LayerNorm over the last axis (opset 17's LayerNormalization). */
export function layerNorm(g: OnnxGraph, x: string, ln: Pick<LayerNorm, 'weight' | 'bias' | 'eps'>, scope: string): string {
  return g.node('LayerNormalization', [x, g.weight(`${scope}.weight`, ln.weight), g.weight(`${scope}.bias`, ln.bias)],
    { axis: int(-1), epsilon: float(ln.eps) }, scope);
}

/** Exact GELU, x * (1 + erf(x / sqrt 2)) / 2 (opset 17 has no Gelu op). */
export function gelu(g: OnnxGraph, x: string, scope: string): string {
  const e = g.node('Erf', [g.node('Mul', [x, g.scalar(Math.SQRT1_2)], {}, scope)], {}, scope);
  const h = g.node('Mul', [x, g.node('Add', [e, g.scalar(1)], {}, scope)], {}, scope);
  return g.node('Mul', [h, g.scalar(0.5)], {}, scope);
}

/** fc1 -> GELU -> fc2 (timm Mlp; also ConvNeXt's Linear or 1x1-conv MLP on channels-last data). */
export function mlp(g: OnnxGraph, x: string, m: { fc1: Affine; fc2: Affine }, scope: string): string {
  const h = gelu(g, linear(g, x, m.fc1, `${scope}.fc1`), `${scope}.act`);
  return linear(g, h, m.fc2, `${scope}.fc2`);
}

export type MlpModule = Pick<Mlp, 'fc1' | 'fc2'>;

const pair = (v: number | readonly [number, number] | undefined, d: number): readonly [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

/** A 2-D convolution on NCHW data with the layer's kernel, stride, padding and groups. */
export function conv2d(g: OnnxGraph, x: string, c: Pick<Conv2d, 'weight' | 'bias' | 'opts' | 'kernelSize'>, scope: string): string {
  const k = c.kernelSize;
  const [sh, sw] = pair(c.opts.stride, 1);
  const [ph, pw] = pair(c.opts.padding, 0);
  const inputs = [x, g.weight(`${scope}.weight`, c.weight)];
  if (c.bias) inputs.push(g.weight(`${scope}.bias`, c.bias));
  return g.node('Conv', inputs, {
    kernel_shape: ints([k, k]), strides: ints([sh, sw]), pads: ints([ph, pw, ph, pw]), group: int(c.opts.groups ?? 1),
  }, scope);
}

/** A stride == kernel convolution (patch embedding) on NCHW data. */
export function patchConv(g: OnnxGraph, x: string, c: Pick<Conv2d, 'weight' | 'bias' | 'kernelSize'>, scope: string): string {
  return conv2d(g, x, { ...c, opts: { stride: c.kernelSize } }, scope);
}

/** Elementwise scale by a per-channel vector on the last axis (layer scale). */
export function scale(g: OnnxGraph, x: string, gamma: WeightLike, name: string, scope: string): string {
  return g.node('Mul', [x, g.weight(name, gamma)], {}, scope);
}

export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;
export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;

export function transpose(g: OnnxGraph, x: string, perm: readonly number[], scope: string): string {
  return g.node('Transpose', [x], { perm: ints(perm) }, scope);
}

/** (B, C, H, W) -> (B, H*W, C): patches in row-major order, as flatten(2).transpose(1, 2). */
export function gridToTokens(g: OnnxGraph, x: string, channels: number, tokens: number, scope: string): string {
  const flat = g.node('Reshape', [x, g.int64s([0, channels, tokens])], {}, scope);
  return transpose(g, flat, [0, 2, 1], scope);
}

/** Mean over `axes`, dropping them (opset 17 ReduceMean takes axes as an attribute). */
export function mean(g: OnnxGraph, x: string, axes: readonly number[], scope: string): string {
  return g.node('ReduceMean', [x], { axes: ints(axes), keepdims: int(0) }, scope);
}

/**
 * Multi-head self-attention from a fused qkv projection: rows [q; k; v], each heads x headDim, and
 * softmax(q k^T / sqrt(headDim)) v per head, then the output projection.
 */
export function attention(g: OnnxGraph, x: string, attn: { qkv: Affine; proj: Affine; numHeads: number }, tokens: number,
  dim: number, scope: string): string {
  const heads = attn.numHeads;
  const headDim = dim / heads;
  const qkv = linear(g, x, attn.qkv, `${scope}.qkv`);
  const split = g.node('Reshape', [qkv, g.int64s([0, tokens, 3, heads, headDim])], {}, scope);
  const perHead = transpose(g, split, [2, 0, 3, 1, 4], scope); // (3, B, heads, T, headDim)
  const [q, k, v] = [0, 1, 2].map((i) => g.node('Gather', [perHead, g.int64Scalar(i)], { axis: int(0) }, scope));
  const scores = g.node('MatMul', [q!, transpose(g, k!, [0, 1, 3, 2], scope)], {}, scope);
  const probs = g.node('Softmax', [g.node('Mul', [scores, g.scalar(1 / Math.sqrt(headDim))], {}, scope)], { axis: int(-1) }, scope);
  const out = transpose(g, g.node('MatMul', [probs, v!], {}, scope), [0, 2, 1, 3], scope); // (B, T, heads, headDim)
  return linear(g, g.node('Reshape', [out, g.int64s([0, tokens, dim])], {}, scope), attn.proj, `${scope}.proj`);
}

/** Tile a (1, n, D) parameter along a new batch axis to match x's batch: (B, n, D). */
export function expandToBatch(g: OnnxGraph, param: string, batchOf: string, n: number, dim: number, scope: string): string {
  const batch = g.node('Slice', [g.node('Shape', [batchOf], {}, scope), g.int64s([0]), g.int64s([1])], {}, scope);
  const shape = g.node('Concat', [batch, g.int64s([n, dim])], { axis: int(0) }, scope);
  return g.node('Expand', [param, shape], {}, scope);
}
