// Fine-tuning in the tab with wsel's training recipe (the one `wsel train` uses: AdamW with eps 1e-8 and weight
// decay 0.05 except on 1-D tensors, biases, tokens and layer scales; linear warm-up over 5% of the steps then a
// cosine decay to 1e-6; label smoothing 0.1 and the data set's augmentation; a classifier the selection left out
// is initialized as timm does). The loop yields to the worker's event loop after every step so Stop gets through.
import type { CheckpointReader } from '../../../src/checkpoint/types.js';
import { AdamW, backward, cosineLr, crossEntropy, noGrad, paramGroupsWeightDecay, tensor, tidy } from '../../../src/engine/index.js';
import type { Dataset } from '../../../src/data/types.js';
import type { DataLoader } from '../../../src/data/loader.js';
import type { Model } from '../../../src/models/index.js';
import { loadIntoModel, modelTensorNames, specFromCheckpoint } from '../../../src/training/checkpoint.js';
import { evalLoader, prepareData, trainLoader, type TrainData } from '../../../src/training/data.js';
import { evaluate, type EvalResult } from '../../../src/training/evaluate.js';
import { initModel } from '../../../src/training/init.js';
import { buildModel, headPrefix, modelClasses, noWeightDecayNames, resolveModelSpec, type ModelSpec } from '../../../src/training/model-config.js';
import type { StepReport, TrainSettings } from '../protocol.js';

const WEIGHT_DECAY = 0.05;
const MIN_LR = 1e-6;
const DROP_PATH = { vit: 0, convnext: 0.1, mixer: 0 } as const;

export class FineTune {
  readonly spec: ModelSpec;
  readonly model: Model;
  readonly prepared: TrainData;
  private readonly loader: DataLoader;
  private readonly testSet: DataLoader;

  constructor(reader: CheckpointReader, readonly dataset: Dataset, private readonly settings: TrainSettings) {
    let spec = specFromCheckpoint(reader, undefined, {}, (f) => DROP_PATH[f]);
    const hasHead = modelTensorNames(reader).some((n) => n.startsWith(headPrefix(spec.family)));
    // A student without its classifier (selection leaves it out) takes the data's label set.
    if (!hasHead && modelClasses(spec) !== dataset.classes) spec = resolveModelSpec(spec.family, spec.config, { num_classes: dataset.classes }, spec.dropPathRate);
    if (modelClasses(spec) !== dataset.classes) throw new Error(`the student's classifier has ${modelClasses(spec)} classes and the data ${dataset.classes}`);
    this.spec = spec;
    this.model = buildModel(spec, settings.seed);
    initModel(this.model, 'timm', settings.seed);
    loadIntoModel(this.model, reader);
    this.prepared = prepareData(dataset, spec, { seed: settings.seed, augment: {} });
    this.loader = trainLoader(this.prepared, settings.batchSize, settings.seed);
    this.testSet = evalLoader(this.prepared, 250);
  }

  evaluate(): EvalResult {
    const result = evaluate(this.model, this.testSet, this.dataset.classNames);
    this.model.train();
    return result;
  }

  async train(onStep: (r: StepReport) => void, onEpoch: (epoch: number, step: number, ev: EvalResult) => void,
    shouldStop: () => boolean): Promise<{ stopped: boolean; accuracy: number }> {
    const { model, loader } = this;
    const { lr, epochs } = this.settings;
    const perEpoch = loader.length;
    const total = epochs * perEpoch;
    const schedule = { baseLr: lr, minLr: MIN_LR, warmupIters: Math.round(0.05 * total), warmupStartLr: MIN_LR, totalIters: total };
    const named = model.namedParameters();
    const noDecay = [...noWeightDecayNames(this.spec.family), ...named.filter(([n]) => n.endsWith('gamma')).map(([n]) => n)];
    const optimizer = new AdamW(paramGroupsWeightDecay(named, WEIGHT_DECAY, noDecay), { lr, eps: 1e-8, weightDecay: WEIGHT_DECAY });
    model.train();
    let accuracy = NaN;
    let seen = 0;
    let correctInEpoch = 0;
    let seenInEpoch = 0;
    let emaLoss = NaN;
    const started = performance.now();
    for (let s = 0; s < total; s++) {
      const epoch = Math.floor(s / perEpoch);
      const batch = loader.batch(epoch, s % perEpoch);
      const n = batch.shape[0];
      optimizer.setLr(cosineLr(s, schedule));
      const { loss, correct } = tidy(() => {
        optimizer.zeroGrad();
        const logits = model.forward(tensor(batch.x, batch.shape));
        const l = batch.targets ? crossEntropy(logits, tensor(batch.targets, [n, loader.classes])) : crossEntropy(logits, batch.y);
        backward(l);
        noGrad(() => optimizer.step());
        return { loss: l.item(), correct: countCorrect(logits.data, batch.y, loader.classes) };
      });
      if (!Number.isFinite(loss)) throw new Error(`the loss became ${loss} at step ${s + 1}; lower the learning rate`);
      seen += n;
      seenInEpoch += n;
      correctInEpoch += correct;
      emaLoss = Number.isNaN(emaLoss) ? loss : 0.9 * emaLoss + 0.1 * loss;
      onStep({
        step: s + 1, totalSteps: total, epoch: epoch + 1, loss: emaLoss, trainAccuracy: correctInEpoch / seenInEpoch,
        imagesPerSecond: (seen * 1000) / (performance.now() - started),
      });
      const endOfEpoch = (s + 1) % perEpoch === 0 || s + 1 === total;
      if (endOfEpoch) {
        const ev = this.evaluate();
        accuracy = ev.accuracy;
        onEpoch(epoch + 1, s + 1, ev);
        correctInEpoch = 0;
        seenInEpoch = 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (s + 1 < total && shouldStop()) {
        if (!endOfEpoch) {
          const ev = this.evaluate();
          accuracy = ev.accuracy;
          onEpoch(epoch + 1, s + 1, ev);
        }
        model.eval();
        return { stopped: true, accuracy };
      }
    }
    model.eval();
    return { stopped: false, accuracy };
  }
}

function countCorrect(z: Float32Array, y: ArrayLike<number>, classes: number): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let arg = 0;
    for (let j = 1; j < classes; j++) if (z[i * classes + j]! > z[i * classes + arg]!) arg = j;
    if (arg === y[i]) right++;
  }
  return right;
}
