// `wsel predict`: per-image predictions of a trained checkpoint (top-k classes with probabilities, logits on
// request) on image files, a folder of images, or a data set's split, as text, JSON or CSV.
import { Command } from 'commander';
import { VISION_FAMILY_NAMES as FAMILIES } from '../arch/family-names.js';
import { ONNXRUNTIME_INSTALL } from '../export/errors.js';
import type { Prediction, PredictInputs, PredictResult } from '../training/predict.js';
import { parseChoice, parseIntArg, progressBar, UsageError } from './common.js';
import { parseModelConfigArg } from './model-arg.js';
import { withFlagNames } from './option-flags.js';

interface PredictFlags {
  checkpoint: string;
  images?: string;
  data?: string;
  split?: string;
  limit?: string;
  topK: string;
  batchSize: string;
  model?: string;
  config?: string;
  logits?: boolean;
  json?: boolean;
  csv?: boolean;
  progress: boolean;
}

function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One header and one row per image: the input, its label if known, then class, name and probability per rank. */
export function formatCsv(result: PredictResult, withLogits: boolean): string {
  const k = result.predictions[0]?.top.length ?? 0;
  const header = ['input', 'label', 'label_name'];
  for (let r = 1; r <= k; r++) header.push(`top${r}`, `top${r}_name`, `top${r}_probability`);
  if (withLogits) result.classNames.forEach((_, i) => header.push(`logit_${i}`));
  const rows = result.predictions.map((p) => [
    p.input, p.label, p.label === null ? null : result.classNames[p.label]!,
    ...p.top.flatMap((t) => [t.class, t.name, t.probability]),
    ...(withLogits ? p.logits ?? [] : []),
  ].map(csvField).join(','));
  return [header.join(','), ...rows].join('\n') + '\n';
}

function formatText(result: PredictResult, checkpoint: string): string {
  const width = result.predictions.reduce((w, p) => Math.max(w, p.input.length), 5);
  const line = (p: Prediction): string => {
    const label = p.label === null ? '' : `  [${result.classNames[p.label]}${p.top[0]!.class === p.label ? '' : ', wrong'}]`;
    return `${p.input.padEnd(width)}  ${p.top.map((t) => `${t.name} ${(100 * t.probability).toFixed(1)}%`).join('  ')}${label}`;
  };
  const tail = result.accuracy === null ? [] : [`accuracy ${(100 * result.accuracy).toFixed(2)}% on ${result.predictions.length} images`];
  return [`# ${checkpoint}: ${result.family}, ${result.classNames.length} classes; input ${result.preprocess.input_channels}x${result.preprocess.input_size}`
    + ` (preprocessing from the ${result.preprocessFrom === 'checkpoint' ? 'checkpoint' : 'data set'})`, ...result.predictions.map(line), ...tail].join('\n') + '\n';
}

