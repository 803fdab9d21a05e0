// The training loop, by phase: prepare (setup.ts: everything checked before anything is written), restore
// (run-output.ts: the output folder locked, a saved run loaded), steps (step.ts), the end of each epoch
// (evaluation, "best" chosen on the validation split, the epoch record, DIR/last saved) and summarize
// (summary.ts). Everything random or scheduled is a function of (seed, step), so a resumed run ends with the same
// bits as a run that was never interrupted.
import type { Model } from '../models/index.js';
import { evaluate, type EvalResult } from './evaluate.js';
import type { EpochRecord } from './metrics.js';
import type { ModelSpec } from './model-config.js';
import { OptionError, optionName, resolveOptions, withRecordedOptions, type EvalSplit, type TrainOptions } from './options.js';
import { recordedOptionsIn, RunOutput } from './run-output.js';
import type { TrainState } from './run-state.js';
import { prepareRun, type PreparedRun } from './setup.js';
import { trainStep } from './step.js';
import { summarize, type TrainSummary } from './summary.js';

export interface TrainResult {
  model: Model;
  spec: ModelSpec;
  summary: TrainSummary;
  interrupted: boolean;
  final: EvalResult | null;
}

/** Steps timed for the time-per-epoch estimate, after one untimed warm-up step. */
const TIMED_STEPS = 5;

const count = (n: number): string => n.toLocaleString('en-US');

