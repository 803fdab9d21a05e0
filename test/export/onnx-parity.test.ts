// onnxruntime (native, in Node) runs every exported family and layout on real MNIST test images and gives the
// engine's logits: max relative error below 1e-4 and the same top-1 for every image, with parameters stored as
// float32 and as float16 (then against the engine running the same float16-rounded parameters).
import { describe, expect, it } from 'vitest';
import { f16BitsToF32Bits, f32BitsToF16Bits } from '../../src/checkpoint/float-bits.js';
import { exportOnnx, preprocessingOf } from '../../src/export/index.js';
import { prepareData } from '../../src/training/data.js';
import type { Model } from '../../src/models/index.js';
import { argmaxRows, engineLogits, mnistBatch, mnistData, ortLogits, randomizeParameters, relErr, trainBriefly } from './helpers.js';
import { buildVariant, VARIANTS, type Variant } from './variants.js';

const TOL = 1e-4;
const BATCH = 64;

function roundParametersToF16(model: Model): void {
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (const p of model.parameters()) {
    for (let i = 0; i < p.size; i++) {
      f[0] = p.data[i]!;
      bits[0] = f16BitsToF32Bits(f32BitsToF16Bits(bits[0]!));
      p.data[i] = f[0]!;
    }
  }
}

function exportVariant(v: Variant, model: Model, dtype: 'f32' | 'f16'): Uint8Array {
  const { spec } = buildVariant(v);
  const data = mnistData();
  const prepared = prepareData(data, spec, { seed: 0, augment: {}, ...(v.imgSize === undefined ? {} : { imgSize: v.imgSize }) });
  return exportOnnx(v.family, model, {
    dtype, preprocessing: preprocessingOf(data, prepared.eval, 'mnist'), classNames: data.classNames, config: spec.config,
  }).bytes;
}

describe('ONNX export matches the engine in onnxruntime', () => {
  for (const v of VARIANTS) {
    it(v.name, async () => {
      const { spec, model } = buildVariant(v);
      randomizeParameters(model, 11);
      trainBriefly(model, spec, 20, v.imgSize);
      const batch = mnistBatch(spec, BATCH, v.imgSize);
      const report: string[] = [];
      for (const dtype of ['f32', 'f16'] as const) {
        if (dtype === 'f16') roundParametersToF16(model);
        const ref = engineLogits(model, batch.x, batch.shape);
        const bytes = exportVariant(v, model, dtype);
        const { logits, dims } = await ortLogits(bytes, batch.x, batch.shape);
        expect(dims).toEqual([BATCH, 10]);
        const err = relErr(logits, ref);
        const top1 = argmaxRows(logits, 10);
        const refTop1 = argmaxRows(ref, 10);
        const agree = top1.filter((c, i) => c === refTop1[i]).length;
        report.push(`${dtype}: ${bytes.length} bytes, max relative error ${err.toExponential(2)}, top-1 agrees on ${agree}/${BATCH}`);
        expect(err, `${dtype} relative error`).toBeLessThan(TOL);
        expect(top1, `${dtype} top-1`).toEqual(refTop1);
        // The logits must carry information: not all images get the same class.
        expect(new Set(refTop1).size).toBeGreaterThan(1);
      }
      console.log(`[onnx parity] ${v.name}: ${report.join('; ')}`);
    });
  }

  it('the batch axis is free: batches of 1, 3 and 64 give the same logits per image', async () => {
    for (const v of [VARIANTS[1]!, VARIANTS[5]!, VARIANTS[9]!]) {
      const { spec, model } = buildVariant(v);
      randomizeParameters(model, 5);
      const batch = mnistBatch(spec, BATCH, v.imgSize);
      const bytes = exportVariant(v, model, 'f32');
      const full = (await ortLogits(bytes, batch.x, batch.shape)).logits;
      const per = batch.x.length / BATCH;
      for (const n of [1, 3]) {
        const part = await ortLogits(bytes, batch.x.subarray(0, n * per), [n, ...batch.shape.slice(1)]);
        expect(part.dims).toEqual([n, 10]);
        expect(relErr(part.logits, full.subarray(0, n * 10))).toBeLessThan(1e-6);
      }
    }
  });
});
