// Shared pieces of the export tests: onnxruntime in Node, real MNIST batches prepared as training prepares them,
// models whose every parameter matters.
import * as ort from 'onnxruntime-node';
import { loadMnist, toFloatNCHW, stratifiedSubset, type Dataset } from '../../src/data/index.js';
import { AdamW, backward, crossEntropy, noGrad, Rng, tensor, tidy } from '../../src/engine/index.js';
import type { Model } from '../../src/models/index.js';
import { prepareData } from '../../src/training/data.js';
import type { ModelSpec } from '../../src/training/model-config.js';

export { relErr } from '../parity/torch.js';

let mnist: Dataset | undefined;
export function mnistData(): Dataset {
  mnist ??= loadMnist();
  return mnist;
}

/** `n` class-balanced MNIST test images prepared for `spec` exactly as evaluation prepares them, and their labels. */
export function mnistBatch(spec: ModelSpec, n: number, imgSize?: number): { x: Float32Array; shape: [number, number, number, number]; labels: number[] } {
  const data = mnistData();
  const prepared = prepareData(data, spec, { seed: 0, augment: {}, ...(imgSize === undefined ? {} : { imgSize }) });
  const indices = stratifiedSubset(data.test.labels, n, 7);
  const { x, shape } = toFloatNCHW(data.test, prepared.eval, indices);
  return { x, shape, labels: [...indices].map((i) => data.test.labels[i]!) };
}

/**
 * Every parameter random and away from its neutral value (norm weights around 1, biases, layer scales and tokens
 * non-zero), so a parameter the export forgot or wired wrongly changes the logits.
 */
export function randomizeParameters(model: Model, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, p] of model.namedParameters()) {
    const isNormWeight = p.shape.length === 1 && name.endsWith('.weight');
    const fanIn = p.shape.slice(1).reduce((a, b) => a * b, 1);
    // Matrices and kernels about unit gain; vectors small enough that the image, not the biases, decides the class.
    const std = p.shape.length >= 2 ? Math.min(0.5, 1 / Math.sqrt(fanIn)) : 0.05;
    for (let i = 0; i < p.size; i++) p.data[i] = (isNormWeight ? 1 : 0) + std * rng.normal();
  }
}

/**
 * A few AdamW steps on MNIST training images, so the model is a (weak) classifier whose top-1 depends on the
 * image: random convolutional nets tend to give every image the same class, which would make top-1 checks empty.
 */
export function trainBriefly(model: Model, spec: ModelSpec, steps: number, imgSize?: number): void {
  const data = mnistData();
  const prepared = prepareData(data, spec, { seed: 0, augment: {}, ...(imgSize === undefined ? {} : { imgSize }) });
  const indices = stratifiedSubset(data.train.labels, steps * 32, 3);
  const { x, shape } = toFloatNCHW(data.train, prepared.eval, indices);
  const per = shape[1] * shape[2] * shape[3];
  const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
  model.train();
  for (let s = 0; s < steps; s++) {
    const y = Array.from(indices.subarray(s * 32, (s + 1) * 32), (i) => data.train.labels[i]!);
    tidy(() => {
      model.zeroGrad();
      backward(crossEntropy(model.forward(tensor(x.subarray(s * 32 * per, (s + 1) * 32 * per), [32, shape[1], shape[2], shape[3]])), y));
    });
    opt.step();
  }
  model.eval();
}

export function engineLogits(model: Model, x: Float32Array, shape: readonly number[]): Float32Array {
  model.eval();
  return noGrad(() => model.forward(tensor(x, shape)).data.slice());
}

export async function ortLogits(bytes: Uint8Array, x: Float32Array, shape: readonly number[]): Promise<{ logits: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, [...shape]) });
    return { logits: out['logits']!.data as Float32Array, dims: out['logits']!.dims };
  } finally {
    await session.release();
  }
}

export function argmaxRows(z: ArrayLike<number>, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < z.length / classes; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (z[i * classes + j]! > z[i * classes + best]!) best = j;
    out.push(best);
  }
  return out;
}
