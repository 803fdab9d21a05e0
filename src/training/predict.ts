// Predictions of a trained model on images (files, a folder of files, or a data set's split), preprocessed as in
// training: every image is brought to the stored geometry of the training images, then fitted, converted and
// normalized exactly as training's evaluation did (the checkpoint's wsel.preprocess). Files are decoded one
// batch at a time, so memory stays bounded by the batch whatever the number of images.
import {
  DataLoader, listImageFiles, loadDataset, loadImages, type Dataset, type DatasetSplit,
} from '../data/index.js';
import { noGrad, tensor, tidy } from '../engine/index.js';
import type { ModelFamily } from '../models/index.js';
import { loadDatasetOrThrow, prepareData } from './data.js';
import { TrainingError } from './errors.js';
import { modelClasses, type ModelSpec } from './model-config.js';
import { loadCompleteModel } from './model-setup.js';
import { OptionError, optionName } from './options.js';
import { preprocessOf, readClassNames, readInputSize, readPreprocess, type RecordedPreprocess } from './recorded-input.js';

/** What to predict: image files, every image file under a folder, or a data set's split (labels known). */
export type PredictInputs =
  | { images: readonly string[] }
  | { folder: string }
  | { data: string | Dataset; split?: 'train' | 'test'; limit?: number };

export interface PredictOptions {
  checkpoint: string;
  /** Family and config corrections for checkpoints that do not record them. */
  family?: ModelFamily;
  config?: Record<string, unknown>;
  inputs: PredictInputs;
  /** Classes listed per image, most probable first (default 5, at most the number of classes). */
  topK?: number;
  batchSize?: number;
  /** Also return every image's logits. */
  logits?: boolean;
  onBatch?: (done: number, total: number) => void;
}

export interface ClassProbability {
  class: number;
  name: string;
  probability: number;
}

export interface Prediction {
  /** The file, or SPLIT[INDEX] of a data set. */
  input: string;
  /** The true class, when the input is a data set's image. */
  label: number | null;
  top: ClassProbability[];
  logits?: number[];
}

export interface PredictResult {
  family: ModelFamily;
  classNames: string[];
  /** The preprocessing used, and where it came from. */
  preprocess: RecordedPreprocess;
  preprocessFrom: 'checkpoint' | 'data';
  predictions: Prediction[];
  /** Top-1 accuracy when every input has a label, else null. */
  accuracy: number | null;
}

export const PREDICT_DEFAULTS = { topK: 5, batchSize: 256 } as const;

/** The images to predict, as batches of a split, each image named. */
interface InputSource {
  n: number;
  names(start: number, end: number): string[];
  /** Images [start, end) at the stored geometry, with their labels (null: unknown). */
  batch(start: number, end: number): { split: DatasetSplit; indices: Int32Array | null; labels: boolean };
}

function dataSource(dataset: Dataset, split: 'train' | 'test', limit: number | undefined, pre: RecordedPreprocess): InputSource {
  const s = dataset[split];
  if (s.height !== pre.image_height || s.width !== pre.image_width || s.channels !== pre.image_channels) {
    throw new TrainingError(`${dataset.source} holds ${s.channels}x${s.height}x${s.width} images and the model was trained on ${pre.image_channels}x${pre.image_height}x${pre.image_width}; predict image files instead (they are resized to that)`);
  }
  const n = limit === undefined ? s.n : Math.min(limit, s.n);
  return {
    n,
    names: (start, end) => Array.from({ length: end - start }, (_, i) => `${split}[${start + i}]`),
    batch: (start, end) => ({ split: s, indices: Int32Array.from({ length: end - start }, (_, i) => start + i), labels: true }),
  };
}

function fileSource(files: readonly string[], pre: RecordedPreprocess): InputSource {
  return {
    n: files.length,
    names: (start, end) => files.slice(start, end),
    batch: (start, end) => ({
      split: loadImages(files.slice(start, end), pre.image_height, pre.image_width, pre.image_channels as 1 | 3), indices: null, labels: false,
    }),
  };
}

/**
 * How the model's training preprocessed images: recorded in the checkpoint, or (a checkpoint without the record)
 * rebuilt the way training builds it from a data set: the one predicted, else the one the checkpoint was trained on.
 */
function resolvePreprocess(metadata: Record<string, string>, spec: ModelSpec, given: Dataset | null, checkpoint: string): { pre: RecordedPreprocess; from: 'checkpoint' | 'data' } {
  const recorded = readPreprocess(metadata);
  if (recorded) return { pre: recorded, from: 'checkpoint' };
  let dataset = given;
  if (!dataset) {
    const trainedOn = metadata['wsel.data'];
    try {
      if (trainedOn === undefined) throw new Error('it does not name its training data');
      dataset = loadDataset(trainedOn);
    } catch (e) {
      throw new OptionError(`${checkpoint} records no preprocessing and ${(e as Error).message}; give ${optionName('data')} with the data set it was trained on`);
    }
  }
  const data = prepareData(dataset, spec, { seed: 0, augment: {}, imgSize: readInputSize(metadata) });
  return { pre: preprocessOf(data, spec), from: 'data' };
}

function topK(z: Float32Array, offset: number, k: number, count: number, names: readonly string[]): ClassProbability[] {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, z[offset + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(z[offset + j]! - max);
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => z[offset + b]! - z[offset + a]! || a - b);
  return order.slice(0, count).map((j) => ({ class: j, name: names[j]!, probability: Math.exp(z[offset + j]! - max) / sum }));
}

