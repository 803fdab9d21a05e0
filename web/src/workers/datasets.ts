// Data sets the worker trains on, in the data layer's shape: the built-in MNIST sample, or images the user dropped
// (split per class into train and test, as wsel splits an image folder without train/ and test/).
import { computeStats } from '../../../src/data/transforms.js';
import type { Dataset, DatasetSplit } from '../../../src/data/types.js';
import { stratifiedSplit } from '../../../src/data/image-folder.js';
import type { TrainData } from '../protocol.js';
import { decodeSample } from '../data/sample-format.js';

/** The bundled sample: MNIST images, so the data layer's MNIST defaults (padding, crop, no flip) apply. */
export function datasetFromSample(bytes: Uint8Array): Dataset {
  const s = decodeSample(bytes);
  const split = (p: { images: Uint8Array; labels: Uint8Array }): DatasetSplit => ({
    images: p.images, labels: p.labels, n: p.labels.length, height: s.height, width: s.width, channels: s.channels, classes: s.classNames.length,
  });
  return {
    name: 'mnist', source: s.name, train: split(s.train), test: split(s.test), classNames: s.classNames, classes: s.classNames.length,
    height: s.height, width: s.width, channels: s.channels, stats: s.stats,
  };
}

/** Dropped images: a seeded per-class split (20% test), normalized with the train split's statistics. */
export function datasetFromImages(d: Extract<TrainData, { kind: 'images' }>): Dataset {
  const per = d.channels * d.height * d.width;
  const { train, test } = stratifiedSplit(d.labels, 0.2, 0);
  const take = (idx: Int32Array): DatasetSplit => {
    const images = new Uint8Array(idx.length * per);
    const labels = new Uint8Array(idx.length);
    idx.forEach((i, k) => {
      images.set(d.images.subarray(i * per, (i + 1) * per), k * per);
      labels[k] = d.labels[i]!;
    });
    return { images, labels, n: idx.length, height: d.height, width: d.width, channels: d.channels, classes: d.classNames.length };
  };
  const trainSplit = take(train);
  if (trainSplit.n === 0 || test.length === 0) throw new Error('too few images: every class needs at least two (one to train on, one to test)');
  return {
    name: 'image-folder', source: 'dropped images', train: trainSplit, test: take(test), classNames: d.classNames,
    classes: d.classNames.length, height: d.height, width: d.width, channels: d.channels, stats: computeStats(trainSplit),
  };
}
