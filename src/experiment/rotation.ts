// A label-free pretext task for the "supervised teachers are best" comparison: rotation prediction (Gidaris et
// al., 2018). Every image appears four times, rotated by 0, 90, 180 and 270 degrees, labelled 0..3; the
// original labels are never read.
import type { Dataset, DatasetSplit } from '../data/index.js';
import { computeStats } from '../data/index.js';

/** Rotate one square single-channel (or planar multi-channel) image by k quarter turns counter-clockwise. */
export function rotateQuarter(src: Uint8Array, dst: Uint8Array, channels: number, side: number, k: number): void {
  const plane = side * side;
  for (let c = 0; c < channels; c++) {
    const o = c * plane;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        let sx = x;
        let sy = y;
        // Counter-clockwise by 90: dst(y, x) = src(x, side-1-y).
        if (k === 1) { sy = x; sx = side - 1 - y; }
        else if (k === 2) { sy = side - 1 - y; sx = side - 1 - x; }
        else if (k === 3) { sy = side - 1 - x; sx = y; }
        dst[o + y * side + x] = src[o + sy * side + sx]!;
      }
    }
  }
}

export function rotationSplit(split: DatasetSplit): DatasetSplit {
  if (split.height !== split.width) throw new Error('rotation prediction needs square images');
  const size = split.channels * split.height * split.width;
  const n = split.n * 4;
  const images = new Uint8Array(n * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < split.n; i++) {
    const src = split.images.subarray(i * size, (i + 1) * size);
    for (let k = 0; k < 4; k++) {
      const j = 4 * i + k;
      rotateQuarter(src, images.subarray(j * size, (j + 1) * size), split.channels, split.height, k);
      labels[j] = k;
    }
  }
  return { images, labels, n, height: split.height, width: split.width, channels: split.channels, classes: 4 };
}

/** The rotation-prediction dataset of `base` (train and test), for `train({ data })`. */
export function rotationDataset(base: Dataset): Dataset {
  const train = rotationSplit(base.train);
  return {
    name: `${base.name}-rotation`, source: `${base.source} (rotation prediction)`, train, test: rotationSplit(base.test),
    classNames: ['0°', '90°', '180°', '270°'], classes: 4, height: base.height, width: base.width, channels: base.channels,
    stats: computeStats(train),
  };
}