/** Exactly one kind of input: IMAGE arguments, --images DIR, or --data NAME. */
function inputsFromFlags(images: string[], flags: PredictFlags): PredictInputs {
  const given = [images.length > 0, flags.images !== undefined, flags.data !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give what to predict: IMAGE files, --images DIR or --data NAME (one of them)');
  if (flags.data === undefined && (flags.split !== undefined || flags.limit !== undefined)) throw new UsageError('--split and --limit go with --data');
  if (flags.data !== undefined) {
    return {
      data: flags.data, split: parseChoice('--split', flags.split ?? 'test', ['test', 'train'] as const),
      ...(flags.limit !== undefined ? { limit: parseIntArg('--limit', flags.limit, 1) } : {}),
    };
  }
  return flags.images !== undefined ? { folder: flags.images } : { images };
}

export function predictCommand(): Command {
  return new Command('predict')
    .summary('predict the classes of images with a trained checkpoint (top-k probabilities; text, JSON or CSV)')
    .description('Run a trained checkpoint on images and print, per image, the most probable classes with their\n'
      + 'probabilities (softmax of the logits; --logits adds the raw logits). Images are preprocessed exactly as in\n'
      + 'training: brought to the size and channels of the training images, then padded or resized to the model\'s\n'
      + 'input and normalized with the training statistics, all as recorded in the checkpoint (wsel.preprocess;\n'
      + 'for a checkpoint without that record, rebuilt from --data or from the data set it names). Class names\n'
      + 'come from the checkpoint (digits for MNIST, the Fashion-MNIST names, the class folders of an image\n'
      + 'folder). Inputs: PNG/JPEG files, every PNG/JPEG under --images DIR, or a data set\'s split with --data\n'
      + '(labels known: the accuracy is printed too). Images are decoded and predicted in batches.\n\n'
      + 'An ONNX file written by wsel export (--checkpoint NAME.onnx) runs in onnxruntime instead of wsel\'s engine,\n'
      + 'with the preprocessing and class names recorded in the file: the check of a deployed model on the same\n'
      + 'images. It needs the onnxruntime-node package, which wsel does not install:\n'
      + `  ${ONNXRUNTIME_INSTALL}`)
    .argument('[image...]', 'PNG or JPEG files')
    .requiredOption('--checkpoint <path>', 'a trained model checkpoint (wsel train\'s final.safetensors or best.safetensors), or an ONNX file from wsel export (.onnx: run in onnxruntime)')
    .option('--images <dir>', 'every PNG and JPEG file under this folder (subfolders included)')
    .option('--data <data>', 'a data set: mnist, fashion-mnist, or a folder (IDX files, or <class>/ image folders)')
    .option('--split <split>', 'with --data: test or train (default: test)')
    .option('--limit <n>', 'with --data: only its first n images')
    .option('--top-k <k>', 'classes listed per image, most probable first', '5')
    .option('--batch-size <n>', 'images per batch', '256')
    .option('--model <family>', `model family when the checkpoint does not record it: ${FAMILIES.join(', ')}`)
    .option('--config <json>', 'config corrections over the checkpoint\'s (timm names)')
    .option('--logits', 'also output every image\'s logits')
    .option('--json', 'print JSON: the model, its preprocessing and classes, and one object per image')
    .option('--csv', 'print CSV: a header, then one row per image')
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText('after', `
Examples:
  wsel predict --checkpoint runs/ws/final.safetensors digit.png other.jpg
  wsel predict --checkpoint runs/ws/final.safetensors --images ./photos --top-k 3 --csv > predictions.csv
  wsel predict --checkpoint runs/ws/final.safetensors --data mnist --limit 20
  wsel predict --checkpoint teachers/vit_fmnist.safetensors --data fashion-mnist --json --logits
  wsel predict --checkpoint student.onnx --data mnist --limit 20     # the exported file, in onnxruntime

Exit codes: 0 done, 1 a bad checkpoint, image or data set, 2 bad flags.`)
    .action(async (images: string[], flags: PredictFlags) => {
      if (flags.json && flags.csv) throw new UsageError('give --json or --csv, not both');
      const inputs = inputsFromFlags(images, flags);
      const topK = parseIntArg('--top-k', flags.topK, 1);
      const batchSize = parseIntArg('--batch-size', flags.batchSize, 1);
      const family = flags.model === undefined ? undefined : parseChoice('--model', flags.model, FAMILIES);
      const config = flags.config ? parseModelConfigArg('--config', flags.config) : undefined;
      const onnx = flags.checkpoint.toLowerCase().endsWith('.onnx');
      if (onnx && (family !== undefined || config !== undefined)) throw new UsageError('--model and --config correct safetensors checkpoints; an ONNX file records its model');
      const bar = progressBar('predict', flags.progress && Boolean(process.stderr.isTTY));
      const request = { inputs, topK, batchSize, logits: flags.logits, onBatch: (d: number, t: number) => bar.update(d, t) };
      const result = await withFlagNames(async () => {
        try {
          if (onnx) return await (await import('../export/onnx-predict.js')).predictOnnx({ onnx: flags.checkpoint, ...request });
          return (await import('../training/predict.js')).predict({ checkpoint: flags.checkpoint, family, config, ...request });
        } finally {
          bar.stop();
        }
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({
          checkpoint: flags.checkpoint, family: result.family, class_names: result.classNames, preprocess: result.preprocess,
          preprocess_from: result.preprocessFrom, n: result.predictions.length, accuracy: result.accuracy, predictions: result.predictions,
        }, null, 2)}\n`);
      } else if (flags.csv) {
        process.stdout.write(formatCsv(result, Boolean(flags.logits)));
      } else {
        process.stdout.write(formatText(result, flags.checkpoint));
      }
    });
}
