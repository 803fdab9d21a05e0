// Fashion-MNIST (Zalando), from Debian's dataset-fashion-mnist package or any folder with the same four
// gzipped IDX files. Official split: 60000 train / 10000 test images of 28x28, 10 classes.
import { DataError } from '../errors.js';

import { existsSync } from 'node:fs';
import { findIdxFiles, readIdxFolder } from './idx.js';
import type { ChannelStats, Dataset } from './types.js';

/** Where `apt-get install dataset-fashion-mnist` puts the files. */
export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Normalization of the Fashion-MNIST train split (pixels / 255, population std): mean 0.28604,
 * std 0.35302, rounded to 4 digits. Verified by test/data/fashion-mnist.test.ts.
 */
export const FASHION_MNIST_STATS: ChannelStats = { mean: [0.286], std: [0.353] };

export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export interface FashionMnistOptions {
  /** Folder with train-/t10k- images/labels IDX files (plain or .gz). Default: the Debian folder. */
  dir?: string;
}

export function loadFashionMnist(opts: FashionMnistOptions = {}): Dataset {
  const dir = opts.dir ?? FASHION_MNIST_DEFAULT_DIR;
  const missing: string[] = [];
  if (!existsSync(dir) || !findIdxFiles(dir, missing)) {
    const what = existsSync(dir) ? `missing ${missing.join(', ')} in ${dir}` : `${dir} does not exist`;
    throw new DataError(
      `Fashion-MNIST not found (${what}). Install it with \`apt-get install dataset-fashion-mnist\`` +
        (opts.dir ? '' : ', or pass the folder that holds the IDX files'),
    );
  }
  const { train, test } = readIdxFolder(dir, 10);
  return {
    name: 'fashion-mnist',
    source: dir,
    train,
    test,
    classNames: FASHION_MNIST_CLASS_NAMES,
    classes: 10,
    height: train.height,
    width: train.width,
    channels: 1,
    stats: FASHION_MNIST_STATS,
  };
}
