// The built page's MNIST sample as image files a person would drop: the screenshot script and the page's tests use
// them (Node).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { decodeSample, SAMPLE_FILE, type Sample, type SampleSplit } from '../src/data/sample-format.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The sample `npm run build:web` wrote to web/public/. */
export function readBuiltSample(): Sample {
  return decodeSample(gunzipSync(readFileSync(path.join(ROOT, 'web', 'public', SAMPLE_FILE))));
}

/** Image `index` of a split of 28x28 gray digits, as PNG bytes. */
export function digitPng(split: SampleSplit, index: number): Buffer {
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) {
    const v = split.images[index * 784 + p]!;
    png.data.set([v, v, v, 255], 4 * p);
  }
  return PNG.sync.write(png);
}
