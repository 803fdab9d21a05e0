// What an exported model expects of its input, recorded as JSON in the file's metadata ("preprocessing"), so a
// runtime user can prepare images exactly as training did: the same fit (pad or resize), channel conversion and
// per-channel normalization. Field names follow timm's pretrained_cfg where one exists (input_size, mean, std).
import type { Dataset, TransformSpec } from '../data/index.js';

export interface Preprocessing {
  /** The model input [channels, height, width]. */
  input_size: [number, number, number];
  /** The training images [channels, height, width], before fitting. */
  source_size: [number, number, number];
  /** 'pad': centre zero padding (a centre crop when smaller) before normalization; 'resize': bilinear, antialiased. */
  fit: 'pad' | 'resize';
  /** 'none', 'replicate' (gray copied to 3 channels) or 'luma' (BT.601 weights, RGB to gray). */
  channel_conversion: 'none' | 'replicate' | 'luma';
  /** Pixel values are divided by this (8-bit images to [0, 1]) before normalization. */
  scale: number;
  /** Per input channel: (x / scale - mean) / std. */
  mean: number[];
  std: number[];
  /** The data set the statistics come from ('mnist', 'fashion-mnist', or a folder's name). */
  data: string;
}

/** The preprocessing of a model input fed from `dataset` by an eval transform (prepareData's `eval`). */
export function preprocessingOf(dataset: Pick<Dataset, 'channels' | 'height' | 'width' | 'name' | 'source'>,
  transform: TransformSpec, dataName: string): Preprocessing {
  const size = transform.size ?? [dataset.height, dataset.width];
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  const channels = transform.channels ?? dataset.channels;
  const conversion = channels === dataset.channels ? 'none' : channels === 3 ? 'replicate' : 'luma';
  return {
    input_size: [channels, height, width],
    source_size: [dataset.channels, dataset.height, dataset.width],
    fit: transform.fit ?? 'pad',
    channel_conversion: conversion,
    scale: 255,
    mean: [...(transform.mean ?? Array(channels).fill(0))],
    std: [...(transform.std ?? Array(channels).fill(1))],
    data: dataName,
  };
}

/** The transform that reproduces a recorded preprocessing on images of the source geometry. */
export function transformOf(p: Preprocessing): TransformSpec {
  return { size: [p.input_size[1], p.input_size[2]], channels: p.input_size[0], fit: p.fit, mean: p.mean, std: p.std };
}

const fmt = (v: readonly number[]) => `[${v.map((x) => Number(x.toPrecision(4))).join(', ')}]`;

/** One sentence for the model's doc string. */
export function describePreprocessing(p: Preprocessing): string {
  const [c, h, w] = p.input_size;
  const [sc, sh, sw] = p.source_size;
  const steps: string[] = [];
  if (sh !== h || sw !== w) steps.push(p.fit === 'pad' ? `${sh}x${sw} images zero-padded (centred) to ${h}x${w}` : `${sh}x${sw} images resized (bilinear) to ${h}x${w}`);
  if (p.channel_conversion === 'replicate') steps.push(`gray replicated to ${c} channels`);
  if (p.channel_conversion === 'luma') steps.push(`${sc} channels reduced to luma`);
  steps.push(`pixels divided by ${p.scale}, then (x - mean) / std per channel with mean ${fmt(p.mean)} and std ${fmt(p.std)} (${p.data} statistics)`);
  return steps.join('; ');
}
