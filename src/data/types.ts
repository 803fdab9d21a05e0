// The data vocabulary shared by loaders, transforms and the batch iterator.

/** Labels are small non-negative class ids; Uint16Array only when a folder has more than 256 classes. */
export type LabelArray = Uint8Array | Uint16Array;

/**
 * One split of a dataset, held as raw bytes: `images` is n*channels*height*width uint8 values in NCHW order
 * (planar channels, row-major), `labels[i]` is the class of image i, in 0..classes-1.
 */
export interface DatasetSplit {
  readonly images: Uint8Array;
  readonly labels: LabelArray;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classes: number;
}

/** Per-channel statistics of pixel values scaled to [0, 1] (what Normalize expects). */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A dataset: a train and a test split of the same geometry and classes. */
export interface Dataset {
  /** 'mnist', 'fashion-mnist', or 'idx' / 'image-folder' for a path. */
  readonly name: string;
  /** Where it was read from. */
  readonly source: string;
  readonly train: DatasetSplit;
  readonly test: DatasetSplit;
  readonly classNames: readonly string[];
  readonly classes: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Normalization statistics of the train split. */
  readonly stats: ChannelStats;
}
