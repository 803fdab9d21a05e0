// What a training run is asked to do (TrainOptions), its defaults, and the checks of values that do not depend on
// the data or the model. Messages name options through optionName(), which the library renders as the option's
// name and the command line as its flag (OptionError.render), so CLI wording stays at the CLI.
import type { Dataset } from '../data/index.js';
import type { ModelFamily } from '../models/index.js';
import type { SaveDType } from './checkpoint.js';
import type { AugmentOptions } from './data.js';
import { TrainingError } from './errors.js';
import { INIT_SCHEMES, type InitScheme } from './init.js';
import type { EpochRecord } from './metrics.js';

export interface KdOptions {
  /** Teacher checkpoint, trained on the target task. */
  teacher: string;
  /** Teacher config overrides; by default its family and config come from the checkpoint's metadata. */
  config?: Record<string, unknown>;
  family?: ModelFamily;
  /** Softmax temperature (default 1). */
  temperature?: number;
  /** Weight of the distillation term; the hard-label loss gets 1 - alpha (default 0.5). */
  alpha?: number;
}

/** Which split an evaluation reads: the validation images held out of the train split, or the test split. */
export type EvalSplit = 'val' | 'test';

export interface TrainOptions {
  /** Model family; taken from the checkpoint when `init` is a file. */
  family?: ModelFamily;
  /** Config overrides (timm names); with a checkpoint, on top of its recorded config. */
  config?: Record<string, unknown>;
  /** 'random:timm' (default), 'random:xavier', 'random:kaiming', or a checkpoint path. */
  init?: string;
  /** Leave the checkpoint's classifier out (re-initialized), e.g. for a new label set. */
  resetHead?: boolean;
  /** A data set name or folder, or a loaded data set. Required, except to resume a run whose folder recorded it. */
  data?: string | Dataset;
  trainSize?: number;
  /** Hold out this many training images (class-balanced, seeded, disjoint from the train subset) as a validation
   *  split: "best" is chosen on it. Without it nothing is chosen (the test split never chooses). */
  valSize?: number;
  /** Test images the final model is evaluated on (a class-balanced subset; default all). */
  evalSize?: number;
  /** Evaluations during training (not the last) read a fixed class-balanced subset of at most this many of those
   *  test images (default 2000); the final model always reads all of them. */
  evalSubset?: number;
  /** ConvNeXt input side (other families take their img_size). */
  imgSize?: number;
  epochs?: number;
  /** Total optimizer steps (instead of epochs). */
  steps?: number;
  batchSize?: number;
  evalBatchSize?: number;
  lr?: number;
  minLr?: number;
  warmupSteps?: number;
  warmupEpochs?: number;
  weightDecay?: number;
  clipGrad?: number;
  dropPath?: number;
  augment?: AugmentOptions;
  kd?: KdOptions;
  linearProbe?: boolean;
  seed?: number;
  /** Output folder (metrics.jsonl, summary.json, last/best/final.safetensors); none: nothing is written. */
  out?: string;
  /** Continue the run in `out`; options left out are taken from what the run recorded. */
  resume?: boolean;
  /** Evaluate every this many epochs (0: only at the end). Default 1. */
  evalEvery?: number;
  /** Log a step record every this many steps. Default 50. */
  logEvery?: number;
  /** Also save DIR/last every this many steps (default: each epoch only). */
  saveEvery?: number;
  saveDtype?: SaveDType;
  /** Stop (as if interrupted) once this many steps are done in total; DIR/last is saved. */
  stopAfterSteps?: number;
  /** Checked after every step: true stops the run, saving DIR/last (Ctrl-C). */
  shouldStop?: () => boolean;
  onStep?: (p: StepProgress) => void;
  onEpoch?: (e: EpochRecord) => void;
  onEvalBatch?: (done: number, total: number, split: EvalSplit) => void;
  /** Messages for the user (the model, what was loaded or resumed, the expected time per epoch). */
  log?: (line: string) => void;
}

export interface StepProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number;
  trainAcc: number;
  imagesPerSecond: number;
  lr: number;
}

/** The defaults of TrainOptions (the command line shows the same in --help). */
export const TRAIN_DEFAULTS = {
  init: 'random:timm', epochs: 10, batchSize: 64, lr: 1e-3, minLr: 1e-6, weightDecay: 0.05, seed: 0, evalEvery: 1, logEvery: 50,
  evalSubset: 2000, warmupFraction: 0.05, kdTemperature: 1, kdAlpha: 0.5, saveDtype: 'F32',
} as const;

// Option names inside messages are marked so that they can be rendered as option names or as flags.
const OPEN = '\u27e6';
const CLOSE = '\u27e7';
const MARKED = new RegExp(`${OPEN}([^${CLOSE}]+)${CLOSE}`, 'g');

/** An option's name inside a message: `optionName('kd.alpha')`. */
export function optionName(option: string): string {
  return `${OPEN}${option}${CLOSE}`;
}

export function renderOptionNames(text: string, nameOf: (option: string) => string): string {
  return text.replace(MARKED, (_, name: string) => nameOf(name));
}

/** A training request that cannot be done, with the options it names marked (see optionName). */
export class OptionError extends TrainingError {
  constructor(readonly template: string) {
    super(renderOptionNames(template, (n) => n));
  }

