// Evaluation: accuracy, mean cross-entropy, per-class accuracy and the confusion matrix over a loader, in
// inference mode.
import type { DataLoader } from '../data/index.js';
import { crossEntropy, noGrad, tensor, tidy } from '../engine/index.js';
import type { Model } from '../models/index.js';
import { TrainingError } from './errors.js';

export interface ClassAccuracy {
  class: number;
  name: string;
  correct: number;
  total: number;
  accuracy: number;
}

export interface EvalResult {
  n: number;
  loss: number;
  accuracy: number;
  perClass: ClassAccuracy[];
  /** confusion[true class][predicted class]: image counts. */
  confusion: number[][];
}

export function evaluate(model: Model, loader: DataLoader, classNames?: readonly string[], onBatch?: (done: number, total: number) => void): EvalResult {
  const wasTraining = model.training;
  model.eval();
  const k = loader.classes;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let lossSum = 0;
  let n = 0;
  try {
    noGrad(() => {
      for (const b of loader.epoch(0)) {
        const bn = b.shape[0];
        lossSum += tidy(() => {
          const logits = model.forward(tensor(b.x, b.shape));
          const c = logits.shape[1]!;
          if (c !== k) throw new TrainingError(`the model has ${c} outputs and the data ${k} classes`);
          const z = logits.data;
          for (let i = 0; i < bn; i++) {
            let arg = 0;
            for (let j = 1; j < c; j++) if (z[i * c + j]! > z[i * c + arg]!) arg = j;
            confusion[b.y[i]!]![arg]!++;
          }
          return crossEntropy(logits, b.y).item() * bn;
        });
        n += bn;
        onBatch?.(b.batch + 1, loader.length);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const correct = confusion.map((row, i) => row[i]!);
  const total = confusion.map((row) => row.reduce((a, c) => a + c, 0));
  const right = correct.reduce((a, c) => a + c, 0);
  return {
    n, loss: n > 0 ? lossSum / n : NaN, accuracy: n > 0 ? right / n : NaN,
    perClass: Array.from({ length: k }, (_, i) => ({
      class: i, name: classNames?.[i] ?? String(i), correct: correct[i]!, total: total[i]!,
      accuracy: total[i]! > 0 ? correct[i]! / total[i]! : NaN,
    })),
    confusion,
  };
}
