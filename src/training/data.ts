// Data for training and evaluation: a dataset by name or path, a seeded class-balanced train subset, an optional
// validation split carved from the training images, and the transforms that bring its images to the model's
// input (size, channels, normalization) with the requested augmentation.
import {
  DataLoader, datasetDefaults, loadDataset, makeTransforms, stratifiedSubset,
  type BatchTransform, type Dataset, type DatasetDefaults,
} from '../data/index.js';
import { TrainingError } from './errors.js';
import { OptionError, optionName } from './options.js';
import { modelInput, type ModelSpec } from './model-config.js';
import { convnextLastSide, convnextMinSide } from '../models/convnext.js';

/** Augmentation settings; unset fields take the dataset's defaults (datasetDefaults in src/data). */
export interface AugmentOptions {
  cropPad?: number;
  flip?: boolean;
  mixup?: number;
  cutmix?: number;
  labelSmoothing?: number;
}

export function loadDatasetOrThrow(spec: string): Dataset {
  try {
    return loadDataset(spec);
  } catch (e) {
    throw new OptionError(`${optionName('data')} ${spec}: ${(e as Error).message}`);
  }
}

/** The square input side a model takes for a dataset: its img_size, or (ConvNeXt) the image side rounded up to 32. */
export function inputSide(spec: ModelSpec, dataset: Pick<Dataset, 'height' | 'width'>, override?: number): number {
  const input = modelInput(spec);
  if (input.size !== null) {
    if (override !== undefined && override !== input.size) throw new OptionError(`${optionName('imgSize')} ${override} differs from the model's img_size ${input.size}`);
    return input.size;
  }
  const side = override ?? Math.ceil(Math.max(dataset.height, dataset.width) / 32) * 32;
  const c = spec.config as { patch_size: number; depths: number[]; dims: number[] };
  if (convnextLastSide(side, c) < 1) {
    throw new OptionError(`input side ${side} is too small for this ConvNeXt (stem ${c.patch_size}, ${c.depths.length} stages): the last stage would be empty; use ${optionName('imgSize')} ${convnextMinSide(c)} or more`);
  }
  return side;
}

export interface ResolvedAugment extends DatasetDefaults {}

export function resolveAugment(dataset: Dataset, side: number, aug: AugmentOptions): ResolvedAugment {
  const d = datasetDefaults(dataset, side);
  const r: ResolvedAugment = {
    ...d,
    ...(aug.cropPad !== undefined ? { cropPad: aug.cropPad } : {}),
    ...(aug.flip !== undefined ? { flip: aug.flip } : {}),
    ...(aug.mixup !== undefined ? { mixupAlpha: aug.mixup } : {}),
    ...(aug.cutmix !== undefined ? { cutmixAlpha: aug.cutmix } : {}),
    ...(aug.labelSmoothing !== undefined ? { labelSmoothing: aug.labelSmoothing } : {}),
  };
  // Padding (a 28 px digit centred in 32 px) only grows images; a smaller model input is reached by resizing.
  if (side < Math.max(dataset.height, dataset.width)) r.fit = 'resize';
  if (!(Number.isInteger(r.cropPad) && r.cropPad >= 0)) throw new OptionError(`${optionName('augment.cropPad')} must be a non-negative integer, got ${r.cropPad}`);
  for (const [k, v] of [['mixup', r.mixupAlpha], ['cutmix', r.cutmixAlpha]] as const) if (!(v >= 0)) throw new OptionError(`${optionName(`augment.${k}`)} must be >= 0, got ${v}`);
  if (!(r.labelSmoothing >= 0 && r.labelSmoothing < 1)) throw new OptionError(`${optionName('augment.labelSmoothing')} must be in [0, 1), got ${r.labelSmoothing}`);
  return r;
}

export interface TrainData {
  dataset: Dataset;
  side: number;
  augment: ResolvedAugment;
  train: BatchTransform;
  eval: BatchTransform;
  /** Train sample indices (all, or the stratified subset). */
  trainIndices: Int32Array | null;
  /** Validation indices into the train split (disjoint from trainIndices), or null without a validation split. */
  valIndices: Int32Array | null;
  evalIndices: Int32Array | null;
}

/** Seed offsets of the subsets drawn for one run, so each is its own stream. */
const SUBSET_SALT = { train: 0, eval: 1, val: 2, evalSubset: 3 } as const;

function checkSize(option: string, n: number): void {
  if (!(Number.isInteger(n) && n > 0)) throw new OptionError(`${optionName(option)} must be a positive integer, got ${n}`);
}

/** The positions of `pool` (ascending indices) picked by a class-balanced subset of its labels. */
function subsetOfPool(labels: ArrayLike<number>, pool: Int32Array, n: number, seed: number): Int32Array {
  const poolLabels = Int32Array.from(pool, (i) => labels[i]!);
  return Int32Array.from(stratifiedSubset(poolLabels, n, seed), (j) => pool[j]!);
}

