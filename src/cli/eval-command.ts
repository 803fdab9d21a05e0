// `wsel eval`: accuracy, loss and per-class accuracy of a trained checkpoint on a dataset's test split.
import { Command } from 'commander';
import { VISION_FAMILY_NAMES as FAMILIES } from '../arch/family-names.js';
import { formatCount, parseChoice, parseIntArg, progressBar } from './common.js';
import { parseModelConfigArg } from './model-arg.js';

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

export function evalCommand(): Command {
  return new Command('eval')
    .summary('evaluate a trained checkpoint: accuracy, loss, per-class accuracy')
    .description('Evaluate a complete model checkpoint (one written by `wsel train`, or any ViT / ConvNeXt / MLP-Mixer\n'
      + 'checkpoint with its classifier) on the test split of a dataset, preprocessed as in training\n'
      + '(resize/pad to the model input, the dataset\'s normalization, channel replication), without augmentation.')
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
  wsel eval --checkpoint runs/ws/best.safetensors --data mnist
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
        import('../training/trainer.js'), import('../training/evaluate.js'), import('../training/data.js'),
        import('../training/errors.js'), import('../training/model-config.js'), import('../training/checkpoint.js'),
      ]);
      const dataset = data.loadDatasetOrThrow(flags.data);
      const { model, spec } = loadCompleteModel(flags.checkpoint, family, config);
      if (modelClasses(spec) !== dataset.classes) {
        throw new TrainingError(`${flags.checkpoint}: the classifier has ${modelClasses(spec)} classes and ${flags.data} has ${dataset.classes}`);
      }
      const prepared = data.prepareData(dataset, spec, { evalSize, seed, augment: {}, imgSize: imgSize ?? recordedInputSize(flags.checkpoint) });
      const loader = data.evalLoader(prepared, batchSize);
      const bar = progressBar('eval', flags.progress && !flags.json && Boolean(process.stderr.isTTY));
      const t0 = performance.now();
      const result = (() => {
        try {
          return evaluate(model, loader, dataset.classNames, (d, t) => bar.update(d, t));
        } finally {
          bar.stop();
        }
      })();
      const seconds = (performance.now() - t0) / 1000;
      const out = {
        checkpoint: flags.checkpoint, family: spec.family, config: spec.config, parameters: model.numParameters(),
        data: flags.data, n: result.n, accuracy: result.accuracy, loss: result.loss, images_per_s: result.n / seconds,
        per_class: result.perClass,
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
      ].join('\n') + '\n');
    });
}
