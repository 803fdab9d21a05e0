// `wsel eval`: accuracy, loss, per-class accuracy and the confusion matrix of a trained checkpoint on a dataset's
// test split.
import { Command } from 'commander';
import { VISION_FAMILY_NAMES as FAMILIES } from '../arch/family-names.js';
import type { EvalResult } from '../training/evaluate.js';
import { formatCount, parseChoice, parseIntArg, progressBar } from './common.js';
import { parseModelConfigArg } from './model-arg.js';
import { withFlagNames } from './option-flags.js';

/** Up to this many classes the whole confusion matrix is printed; beyond, its largest off-diagonal cells. */
const FULL_MATRIX_CLASSES = 20;
const TOP_CONFUSIONS = 10;

interface EvalFlags {
  checkpoint: string;
  data: string;
  model?: string;
  config?: string;
  evalSize?: string;
  imgSize?: string;
  batchSize: string;
  seed: string;
  json?: boolean;
  progress: boolean;
}

/** The confusion matrix as text: rows are true classes (index and name), columns predicted classes (index). */
export function formatConfusion(result: Pick<EvalResult, 'confusion' | 'perClass'>): string[] {
  const m = result.confusion;
  const k = m.length;
  if (k > FULL_MATRIX_CLASSES) {
    const cells = m.flatMap((row, t) => row.map((count, p) => ({ t, p, count }))).filter((c) => c.t !== c.p && c.count > 0)
      .sort((a, b) => b.count - a.count || a.t - b.t || a.p - b.p).slice(0, TOP_CONFUSIONS);
    return [`  most frequent confusions (true -> predicted; --json has the whole ${k}x${k} matrix):`,
      ...cells.map((c) => `    ${result.perClass[c.t]!.name} -> ${result.perClass[c.p]!.name}: ${c.count}`)];
  }
  const width = m.reduce((w, row) => row.reduce((rw, c) => Math.max(rw, String(c).length), w), String(k - 1).length) + 1;
  const label = (i: number) => `${i} ${result.perClass[i]!.name === String(i) ? '' : result.perClass[i]!.name}`.trimEnd();
  const labelWidth = m.reduce((w, _, i) => Math.max(w, label(i).length), 0);
  return [
    '  confusion matrix (rows: true class, columns: predicted class)',
    `  ${' '.repeat(labelWidth)} ${m.map((_, j) => String(j).padStart(width)).join('')}`,
    ...m.map((row, i) => `  ${label(i).padEnd(labelWidth)} ${row.map((c) => String(c).padStart(width)).join('')}`),
  ];
}

export function evalCommand(): Command {
  return new Command('eval')
    .summary('evaluate a trained checkpoint: accuracy, loss, per-class accuracy, confusion matrix')
    .description('Evaluate a complete model checkpoint (one written by `wsel train`, or any ViT / ConvNeXt / MLP-Mixer\n'
      + 'checkpoint with its classifier) on the test split of a dataset, preprocessed as in training\n'
      + '(resize/pad to the model input, the dataset\'s normalization, channel replication), without augmentation.\n'
      + `Prints accuracy, loss, per-class accuracy and the confusion matrix (up to ${FULL_MATRIX_CLASSES} classes; beyond, the most\n`
      + 'frequent confusions); --json has all of it, the matrix as confusion[true][predicted].')
    .requiredOption('--checkpoint <path>', 'model checkpoint (safetensors or PyTorch); family and config from its metadata')
    .requiredOption('--data <data>', 'mnist, fashion-mnist, or a folder (IDX files, or <class>/ image folders)')
    .option('--model <family>', `model family when the checkpoint does not record it: ${FAMILIES.join(', ')}`)
    .option('--config <json>', 'config corrections over the checkpoint\'s (timm names)')
    .option('--eval-size <n>', 'a class-balanced subset of n test images (seeded by --seed)')
    .option('--img-size <n>', 'ConvNeXt input side (default: the side the checkpoint was trained at, else the image side rounded up to 32)')
    .option('--batch-size <n>', 'batch size', '256')
    .option('--seed <n>', 'seed of the --eval-size subset', '0')
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText('after', `
Examples:
  wsel eval --checkpoint runs/ws/final.safetensors --data mnist
  wsel eval --checkpoint teachers/vit_fmnist.safetensors --data fashion-mnist --json
  wsel eval --checkpoint model.safetensors --data ./my_images --eval-size 500`)
    .action(async (flags: EvalFlags) => {
      const family = flags.model === undefined ? undefined : parseChoice('--model', flags.model, FAMILIES);
      const config = flags.config ? parseModelConfigArg('--config', flags.config) : undefined;
      const evalSize = flags.evalSize === undefined ? undefined : parseIntArg('--eval-size', flags.evalSize, 1);
      const imgSize = flags.imgSize === undefined ? undefined : parseIntArg('--img-size', flags.imgSize, 1);
      const batchSize = parseIntArg('--batch-size', flags.batchSize, 1);
      const seed = parseIntArg('--seed', flags.seed);
      const [{ loadCompleteModel }, { evaluate }, data, { TrainingError }, { modelClasses }, { recordedInputSize }] = await Promise.all([
        import('../training/model-setup.js'), import('../training/evaluate.js'), import('../training/data.js'),
        import('../training/errors.js'), import('../training/model-config.js'), import('../training/checkpoint.js'),
      ]);
      const { result, spec, parameters, seconds } = await withFlagNames(() => {
        const dataset = data.loadDatasetOrThrow(flags.data);
        const { model, spec } = loadCompleteModel(flags.checkpoint, family, config);
        if (modelClasses(spec) !== dataset.classes) {
          throw new TrainingError(`${flags.checkpoint}: the classifier has ${modelClasses(spec)} classes and ${flags.data} has ${dataset.classes}`);
        }
        const prepared = data.prepareData(dataset, spec, { evalSize, seed, augment: {}, imgSize: imgSize ?? recordedInputSize(flags.checkpoint) });
        const loader = data.evalLoader(prepared, batchSize);
        const bar = progressBar('eval', flags.progress && !flags.json && Boolean(process.stderr.isTTY));
        const t0 = performance.now();
        try {
          const result = evaluate(model, loader, dataset.classNames, (d, t) => bar.update(d, t));
          return { result, spec, parameters: model.numParameters(), seconds: (performance.now() - t0) / 1000 };
        } finally {
          bar.stop();
        }
      });
      const out = {
        checkpoint: flags.checkpoint, family: spec.family, config: spec.config, parameters,
        data: flags.data, n: result.n, accuracy: result.accuracy, loss: result.loss, images_per_s: result.n / seconds,
        per_class: result.perClass, confusion: result.confusion,
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const width = result.perClass.reduce((w, c) => Math.max(w, c.name.length), 5);
      process.stdout.write([
        `${spec.family} ${formatCount(out.parameters)} parameters on ${result.n} ${flags.data} test images`,
        `  accuracy ${(100 * result.accuracy).toFixed(2)}%, loss ${result.loss.toFixed(4)} (${out.images_per_s.toFixed(0)} images/s)`,
        `  ${'class'.padEnd(width)}  accuracy   correct/total`,
        ...result.perClass.map((c) => `  ${c.name.padEnd(width)}  ${Number.isNaN(c.accuracy) ? '    -  ' : `${(100 * c.accuracy).toFixed(2).padStart(6)}%`}   ${c.correct}/${c.total}`),
        ...formatConfusion(result),
      ].join('\n') + '\n');
    });
}
