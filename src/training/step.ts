// One optimizer step: the batch for (epoch, index), the learning rate for the step, stochastic depth reseeded from
// (seed, step), the loss (hard or soft targets, plus distillation), the gradient (masked for pruned weights,
// clipped) and the AdamW update. Everything it draws is a function of (seed, step), which makes resuming exact.
import { Rng as DataRng } from '../data/index.js';
import {
  add, backward, clipGradNorm, cosineLr, crossEntropy, distillationKL, DropPath, mulScalar, noGrad, tensor, tidy, type Tensor,
} from '../engine/index.js';
import type { Model } from '../models/index.js';
import { OptionError, optionName } from './options.js';
import type { PreparedRun } from './setup.js';

export interface StepResult {
  loss: number;
  /** Samples whose unmixed label the model ranked first. */
  correct: number;
  n: number;
  lr: number;
}

/** Derive every block's stochastic-depth generator from (seed, step): drop-path masks then do not depend on history. */
function reseedDropPath(model: Model, seed: number, step: number): void {
  let i = 0;
  for (const [, m] of model.namedModules()) {
    if (m instanceof DropPath) m.reseed(new DataRng(seed, 0xd0d0, step, i).nextU32() | 0);
    i++;
  }
}

export function argmaxCorrect(logits: Tensor, y: ArrayLike<number>): number {
  const [n, c] = logits.shape as [number, number];
  const z = logits.data;
  let right = 0;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let j = 1; j < c; j++) if (z[i * c + j]! > z[i * c + arg]!) arg = j;
    if (arg === y[i]) right++;
  }
  return right;
}

/** Step `s` (0-based) of the run; the model must be in training mode (a linear probe's trunk excepted). */
export function trainStep(run: PreparedRun, s: number): StepResult {
  const { loader, optimizer, teacher, o, opts } = run;
  const { model, masks } = run.start;
  const { stepsPerEpoch } = run.schedule;
  const batch = loader.batch(Math.floor(s / stepsPerEpoch), s % stepsPerEpoch);
  const n = batch.shape[0];
  const lr = cosineLr(s, run.schedule.lr);
  optimizer.setLr(lr);
  if (!opts.linearProbe) reseedDropPath(model, o.seed, s);
  const { loss, correct } = tidy(() => {
    optimizer.zeroGrad();
    const x = tensor(batch.x, batch.shape);
    const logits = model.forward(x);
    let l = batch.targets ? crossEntropy(logits, tensor(batch.targets, [n, loader.classes])) : crossEntropy(logits, batch.y);
    if (teacher && o.kdAlpha > 0) {
      const tLogits = noGrad(() => teacher.model.forward(x));
      const kd = distillationKL(logits, tLogits, o.kdTemperature);
      l = o.kdAlpha === 1 ? kd : add(mulScalar(l, 1 - o.kdAlpha), mulScalar(kd, o.kdAlpha));
    }
    backward(l);
    masks?.maskGrads();
    if (opts.clipGrad !== undefined) clipGradNorm(run.trainParams, opts.clipGrad);
    noGrad(() => optimizer.step());
    masks?.apply();
    return { loss: l.item(), correct: argmaxCorrect(logits, batch.y) };
  });
  if (!Number.isFinite(loss)) throw new OptionError(`the loss became ${loss} at step ${s + 1}; lower ${optionName('lr')} or add ${optionName('clipGrad')}`);
  return { loss, correct, n, lr };
}