/** Indices 0..n-1 not in `taken` (ascending). */
function complement(n: number, taken: Int32Array): Int32Array {
  const used = new Uint8Array(n);
  for (const i of taken) used[i] = 1;
  const out = new Int32Array(n - taken.length);
  let o = 0;
  for (let i = 0; i < n; i++) if (!used[i]) out[o++] = i;
  return out;
}

/**
 * The train subset and the validation split of the train images, disjoint. With --train-size, the train subset
 * is the one a run without --val-size gets (the same images, so adding a validation split does not change what
 * is trained) and the validation images come from the rest; without it, the validation images are drawn first
 * and the model trains on all the others. Both are class-balanced and seeded.
 */
export function splitTrainVal(labels: ArrayLike<number>, trainSize: number | undefined, valSize: number | undefined, seed: number): {
  train: Int32Array | null; val: Int32Array | null;
} {
  const n = labels.length;
  if (trainSize !== undefined) checkSize('trainSize', trainSize);
  if (valSize === undefined) {
    return { train: trainSize === undefined || trainSize >= n ? null : stratifiedSubset(labels, trainSize, seed + SUBSET_SALT.train), val: null };
  }
  checkSize('valSize', valSize);
  if (trainSize !== undefined && trainSize + valSize > n) {
    throw new OptionError(`${optionName('trainSize')} ${trainSize} and ${optionName('valSize')} ${valSize} need ${trainSize + valSize} training images; the data has ${n}`);
  }
  if (valSize >= n) throw new OptionError(`${optionName('valSize')} ${valSize} leaves no training images (the data has ${n})`);
  if (trainSize !== undefined) {
    const train = stratifiedSubset(labels, trainSize, seed + SUBSET_SALT.train);
    return { train, val: subsetOfPool(labels, complement(n, train), valSize, seed + SUBSET_SALT.val) };
  }
  const val = stratifiedSubset(labels, valSize, seed + SUBSET_SALT.val);
  return { train: complement(n, val), val };
}

export function prepareData(dataset: Dataset, spec: ModelSpec, opts: {
  trainSize?: number; valSize?: number; evalSize?: number; seed: number; augment: AugmentOptions; imgSize?: number;
}): TrainData {
  const side = inputSide(spec, dataset, opts.imgSize);
  const augment = resolveAugment(dataset, side, opts.augment);
  const { channels } = modelInput(spec);
  if (!(dataset.channels === channels || (dataset.channels === 1 && channels === 3) || (dataset.channels === 3 && channels === 1))) {
    throw new TrainingError(`the model takes ${channels}-channel input and ${dataset.source} has ${dataset.channels} channels`);
  }
  const t = makeTransforms(dataset, { size: side, channels }, augment);
  const split = splitTrainVal(dataset.train.labels, opts.trainSize, opts.valSize, opts.seed);
  if (opts.evalSize !== undefined) checkSize('evalSize', opts.evalSize);
  const evalAll = opts.evalSize === undefined || opts.evalSize >= dataset.test.n;
  return {
    dataset, side, augment, train: t.train, eval: t.eval, trainIndices: split.train, valIndices: split.val,
    evalIndices: evalAll ? null : stratifiedSubset(dataset.test.labels, opts.evalSize!, opts.seed + SUBSET_SALT.eval),
  };
}

export function trainLoader(d: TrainData, batchSize: number, seed: number): DataLoader {
  const n = d.trainIndices?.length ?? d.dataset.train.n;
  return new DataLoader(d.dataset.train, {
    batchSize, shuffle: true, seed, transform: d.train,
    // A short last batch would make a noisy step; drop it as timm does, unless the whole set is one batch.
    dropLast: n > batchSize,
    ...(d.trainIndices ? { indices: d.trainIndices } : {}),
  });
}

export function evalLoader(d: TrainData, batchSize: number): DataLoader {
  return new DataLoader(d.dataset.test, { batchSize, transform: d.eval, ...(d.evalIndices ? { indices: d.evalIndices } : {}) });
}

/**
 * The test images evaluated during training: a fixed class-balanced subset of at most `size` of the final
 * evaluation's images (all of them when there are no more), so evaluating every epoch stays cheap.
 */
export function evalSubsetLoader(d: TrainData, batchSize: number, size: number, seed: number): DataLoader {
  const pool = d.evalIndices ?? Int32Array.from({ length: d.dataset.test.n }, (_, i) => i);
  if (size >= pool.length) return evalLoader(d, batchSize);
  const indices = subsetOfPool(d.dataset.test.labels, pool, size, seed + SUBSET_SALT.evalSubset);
  return new DataLoader(d.dataset.test, { batchSize, transform: d.eval, indices });
}

/** The validation split: training images, preprocessed as test images are (no augmentation). */
export function valLoader(d: TrainData, batchSize: number): DataLoader | null {
  return d.valIndices ? new DataLoader(d.dataset.train, { batchSize, transform: d.eval, indices: d.valIndices }) : null;
}
