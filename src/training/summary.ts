// The summarize phase: what a run was (config, recipe, data) and what it reached (validation and test accuracy
// reported apart, speed, times), written to DIR/summary.json and returned by train().
import { VERSION } from '../version.js';
import type { ModelFamily } from '../models/index.js';
import type { EvalResult } from './evaluate.js';
import { modelInput } from './model-config.js';
import { countNonZero } from './prune.js';
import type { RecipeFields, TrainState } from './run-state.js';
import type { PreparedRun } from './setup.js';

export interface TrainSummary extends RecipeFields {
  wsel_version: string;
  family: ModelFamily;
  config: Record<string, unknown>;
  parameters: number;
  trainable_parameters: number;
  init: string;
  loaded_tensors: number;
  initialized_tensors: string[];
  data: string;
  train_size: number;
  /** Images of the validation split (null: none). */
  val_size: number | null;
  /** Test images of the final evaluation. */
  eval_size: number;
  /** Test images of the evaluations during training (a fixed subset of those). */
  eval_subset: number;
  input: { channels: number; size: number };
  epochs: number;
  steps: number;
  steps_per_epoch: number;
  kd: { teacher: string; family: string; temperature: number; alpha: number } | null;
  pruned: { masked_tensors: number; pruned_weights: number; non_zero: number } | null;
  /** The epoch with the highest validation accuracy (best.safetensors), and that accuracy; null without a validation split. */
  best_epoch: number | null;
  best_val_acc: number | null;
  /** The final model on the validation split (null without one). */
  final_val_acc: number | null;
  final_val_loss: number | null;
  /** The final model on the test split (--eval-size images, or all). */
  final_acc: number | null;
  final_loss: number | null;
  final_per_class: { class: number; name: string; accuracy: number }[] | null;
  images_per_s: number;
  ms_per_step: number;
  train_seconds: number;
  wall_seconds: number;
  interrupted: boolean;
  completed_steps: number;
}

export interface RunEnd {
  interrupted: boolean;
  /** The last evaluations of the model as it ends (test and validation). */
  test: EvalResult | null;
  val: EvalResult | null;
  wallSeconds: number;
}

export function summarize(run: PreparedRun, state: TrainState, end: RunEnd): TrainSummary {
  const { o, opts, start, data, schedule, teacher, evalSets } = run;
  const { spec, model, masks } = start;
  const trainMs = state.train_seconds * 1000;
  const final = end.interrupted ? null : end.test;
  const finalVal = end.interrupted ? null : end.val;
  return {
    wsel_version: VERSION, family: spec.family, config: spec.config, parameters: model.numParameters(),
    trainable_parameters: run.trainParams.reduce((a, p) => a + p.size, 0), init: o.initText, loaded_tensors: start.loaded.length,
    initialized_tensors: start.initialized, data: run.dataName, train_size: run.loader.size, val_size: evalSets.val?.size ?? null,
    eval_size: evalSets.test.size, eval_subset: evalSets.testDuring.size,
    input: { channels: modelInput(spec).channels, size: data.side }, augment: { ...data.augment }, epochs: schedule.epochs, steps: schedule.totalSteps,
    steps_per_epoch: schedule.stepsPerEpoch, batch_size: o.batchSize, lr: o.lr, min_lr: o.minLr, warmup_steps: schedule.warmupSteps,
    weight_decay: o.weightDecay, clip_grad: opts.clipGrad ?? null, drop_path: spec.dropPathRate, seed: o.seed, linear_probe: Boolean(opts.linearProbe),
    kd: opts.kd && teacher ? { teacher: opts.kd.teacher, family: teacher.spec.family, temperature: o.kdTemperature, alpha: o.kdAlpha } : null,
    pruned: masks ? { masked_tensors: masks.names.length, pruned_weights: masks.prunedCount, non_zero: countNonZero(model) } : null,
    best_epoch: state.best_epoch, best_val_acc: state.best_val_acc,
    final_val_acc: finalVal?.accuracy ?? null, final_val_loss: finalVal?.loss ?? null,
    final_acc: final?.accuracy ?? null, final_loss: final?.loss ?? null,
    final_per_class: final ? final.perClass.map((c) => ({ class: c.class, name: c.name, accuracy: c.accuracy })) : null,
    images_per_s: trainMs > 0 ? (state.images_seen * 1000) / trainMs : 0,
    ms_per_step: state.step > 0 ? trainMs / state.step : 0,
    train_seconds: state.train_seconds, wall_seconds: end.wallSeconds, interrupted: end.interrupted, completed_steps: state.step,
  };
}
