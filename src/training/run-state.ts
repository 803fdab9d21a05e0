// A run's state between steps, saved with DIR/last.safetensors so that an interrupted run continues exactly where
// it stopped, and the identity a resumed run must agree on.
import { isObject, type JsonFail, parseJsonObject } from '../safe-json.js';
import { OptionError, optionName, type RecordedOptions } from './options.js';

/** The optimization recipe of a run, as its identity and its summary record it. */
export interface RecipeFields {
  batch_size: number;
  lr: number;
  min_lr: number;
  warmup_steps: number;
  weight_decay: number;
  clip_grad: number | null;
  drop_path: number;
  augment: Record<string, unknown>;
  seed: number;
  linear_probe: boolean;
}

/** What a resumed run must agree on with the run it continues. */
export interface RunIdentity extends RecipeFields {
  family: string;
  config: Record<string, unknown>;
  init: string;
  data: string;
  train_size: number | null;
  val_size: number | null;
  eval_size: number | null;
  total_steps: number;
  kd: Record<string, unknown> | null;
}

export interface TrainState {
  step: number;
  epoch: number;
  best_val_acc: number | null;
  best_epoch: number | null;
  optimizer_steps: Record<string, number>;
  /** Running sums of the epoch in progress (so its record matches an uninterrupted run). */
  epoch_loss_sum: number;
  epoch_correct: number;
  epoch_seen: number;
  train_seconds: number;
  images_seen: number;
  identity: RunIdentity;
  /** The options the run was started with (absent in runs saved by older versions). */
  options?: RecordedOptions;
}

const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const numberOrNull = (v: unknown): boolean => v === undefined || v === null || finite(v);

/**
 * The saved state, parsed with the nesting limit and checked field by field, so that a damaged or hand-edited
 * DIR/last.safetensors is refused with the field named rather than failing somewhere in the loop.
 */
export function parseTrainState(text: string, fail: JsonFail): TrainState {
  const v = parseJsonObject(text, fail);
  const bad = (field: string, expected: string): never => {
    throw fail(`field "${field}" must be ${expected}`);
  };
  for (const f of ['step', 'epoch', 'epoch_correct', 'epoch_seen'] as const) if (!count(v[f])) bad(f, 'an integer >= 0');
  for (const f of ['epoch_loss_sum', 'train_seconds'] as const) if (!finite(v[f])) bad(f, 'a number');
  if (v['images_seen'] !== undefined && !count(v['images_seen'])) bad('images_seen', 'an integer >= 0');
  for (const f of ['best_val_acc', 'best_epoch'] as const) if (!numberOrNull(v[f])) bad(f, 'a number or null');
  const steps = v['optimizer_steps'];
  if (!isObject(steps) || !Object.values(steps).every(count)) bad('optimizer_steps', 'an object of step counts');
  const identity = v['identity'];
  if (!isObject(identity) || !count(identity['total_steps'])) bad('identity', 'an object with total_steps');
  if ((v['step'] as number) > ((identity as Record<string, unknown>)['total_steps'] as number)) bad('step', 'at most identity.total_steps');
  if (v['options'] !== undefined && !isObject(v['options'])) bad('options', 'an object');
  return v as unknown as TrainState;
}

export function freshState(identity: RunIdentity, options: RecordedOptions): TrainState {
  return {
    step: 0, epoch: 0, best_val_acc: null, best_epoch: null, optimizer_steps: {}, epoch_loss_sum: 0, epoch_correct: 0, epoch_seen: 0,
    train_seconds: 0, images_seen: 0, identity, options,
  };
}

/** Refuse to continue a saved run with different settings, naming each with both values. */
export function checkSameRun(saved: TrainState, identity: RunIdentity, out: string): void {
  // A setting a run saved by an older version did not record (val_size) had its default, null.
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b ?? null);
  const diff = (Object.keys(identity) as (keyof RunIdentity)[]).filter((k) => !same(identity[k], saved.identity[k]));
  if (diff.length > 0) {
    throw new OptionError(`${optionName('resume')}: this run differs from the one in ${out} in ${diff.map((k) => `${k} (${JSON.stringify(saved.identity[k])} there, ${JSON.stringify(identity[k])} now)`).join(', ')}`);
  }
}
