// What a trained model expects of its input, recorded in the checkpoints the trainer writes, so that evaluation
// and predictions preprocess images exactly as training did: the stored geometry of the training images, how they
// were fitted to the model's input, the normalization, and the names of the classes.
import type { FitMode } from '../data/index.js';
import { isObject } from '../safe-json.js';
import type { TrainData } from './data.js';
import { modelInput, type ModelSpec } from './model-config.js';

export const PREPROCESS_KEY = 'wsel.preprocess';
export const CLASS_NAMES_KEY = 'wsel.class_names';
export const INPUT_SIZE_KEY = 'wsel.input_size';

export interface RecordedPreprocess {
  /** The training images as stored (before fitting to the model): height, width, channels. */
  image_height: number;
  image_width: number;
  image_channels: number;
  /** How a stored image reaches the model's input side: zero padding (28 -> 32) or a bilinear resize. */
  fit: FitMode;
  /** The model's square input side and channels. */
  input_size: number;
  input_channels: number;
  /** Per input channel, on pixel values in [0, 1]. */
  mean: number[];
  std: number[];
}

export function preprocessOf(data: TrainData, spec: ModelSpec): RecordedPreprocess {
  const { dataset } = data;
  return {
    image_height: dataset.height, image_width: dataset.width, image_channels: dataset.channels, fit: data.augment.fit,
    input_size: data.side, input_channels: modelInput(spec).channels, mean: [...(data.eval.mean ?? [0])], std: [...(data.eval.std ?? [1])],
  };
}

/** The metadata of what the trainer writes about the input, next to modelMetadata's family and config. */
export function inputMetadata(data: TrainData, spec: ModelSpec): Record<string, string> {
  return {
    [INPUT_SIZE_KEY]: String(data.side),
    [PREPROCESS_KEY]: JSON.stringify(preprocessOf(data, spec)),
    [CLASS_NAMES_KEY]: JSON.stringify(data.dataset.classNames),
  };
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const numbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && (v.length === 1 || v.length === n) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** The recorded preprocessing, or null when the checkpoint has none (or a malformed one). */
export function readPreprocess(metadata: Record<string, string>): RecordedPreprocess | null {
  const text = metadata[PREPROCESS_KEY];
  if (text === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  const ok = positiveInt(v['image_height']) && positiveInt(v['image_width']) && (v['image_channels'] === 1 || v['image_channels'] === 3)
    && (v['fit'] === 'pad' || v['fit'] === 'resize') && positiveInt(v['input_size']) && (v['input_channels'] === 1 || v['input_channels'] === 3)
    && numbers(v['mean'], v['input_channels'] as number) && numbers(v['std'], v['input_channels'] as number) && (v['std'] as number[]).every((s) => s > 0);
  return ok ? (v as unknown as RecordedPreprocess) : null;
}

/** The input side a model was trained at, or undefined. */
export function readInputSize(metadata: Record<string, string>): number | undefined {
  const side = Number(metadata[INPUT_SIZE_KEY]);
  return Number.isSafeInteger(side) && side > 0 ? side : undefined;
}

/** The recorded class names when there is one per class, else null. */
export function readClassNames(metadata: Record<string, string>, classes: number): string[] | null {
  const text = metadata[CLASS_NAMES_KEY];
  if (text === undefined) return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.length === classes && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}
