// Batch iterator: seeded per-epoch shuffling, preprocessing, augmentation and mixing into reused buffers.

import { Mixup, drawGeometry, type MixInfo, type MixupOptions } from './augment.js';
import { Rng, permutation } from './rng.js';
import { NO_GEOMETRY, Preprocessor, type TransformSpec } from './transforms.js';
import type { DatasetSplit } from './types.js';

/** Preprocessing plus batch mixing. With `mixup` set, batches carry soft targets (even if both alphas are 0,
 * which gives label-smoothed one-hot targets). */
export interface BatchTransform extends TransformSpec {
  mixup?: MixupOptions;
}

export interface LoaderOptions {
  batchSize: number;
  /** Reshuffle every epoch from (seed, epoch). Default false (dataset order). */
  shuffle?: boolean;
  /** Seeds shuffling and augmentation. Default 0. */
  seed?: number;
  /** Skip the last incomplete batch. Default false. */
  dropLast?: boolean;
  transform?: BatchTransform;
  /** Iterate only these sample indices (e.g. a stratifiedSubset), in this base order. */
  indices?: ArrayLike<number>;
}

export interface Batch {
  /** n*C*H*W float32, NCHW. */
  x: Float32Array;
  shape: [number, number, number, number];
  /** Hard labels of the (unmixed) samples. */
  y: Int32Array;
  /** n*classes soft targets when the transform has `mixup`. */
  targets?: Float32Array;
  /** Dataset indices of the samples. */
  indices: Int32Array;
  epoch: number;
  /** Batch number within the epoch. */
  batch: number;
  /** Mixing applied to this batch, when enabled. */
  mix?: MixInfo;
}

// Stream keys keep shuffling and augmentation independent of each other.
const STREAM_SHUFFLE = 1;
const STREAM_AUGMENT = 2;

/**
 * Iterates a split in batches. Everything random derives from (seed, epoch, batch number), so an
 * epoch's order and a batch's augmentations can be reproduced at any point (resuming mid-epoch included).
 *
 * The arrays of a returned batch are views of buffers owned by the loader and reused for the next batch:
 * a batch is valid only until the next one is produced. Copy what must outlive it.
 */
export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  private readonly split: DatasetSplit;
  private readonly base: Int32Array;
  private readonly pre: Preprocessor;
  private readonly flip: boolean;
  private readonly mixup: Mixup | null;
  private readonly xBuf: Float32Array;
  private readonly yBuf: Int32Array;
  private readonly idxBuf: Int32Array;
  private readonly tBuf: Float32Array | null;
  private cachedEpoch = -1;
  private cachedOrder: Int32Array | null = null;

  constructor(split: DatasetSplit, opts: LoaderOptions) {
    const { batchSize } = opts;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    this.split = split;
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    this.classes = split.classes;
    const t = opts.transform ?? {};
    this.pre = new Preprocessor(split, t);
    this.flip = t.flip ?? false;
    this.mixup = t.mixup ? new Mixup(split.classes, t.mixup) : null;
    const { channels: C, height: H, width: W } = this.pre.out;
    this.shape = [C, H, W];
    if (opts.indices) {
      this.base = Int32Array.from(opts.indices);
      for (const i of this.base) if (i < 0 || i >= split.n) throw new Error(`loader index ${i} out of range 0..${split.n - 1}`);
    } else {
      this.base = new Int32Array(split.n);
      for (let i = 0; i < split.n; i++) this.base[i] = i;
    }
    this.xBuf = new Float32Array(batchSize * C * H * W);
    this.yBuf = new Int32Array(batchSize);
    this.idxBuf = new Int32Array(batchSize);
    this.tBuf = this.mixup ? new Float32Array(batchSize * split.classes) : null;
  }

  /** Samples per epoch (after `indices`). */
  get size(): number {
    return this.base.length;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.base.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of an epoch (dataset indices). */
  order(epoch: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`epoch must be a non-negative integer, got ${epoch}`);
    if (this.cachedEpoch === epoch && this.cachedOrder) return this.cachedOrder;
    let order = this.base;
    if (this.shuffle) {
      const perm = permutation(this.base.length, new Rng(this.seed, STREAM_SHUFFLE, epoch));
      order = new Int32Array(perm.length);
      for (let i = 0; i < perm.length; i++) order[i] = this.base[perm[i]!]!;
    }
    this.cachedEpoch = epoch;
    this.cachedOrder = order;
    return order;
  }

  /** Produce batch `b` of `epoch` (0-based). Invalidates the previously returned batch. */
  batch(epoch: number, b: number): Batch {
    if (!(Number.isInteger(b) && b >= 0 && b < this.length)) throw new Error(`batch ${b} out of range 0..${this.length - 1}`);
    const order = this.order(epoch);
    const start = b * this.batchSize;
    const n = Math.min(this.batchSize, order.length - start);
    const [C, H, W] = this.shape;
    const img = C * H * W;
    const rng = new Rng(this.seed, STREAM_AUGMENT, epoch, b);
    const augment = this.pre.cropPad > 0 || this.flip;
    for (let i = 0; i < n; i++) {
      const s = order[start + i]!;
      this.idxBuf[i] = s;
      this.yBuf[i] = this.split.labels[s]!;
      const g = augment ? drawGeometry(rng, this.pre.cropPad, this.flip) : NO_GEOMETRY;
      this.pre.apply(this.split.images, s, this.xBuf, i * img, g);
    }
    // Views, not copies: a short last batch gets shorter views of the same buffers.
    const x = n === this.batchSize ? this.xBuf : this.xBuf.subarray(0, n * img);
    const y = n === this.batchSize ? this.yBuf : this.yBuf.subarray(0, n);
    const indices = n === this.batchSize ? this.idxBuf : this.idxBuf.subarray(0, n);
    const shape: [number, number, number, number] = [n, C, H, W];
    const out: Batch = { x, shape, y, indices, epoch, batch: b };
    if (this.mixup && this.tBuf) {
      const targets = n === this.batchSize ? this.tBuf : this.tBuf.subarray(0, n * this.classes);
      out.mix = this.mixup.apply(x, shape, y, targets, rng);
      out.targets = targets;
    }
    return out;
  }

  /** Iterate the batches of `epoch`, optionally starting at batch `from` (for resuming). */
  *epoch(epoch: number, from = 0): Generator<Batch, void, undefined> {
    for (let b = from; b < this.length; b++) yield this.batch(epoch, b);
  }
}
