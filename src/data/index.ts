// Dataset dispatcher, per-dataset defaults for the CLI, and the public surface of src/data.
import { DataError } from '../errors.js';

import { existsSync, statSync } from 'node:fs';
import { loadFashionMnist } from './fashion-mnist.js';
import { findIdxFiles, readIdxFolder } from './idx.js';
import { loadImageFolder, type ImageFolderOptions } from './image-folder.js';
import type { BatchTransform } from './loader.js';
import { loadMnist } from './mnist.js';
import { computeStats, statsFor, type FitMode } from './transforms.js';
import type { Dataset } from './types.js';

export * from './types.js';
export * from './idx.js';
export * from './mnist.js';
export * from './fashion-mnist.js';
export * from './image-folder.js';
export * from './subset.js';
export * from './transforms.js';
export * from './augment.js';
export * from './loader.js';
export { Rng, permutation } from './rng.js';

/** 'mnist', 'fashion-mnist', or a folder path (use './mnist' for a folder that is literally named so). */
export type DatasetSpec = 'mnist' | 'fashion-mnist' | (string & {});

export interface LoadDatasetOptions extends ImageFolderOptions {
  /** For 'mnist' / 'fashion-mnist': read the IDX files from this folder instead of the default. */
  dir?: string;
}

/**
 * Load a dataset by name or path. A folder holding the four standard IDX files
 * (train-images-idx3-ubyte[.gz], ...) is read as IDX; any other folder as an image folder.
 */
export function loadDataset(spec: DatasetSpec, opts: LoadDatasetOptions = {}): Dataset {
  if (spec === 'mnist') return loadMnist(opts.dir === undefined ? {} : { dir: opts.dir });
  if (spec === 'fashion-mnist') return loadFashionMnist(opts.dir === undefined ? {} : { dir: opts.dir });
  if (!existsSync(spec)) throw new DataError(`unknown dataset '${spec}': expected mnist, fashion-mnist, or an existing folder`);
  if (!statSync(spec).isDirectory()) throw new DataError(`${spec}: a dataset path must be a folder (IDX files or <class>/ image folders)`);
  const missingIdx: string[] = [];
  if (!findIdxFiles(spec, missingIdx) && missingIdx.length < 4) throw new DataError(`${spec}: has IDX files but not ${missingIdx.join(', ')}`);
  if (missingIdx.length === 0) {
    const { train, test } = readIdxFolder(spec);
    return {
      name: 'idx',
      source: spec,
      train,
      test,
      classNames: Array.from({ length: train.classes }, (_, i) => String(i)),
      classes: train.classes,
      height: train.height,
      width: train.width,
      channels: 1,
      stats: computeStats(train),
    };
  }
  return loadImageFolder(spec, opts);
}

/** Training defaults that depend on the data. */
export interface DatasetDefaults {
  /** Random horizontal flip (off for digits, whose mirror images are not digits). */
  flip: boolean;
  /** Zero padding per side of the random crop. */
  cropPad: number;
  /** How stored images reach the model's input size. */
  fit: FitMode;
  mixupAlpha: number;
  cutmixAlpha: number;
  labelSmoothing: number;
}

/**
 * Defaults per dataset kind. `inputSize` (the model's) scales the crop padding of image folders
 * (size / 8, i.e. 4 at 32 px, as the CIFAR convention). Mixup and cutmix are off by default; the
 * DeiT/ConvNeXt recipe is mixupAlpha 0.8, cutmixAlpha 1.0, labelSmoothing 0.1.
 */
export function datasetDefaults(spec: DatasetSpec | Dataset, inputSize = 32): DatasetDefaults {
  const name = typeof spec === 'string' ? spec : spec.name;
  const common = { mixupAlpha: 0, cutmixAlpha: 0, labelSmoothing: 0.1 };
  switch (name) {
    case 'mnist':
    case 'idx':
      return { ...common, flip: false, cropPad: 2, fit: 'pad' };
    case 'fashion-mnist':
      // Clothes stay the same class when mirrored.
      return { ...common, flip: true, cropPad: 2, fit: 'pad' };
    default:
      return { ...common, flip: true, cropPad: Math.max(1, Math.round(inputSize / 8)), fit: 'resize' };
  }
}

/** The model's input, as the transforms need it. */
export interface ModelInput {
  size: number | readonly [number, number];
  channels: number;
}

/**
 * Train and eval transforms for a dataset and model input: same geometry and normalization (the
 * dataset's train statistics mapped to the model's channels); augmentation and soft targets only in train.
 */
export function makeTransforms(dataset: Dataset, input: ModelInput, overrides: Partial<DatasetDefaults> = {}): { train: BatchTransform; eval: BatchTransform } {
  const side = typeof input.size === 'number' ? input.size : Math.min(input.size[0], input.size[1]);
  const d = { ...datasetDefaults(dataset, side), ...overrides };
  const stats = statsFor(dataset.stats, input.channels);
  const base: BatchTransform = { size: input.size, channels: input.channels, fit: d.fit, mean: stats.mean, std: stats.std };
  const soft = d.mixupAlpha > 0 || d.cutmixAlpha > 0 || d.labelSmoothing > 0;
  const train: BatchTransform = {
    ...base,
    cropPad: d.cropPad,
    flip: d.flip,
    ...(soft ? { mixup: { mixupAlpha: d.mixupAlpha, cutmixAlpha: d.cutmixAlpha, labelSmoothing: d.labelSmoothing } } : {}),
  };
  return { train, eval: base };
}