/** A batch of inputs as the model takes them (NCHW floats), with each image's name and label (null: unknown). */
export interface PreparedBatch {
  x: Float32Array;
  shape: number[];
  names: string[];
  labels: (number | null)[];
}

function prepareBatch(source: InputSource, start: number, end: number, pre: RecordedPreprocess): PreparedBatch {
  const { split, indices, labels } = source.batch(start, end);
  const transform = { size: pre.input_size, channels: pre.input_channels, fit: pre.fit, mean: pre.mean, std: pre.std };
  const loader = new DataLoader(split, { batchSize: end - start, transform, ...(indices ? { indices } : {}) });
  const b = loader.batch(0, 0);
  return { x: b.x, shape: [...b.shape], names: source.names(start, end), labels: Array.from({ length: end - start }, (_, i) => (labels ? b.y[i]! : null)) };
}

/** Each image's top classes (and logits) from the batch's logits `z`, k per image. */
function predictionsOf(batch: PreparedBatch, z: Float32Array, opts: { k: number; topK: number; classNames: readonly string[]; logits: boolean }): Prediction[] {
  return batch.names.map((input, i) => ({
    input, label: batch.labels[i]!, top: topK(z, i * opts.k, opts.k, opts.topK, opts.classNames),
    ...(opts.logits ? { logits: Array.from(z.subarray(i * opts.k, (i + 1) * opts.k)) } : {}),
  }));
}

/**
 * What a prediction run needs besides its model: the inputs as batches, preprocessed as `pre` says, and how to
 * turn logits into predictions. Shared by the engine (predict) and other runtimes (an exported ONNX file).
 */
export interface PredictionPlan {
  batches: number;
  batch(b: number): PreparedBatch;
  predictions(batch: PreparedBatch, logits: Float32Array): Prediction[];
}

/** Check the request's inputs and counts against a model of `k` classes with preprocessing `pre`. */
export function planPredictions(opts: Pick<PredictOptions, 'inputs' | 'topK' | 'batchSize' | 'logits'>, pre: RecordedPreprocess, dataset: Dataset | null,
  k: number, classNames: readonly string[]): PredictionPlan {
  const batchSize = opts.batchSize ?? PREDICT_DEFAULTS.batchSize;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new OptionError(`${optionName('batchSize')} must be a positive integer, got ${batchSize}`);
  const inputs = opts.inputs;
  let source: InputSource;
  if ('data' in inputs) {
    if (inputs.limit !== undefined && !(Number.isInteger(inputs.limit) && inputs.limit > 0)) throw new OptionError(`${optionName('limit')} must be a positive integer, got ${inputs.limit}`);
    source = dataSource(dataset!, inputs.split ?? 'test', inputs.limit, pre);
  } else {
    const files = 'folder' in inputs ? listImageFiles(inputs.folder) : [...inputs.images];
    if (files.length === 0) throw new OptionError('folder' in inputs ? `${inputs.folder}: no PNG or JPEG files` : 'no images given');
    source = fileSource(files, pre);
  }
  const topCount = Math.min(opts.topK ?? PREDICT_DEFAULTS.topK, k);
  if (!(Number.isInteger(topCount) && topCount > 0)) throw new OptionError(`${optionName('topK')} must be a positive integer, got ${opts.topK}`);
  const shown = { k, topK: topCount, classNames, logits: Boolean(opts.logits) };
  return {
    batches: Math.ceil(source.n / batchSize),
    batch: (b) => prepareBatch(source, b * batchSize, Math.min(source.n, (b + 1) * batchSize), pre),
    predictions: (batch, logits) => predictionsOf(batch, logits, shown),
  };
}

/** The data set to predict, when the inputs name one; its classes must be the model's. */
export function inputDataset(inputs: PredictInputs, k: number, model: string): Dataset | null {
  if (!('data' in inputs)) return null;
  const dataset = typeof inputs.data === 'string' ? loadDatasetOrThrow(inputs.data) : inputs.data;
  if (dataset.classes !== k) throw new TrainingError(`${model}: the classifier has ${k} classes and ${dataset.source} has ${dataset.classes}`);
  return dataset;
}

/** Top-1 accuracy when every prediction has a label, else null. */
export function accuracyOf(predictions: readonly Prediction[]): number | null {
  const labelled = predictions.length > 0 && predictions.every((p) => p.label !== null);
  return labelled ? predictions.filter((p) => p.top[0]!.class === p.label).length / predictions.length : null;
}

export function predict(opts: PredictOptions): PredictResult {
  const { model, spec, metadata } = loadCompleteModel(opts.checkpoint, opts.family, opts.config);
  const k = modelClasses(spec);
  const dataset = inputDataset(opts.inputs, k, opts.checkpoint);
  const { pre, from } = resolvePreprocess(metadata, spec, dataset, opts.checkpoint);
  const classNames = readClassNames(metadata, k) ?? (dataset ? [...dataset.classNames] : Array.from({ length: k }, (_, i) => String(i)));
  const plan = planPredictions(opts, pre, dataset, k, classNames);
  model.eval();
  const predictions: Prediction[] = [];
  for (let b = 0; b < plan.batches; b++) {
    const batch = plan.batch(b);
    // The logits are read before tidy releases them.
    const batchPredictions = noGrad(() => tidy(() => plan.predictions(batch, model.forward(tensor(batch.x, batch.shape)).data)));
    for (const p of batchPredictions) predictions.push(p);
    opts.onBatch?.(b + 1, plan.batches);
  }
  return { family: spec.family, classNames, preprocess: pre, preprocessFrom: from, predictions, accuracy: accuracyOf(predictions) };
}
