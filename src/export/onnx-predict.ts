// Predictions of an exported ONNX file (`wsel export`) in onnxruntime, the runtime it was made for, with the
// inputs prepared by the same code as the engine's predictions and by the preprocessing recorded in the file.
// Node only: it reads the file and loads onnxruntime-node, which wsel does not install (a user deploying ONNX
// installs the runtime anyway; it is large).
import fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { isVisionFamilyName } from '../arch/family-names.js';
import { parseJson } from '../safe-json.js';
import {
  accuracyOf, inputDataset, planPredictions, type Prediction, type PredictOptions, type PredictResult,
} from '../training/predict.js';
import type { RecordedPreprocess } from '../training/recorded-input.js';
import { ExportError, ONNXRUNTIME_INSTALL } from './errors.js';
import { INPUT_NAME, OUTPUT_NAME } from './onnx-export.js';
import type { Preprocessing } from './preprocessing.js';

export type OnnxPredictOptions = Omit<PredictOptions, 'checkpoint' | 'family' | 'config'> & {
  /** A file written by `wsel export`. */
  onnx: string;
};

interface OnnxFacts {
  family: PredictResult['family'];
  pre: RecordedPreprocess;
  classNames: string[];
}

/** What the file's metadata says: the family, how images become its input, and the class names. */
function readFacts(file: string, bytes: Uint8Array): OnnxFacts {
  let props: { key: string; value: string }[];
  try {
    props = onnxProto.onnx.ModelProto.decode(bytes).metadataProps.map((p) => ({ key: p.key ?? '', value: p.value ?? '' }));
  } catch (e) {
    throw new ExportError(`${file}: not an ONNX model (${(e as Error).message})`);
  }
  const meta = new Map(props.map((p) => [p.key, p.value]));
  const family = meta.get('wsel.arch');
  const json = (key: string): unknown => {
    const text = meta.get(key);
    if (text === undefined) throw new ExportError(`${file}: no "${key}" in its metadata; predict takes files written by wsel export`);
    return parseJson(text, (problem) => new ExportError(`${file}: metadata "${key}": ${problem}`));
  };
  const p = json('preprocessing') as Partial<Preprocessing>;
  const names = json('class_names');
  const triple = (v: unknown): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x) && x > 0);
  if (!triple(p.input_size) || !triple(p.source_size) || (p.fit !== 'pad' && p.fit !== 'resize') || p.input_size[1] !== p.input_size[2]
    || !Array.isArray(p.mean) || !Array.isArray(p.std) || p.scale !== 255) {
    throw new ExportError(`${file}: metadata "preprocessing" is not one wsel export writes`);
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) throw new ExportError(`${file}: metadata "class_names" must be a list of names`);
  if (family === undefined || !isVisionFamilyName(family)) throw new ExportError(`${file}: metadata "wsel.arch" names no model family wsel exports`);
  const [channels, side] = p.input_size;
  const [imageChannels, imageHeight, imageWidth] = p.source_size;
  return {
    family,
    pre: {
      image_height: imageHeight, image_width: imageWidth, image_channels: imageChannels, fit: p.fit,
      input_size: side, input_channels: channels, mean: p.mean as number[], std: p.std as number[],
    },
    classNames: names as string[],
  };
}

type Ort = typeof import('onnxruntime-node');

async function loadRuntime(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch {
    throw new ExportError(`running an ONNX file needs onnxruntime-node, which is not installed: ${ONNXRUNTIME_INSTALL}`);
  }
}

/** `predict` for an exported ONNX file: the same inputs, preprocessing and output, computed by onnxruntime. */
export async function predictOnnx(opts: OnnxPredictOptions): Promise<PredictResult> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(opts.onnx);
  } catch (e) {
    throw new ExportError(`${opts.onnx}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const { family, pre, classNames } = readFacts(opts.onnx, bytes);
  const k = classNames.length;
  const dataset = inputDataset(opts.inputs, k, opts.onnx);
  const plan = planPredictions(opts, pre, dataset, k, classNames);
  const ort = await loadRuntime();
  const session = await ort.InferenceSession.create(bytes);
  try {
    const predictions: Prediction[] = [];
    for (let b = 0; b < plan.batches; b++) {
      const batch = plan.batch(b);
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', batch.x, batch.shape) });
      const logits = out[OUTPUT_NAME]!.data as Float32Array;
      for (const p of plan.predictions(batch, logits)) predictions.push(p);
      opts.onBatch?.(b + 1, plan.batches);
    }
    return { family, classNames, preprocess: pre, preprocessFrom: 'checkpoint', predictions, accuracy: accuracyOf(predictions) };
  } finally {
    await session.release();
  }
}