function formatSeconds(s: number): string {
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Before the first step: the model (family, config, parameters), the schedule and what is evaluated when. */
function describeRun(run: PreparedRun, log: (line: string) => void): void {
  const { spec, model } = run.start;
  const { schedule, evalSets, o } = run;
  const trainable = run.trainParams.reduce((a, p) => a + p.size, 0);
  log(`model: ${spec.family} ${JSON.stringify(spec.config)}, ${count(model.numParameters())} parameters (${count(trainable)} trained)`);
  log(`schedule: ${count(schedule.totalSteps)} steps of ${o.batchSize} (${schedule.epochs} epoch${schedule.epochs === 1 ? '' : 's'} of ${count(schedule.stepsPerEpoch)} steps on ${count(run.loader.size)} images)`);
  const during = evalSets.testDuring.size === evalSets.test.size ? '' : ` (${count(evalSets.testDuring.size)} of them before the last epoch)`;
  const when = o.evalEvery > 0 ? `every ${o.evalEvery === 1 ? 'epoch' : `${o.evalEvery} epochs`} and at the end` : 'at the end';
  log(`evaluation ${when}: ${evalSets.val ? `${count(evalSets.val.size)} validation images (they choose "best"), ` : ''}${count(evalSets.test.size)} test images${during}`);
}

/** The run's loop: steps, the end of each epoch, stopping on request. */
class TrainingLoop {
  private readonly ownTraining: boolean;
  private trainMs: number;
  private imagesDone = 0;
  private runMs = 0;
  private emaLoss = NaN;
  private lastLr = 0;
  private stepsTimed = 0;
  private timedMs = 0;
  interrupted = false;
  lastTest: EvalResult | null = null;
  lastVal: EvalResult | null = null;

  constructor(
    private readonly run: PreparedRun,
    private readonly output: RunOutput,
    private readonly state: TrainState,
    private readonly wallStart: number,
    private readonly log: (line: string) => void,
  ) {
    this.ownTraining = !run.opts.linearProbe;
    this.trainMs = state.train_seconds * 1000;
  }

  async runSteps(): Promise<void> {
    const { opts } = this.run;
    const { totalSteps, stepsPerEpoch } = this.run.schedule;
    this.run.start.model.train(this.ownTraining);
    for (let s = this.state.step; s < totalSteps; s++) {
      const ips = this.step(s);
      const endOfEpoch = (s + 1) % stepsPerEpoch === 0 || s + 1 === totalSteps;
      if (endOfEpoch) this.endOfEpoch(s, ips);
      else if (opts.saveEvery !== undefined && (s + 1) % opts.saveEvery === 0) this.output.saveLast(this.run, this.state);
      if (opts.shouldStop) await new Promise<void>((resolve) => setImmediate(resolve));
      if (s + 1 < totalSteps && ((opts.stopAfterSteps !== undefined && s + 1 >= opts.stopAfterSteps) || opts.shouldStop?.())) {
        if (!endOfEpoch) this.output.saveLast(this.run, this.state);
        this.interrupted = true;
        this.log(`stopped after step ${s + 1} of ${totalSteps}${this.output.dir ? `; its state is in ${this.output.dir}/last.safetensors, to resume` : ''}`);
        return;
      }
    }
  }

  /** Step `s`, with its bookkeeping; the images per second of this process so far. */
  private step(s: number): number {
    const { opts, schedule, o } = this.run;
    const t0 = performance.now();
    const r = trainStep(this.run, s);
    const ms = performance.now() - t0;
    this.trainMs += ms;
    this.runMs += ms;
    this.imagesDone += r.n;
    const st = this.state;
    st.images_seen += r.n;
    st.epoch_loss_sum += r.loss * r.n;
    st.epoch_correct += r.correct;
    st.epoch_seen += r.n;
    this.emaLoss = Number.isNaN(this.emaLoss) ? r.loss : 0.9 * this.emaLoss + 0.1 * r.loss;
    const ips = this.runMs > 0 ? (this.imagesDone * 1000) / this.runMs : 0;
    const epoch = Math.floor(s / schedule.stepsPerEpoch);
    st.step = s + 1;
    st.epoch = epoch;
    st.train_seconds = this.trainMs / 1000;
    this.estimate(ms);
    opts.onStep?.({
      step: s + 1, totalSteps: schedule.totalSteps, epoch: epoch + 1, epochs: schedule.epochs, loss: this.emaLoss,
      trainAcc: st.epoch_correct / st.epoch_seen, imagesPerSecond: ips, lr: r.lr,
    });
    if (o.logEvery > 0 && (s + 1) % o.logEvery === 0) {
      this.output.metrics.write({ type: 'step', step: s + 1, epoch: epoch + 1, lr: r.lr, loss: r.loss, train_acc: r.correct / r.n, images_per_s: ips });
    }
    this.lastLr = r.lr;
    return ips;
  }

  /** After the first steps of this process (the first one untimed: it warms caches up), the expected time per epoch. */
  private estimate(ms: number): void {
    const { schedule } = this.run;
    this.stepsTimed++;
    if (this.stepsTimed === 1) return;
    this.timedMs += ms;
    if (this.stepsTimed !== TIMED_STEPS + 1) return;
    const msPerStep = this.timedMs / TIMED_STEPS;
    const left = (schedule.totalSteps - this.state.step) * msPerStep / 1000;
    this.log(`speed: ${msPerStep.toFixed(0)} ms/step, about ${formatSeconds(schedule.stepsPerEpoch * msPerStep / 1000)} per epoch; `
      + `${formatSeconds(left)} of training left, evaluations not included`);
  }

  private evaluate(split: EvalSplit, model: Model, loader: PreparedRun['evalSets']['test']): EvalResult {
    const { opts, dataset } = this.run;
    return evaluate(model, loader, dataset.classNames, opts.onEvalBatch && ((done, total) => opts.onEvalBatch!(done, total, split)));
  }

  /** Evaluate (validation, then test), keep the best model by validation accuracy, log the epoch, save DIR/last. */
  private endOfEpoch(s: number, ips: number): void {
    const { o, evalSets, schedule, opts } = this.run;
    const { model } = this.run.start;
    const st = this.state;
    const epoch = Math.floor(s / schedule.stepsPerEpoch);
    const isLast = s + 1 === schedule.totalSteps;
    let test: EvalResult | null = null;
    let val: EvalResult | null = null;
    if (isLast || (o.evalEvery > 0 && (epoch + 1) % o.evalEvery === 0)) {
      if (evalSets.val) {
        val = this.evaluate('val', model, evalSets.val);
        this.lastVal = val;
        // "Best" is chosen on the validation split only; the test split is measured, never chosen on.
        if (st.best_val_acc === null || val.accuracy > st.best_val_acc) {
          st.best_val_acc = val.accuracy;
          st.best_epoch = epoch + 1;
          this.output.saveBest(this.run, epoch + 1, s + 1, val);
        }
      }
      test = this.evaluate('test', model, isLast ? evalSets.test : evalSets.testDuring);
      model.train(this.ownTraining);
      this.lastTest = test;
    }
    const rec: EpochRecord = {
      type: 'epoch', epoch: epoch + 1, step: s + 1, lr: this.lastLr,
      train_loss: st.epoch_loss_sum / st.epoch_seen, train_acc: st.epoch_correct / st.epoch_seen,
      eval_loss: test?.loss ?? null, eval_acc: test?.accuracy ?? null, eval_n: test?.n ?? null,
      ...(evalSets.val ? { val_loss: val?.loss ?? null, val_acc: val?.accuracy ?? null, best_val_acc: st.best_val_acc } : {}),
      images_per_s: ips, elapsed_s: (performance.now() - this.wallStart) / 1000,
    };
    this.output.metrics.write(rec);
    opts.onEpoch?.(rec);
    st.epoch_loss_sum = 0;
    st.epoch_correct = 0;
    st.epoch_seen = 0;
    this.output.saveLast(this.run, st);
  }

  /** A run resumed exactly at its end has not evaluated its model in this process. */
  evaluateFinalIfNeeded(): void {
    if (this.interrupted || this.state.step < this.run.schedule.totalSteps || this.lastTest !== null) return;
    const { evalSets } = this.run;
    const { model } = this.run.start;
    if (evalSets.val) this.lastVal = this.evaluate('val', model, evalSets.val);
    this.lastTest = this.evaluate('test', model, evalSets.test);
  }
}

/** With `resume`, the options the run in `out` recorded, under the ones given. */
function withResumedOptions(opts: TrainOptions): TrainOptions {
  if (!opts.resume || opts.out === undefined) return opts;
  const recorded = recordedOptionsIn(opts.out);
  if (!recorded) return opts;
  if (recorded.data === undefined && opts.data === undefined) {
    throw new OptionError(`${optionName('data')} is required: the run in ${opts.out} was given a loaded data set, which is not recorded`);
  }
  return withRecordedOptions(recorded, opts);
}

/**
 * Train a model. Async only so that signals get through: with `shouldStop` given, the loop yields to the event
 * loop after every step, which lets a SIGINT handler (Ctrl-C) set the flag it reads.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const wallStart = performance.now();
  const log = options.log ?? (() => {});
  const opts = withResumedOptions(options);
  const o = resolveOptions(opts);
  const run = prepareRun(opts, o, log);
  describeRun(run, log);
  const output = RunOutput.claim(opts.out ?? null);
  try {
    const { state, resumed } = output.restore(run, log);
    output.metrics.open(resumed ? state.step : null);
    run.start.masks?.apply();
    const loop = new TrainingLoop(run, output, state, wallStart, log);
    await loop.runSteps();
    loop.evaluateFinalIfNeeded();
    const summary = summarize(run, state, {
      interrupted: loop.interrupted, test: loop.lastTest, val: loop.lastVal, wallSeconds: (performance.now() - wallStart) / 1000,
    });
    if (!loop.interrupted) output.saveFinal(run, { accuracy: summary.final_acc, loss: summary.final_loss });
    output.writeSummary(summary);
    return { model: run.start.model, spec: run.start.spec, summary, interrupted: loop.interrupted, final: loop.interrupted ? null : loop.lastTest };
  } finally {
    output.release();
  }
}
