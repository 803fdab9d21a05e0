// The run's log: one JSON object per line in DIR/metrics.jsonl (periodic steps and every epoch), kept in step
// order across a resume (lines past the resumed step are dropped, as that part is recomputed).
import fs from 'node:fs';
import { writeJsonAtomic } from '../run-folder/json-file.js';
import { isObject, parseJson } from '../safe-json.js';

export interface StepRecord {
  type: 'step';
  step: number;
  epoch: number;
  lr: number;
  loss: number;
  train_acc: number;
  images_per_s: number;
}

export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  step: number;
  lr: number;
  train_loss: number;
  train_acc: number;
  /** The test split (--eval-size images, or all), measured for the record; it never chooses anything. */
  eval_loss: number | null;
  eval_acc: number | null;
  /** Test images evaluated: a fixed subset before the last epoch (--eval-subset), all of --eval-size at the end. */
  eval_n: number | null;
  /** The validation split, only in runs that have one; "best" is the epoch with the highest val_acc. */
  val_loss?: number | null;
  val_acc?: number | null;
  best_val_acc?: number | null;
  images_per_s: number;
  elapsed_s: number;
}

export type MetricsRecord = StepRecord | EpochRecord;

export class MetricsLog {
  constructor(readonly file: string | null) {}

  /**
   * Start fresh, or (resume) keep only what was logged up to `step`: the lines past it are computed again, and a
   * line cut short by a kill is dropped. The kept lines replace the file atomically, so a run killed during the
   * rewrite still has its old log.
   */
  open(resumeStep: number | null): void {
    if (this.file === null) return;
    if (resumeStep === null || !fs.existsSync(this.file)) {
      writeJsonAtomic(this.file, '');
      return;
    }
    const notJson = (): Error => new Error('not a record');
    const kept = fs.readFileSync(this.file, 'utf8').split('\n').filter((line) => {
      if (!line.trim()) return false;
      try {
        const record = parseJson(line, notJson);
        return isObject(record) && typeof record['step'] === 'number' && record['step'] <= resumeStep;
      } catch {
        return false;
      }
    });
    writeJsonAtomic(this.file, kept.map((l) => `${l}\n`).join(''));
  }

  write(r: MetricsRecord): void {
    if (this.file !== null) fs.appendFileSync(this.file, `${JSON.stringify(r)}\n`);
  }
}