  /** The message with every option named by `nameOf` (the command line: its flag). */
  render(nameOf: (option: string) => string): string {
    return renderOptionNames(this.template, nameOf);
  }
}

/** TrainOptions with their defaults, checked as far as they can be without the data and the model. */
export interface ResolvedOptions {
  seed: number;
  batchSize: number;
  lr: number;
  minLr: number;
  weightDecay: number;
  initText: string;
  init: { scheme: InitScheme; path: string | null };
  evalEvery: number;
  logEvery: number;
  evalSubset: number;
  saveDtype: SaveDType;
  kdAlpha: number;
  kdTemperature: number;
}

function parseInit(init: string): { scheme: InitScheme; path: string | null } {
  if (init.startsWith('random:')) {
    const scheme = init.slice('random:'.length);
    if (!(INIT_SCHEMES as readonly string[]).includes(scheme)) {
      throw new OptionError(`${optionName('init')} ${init}: unknown scheme (known: ${INIT_SCHEMES.map((s) => `random:${s}`).join(', ')}, or a checkpoint path)`);
    }
    return { scheme: scheme as InitScheme, path: null };
  }
  if (init === 'random') return { scheme: 'timm', path: null };
  return { scheme: 'timm', path: init };
}

function positive(option: string, v: number | undefined, integer = false): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && v > 0) || (integer && !Number.isInteger(v))) {
    throw new OptionError(`${optionName(option)} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
}

function nonNegativeInteger(option: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new OptionError(`${optionName(option)} must be an integer >= 0, got ${v}`);
}

export function resolveOptions(opts: TrainOptions): ResolvedOptions {
  const d = TRAIN_DEFAULTS;
  const r: ResolvedOptions = {
    seed: opts.seed ?? d.seed, batchSize: opts.batchSize ?? d.batchSize, lr: opts.lr ?? d.lr, minLr: opts.minLr ?? d.minLr,
    weightDecay: opts.weightDecay ?? d.weightDecay, initText: opts.init ?? d.init, init: parseInit(opts.init ?? d.init),
    evalEvery: opts.evalEvery ?? d.evalEvery, logEvery: opts.logEvery ?? d.logEvery, evalSubset: opts.evalSubset ?? d.evalSubset,
    saveDtype: opts.saveDtype ?? d.saveDtype, kdAlpha: opts.kd?.alpha ?? d.kdAlpha, kdTemperature: opts.kd?.temperature ?? d.kdTemperature,
  };
  positive('batchSize', r.batchSize, true);
  positive('lr', r.lr);
  positive('epochs', opts.epochs, true);
  positive('steps', opts.steps, true);
  positive('evalSubset', r.evalSubset, true);
  positive('saveEvery', opts.saveEvery, true);
  nonNegativeInteger('evalEvery', r.evalEvery);
  nonNegativeInteger('logEvery', r.logEvery);
  if (!(r.minLr >= 0 && r.minLr <= r.lr)) throw new OptionError(`${optionName('minLr')} must be in [0, ${optionName('lr')}], got ${r.minLr}`);
  if (!(r.weightDecay >= 0)) throw new OptionError(`${optionName('weightDecay')} must be >= 0, got ${r.weightDecay}`);
  positive('clipGrad', opts.clipGrad);
  if (opts.epochs !== undefined && opts.steps !== undefined) throw new OptionError(`give ${optionName('epochs')} or ${optionName('steps')}, not both`);
  if (opts.kd) {
    if (!(r.kdAlpha >= 0 && r.kdAlpha <= 1)) throw new OptionError(`${optionName('kd.alpha')} must be in [0, 1], got ${r.kdAlpha}`);
    positive('kd.temperature', r.kdTemperature);
  }
  return r;
}

// ---- options recorded in a run folder, so that `resume` alone continues it ----

/** Options a run records (everything that is data, not a callback; a loaded data set is recorded by name only). */
export type RecordedOptions = Omit<TrainOptions, 'data' | 'out' | 'resume' | 'stopAfterSteps' | 'shouldStop' | 'onStep' | 'onEpoch' | 'onEvalBatch' | 'log'>
  & { data?: string };

const NOT_RECORDED = new Set(['data', 'out', 'resume', 'stopAfterSteps', 'shouldStop', 'onStep', 'onEpoch', 'onEvalBatch', 'log']);

export function recordOptions(opts: TrainOptions): RecordedOptions {
  const rec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) if (!NOT_RECORDED.has(k) && v !== undefined) rec[k] = v;
  if (typeof opts.data === 'string') rec['data'] = opts.data;
  return JSON.parse(JSON.stringify(rec)) as RecordedOptions;
}

const definedEntries = <T extends object>(o: T | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The recorded options with the given ones on top (nested augment and kd options merged field by field). */
export function withRecordedOptions(recorded: RecordedOptions, given: TrainOptions): TrainOptions {
  const merged: TrainOptions = { ...recorded, ...definedEntries(given) };
  if (recorded.augment || given.augment) merged.augment = { ...recorded.augment, ...definedEntries(given.augment) };
  if (recorded.kd && given.kd) merged.kd = { ...recorded.kd, ...definedEntries(given.kd) };
  return merged;
}
