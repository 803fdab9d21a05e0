// `wsel train`: train a model from a selected checkpoint, a pruned one, or a random initialization.
import { Command, Option } from 'commander';
import { VISION_FAMILY_NAMES as FAMILIES } from '../arch/family-names.js';
import { closestTimmNames, lookupTimmName } from '../arch/timm-names.js';
import { TrainingInterrupted } from '../training/errors.js';
import type { TrainOptions } from '../training/trainer.js';
import { formatCount, parseChoice, parseIntArg, progressBar, UsageError, type Progress } from './common.js';
import { parseModelConfigArg } from './model-arg.js';

interface TrainFlags {
  model?: string;
  config?: string;
  init: string;
  resetHead?: boolean;
  data: string;
  trainSize?: string;
  valSize?: string;
  evalSize?: string;
  imgSize?: string;
  epochs?: string;
  steps?: string;
  batchSize: string;
  lr: string;
  minLr: string;
  warmupEpochs?: string;
  warmupSteps?: string;
  weightDecay: string;
  clipGrad?: string;
  dropPath?: string;
  cropPad?: string;
  flip?: boolean;
  mixup?: string;
  cutmix?: string;
  smoothing?: string;
  augment: boolean;
  kdTeacher?: string;
  kdConfig?: string;
  kdModel?: string;
  kdTemperature: string;
  kdAlpha: string;
  linearProbe?: boolean;
  seed: string;
  out: string;
  resume?: boolean;
  evalEvery: string;
  logEvery: string;
  saveEvery?: string;
  saveDtype: string;
  json?: boolean;
  progress: boolean;
}

export function parseNumberArg(flag: string, text: string, min = -Infinity, max = Infinity): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a number${min === Number.MIN_VALUE ? ' > 0' : Number.isFinite(min) ? ` >= ${min}` : ''}${Number.isFinite(max) ? ` and <= ${max}` : ''}, got "${text}"`);
  }
  return n;
}

/** --model: a family, or a timm model name (its family, and {"name": NAME} under --config). */
function parseModelFlag(text: string): { family: (typeof FAMILIES)[number]; name?: { name: string } } {
  if ((FAMILIES as readonly string[]).includes(text)) return { family: text as (typeof FAMILIES)[number] };
  const entry = lookupTimmName(text);
  if (!entry) throw new UsageError(`--model must be a family (${FAMILIES.join(', ')}) or a timm model name; got "${text}" (closest names: ${closestTimmNames(text).join(', ')})`);
  return { family: entry.family, name: { name: text } };
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(2)}%`);

/** Flags to TrainOptions (everything a user can get wrong is a UsageError here, before any work). */
export function trainOptionsFromFlags(flags: TrainFlags): TrainOptions {
  const opt = (text: string | undefined, f: (t: string) => number): number | undefined => (text === undefined ? undefined : f(text));
  const model = flags.model === undefined ? undefined : parseModelFlag(flags.model);
  const family = model?.family;
  if (flags.init.startsWith('random') && family === undefined) throw new UsageError(`--model is required with a random --init (${FAMILIES.join(', ')}, or a timm model name)`);
  if (flags.epochs !== undefined && flags.steps !== undefined) throw new UsageError('give --epochs or --steps, not both');
  if (flags.warmupEpochs !== undefined && flags.warmupSteps !== undefined) throw new UsageError('give --warmup-epochs or --warmup-steps, not both');
  const augment = flags.augment
    ? {
      cropPad: opt(flags.cropPad, (t) => parseIntArg('--crop-pad', t, 0)),
      flip: flags.flip,
      mixup: opt(flags.mixup, (t) => parseNumberArg('--mixup', t, 0)),
      cutmix: opt(flags.cutmix, (t) => parseNumberArg('--cutmix', t, 0)),
      labelSmoothing: opt(flags.smoothing, (t) => parseNumberArg('--smoothing', t, 0, 0.999)),
    }
    : { cropPad: 0, flip: false, mixup: 0, cutmix: 0, labelSmoothing: opt(flags.smoothing, (t) => parseNumberArg('--smoothing', t, 0, 0.999)) ?? 0 };
  const kdFamily = flags.kdModel === undefined ? undefined : parseChoice('--kd-model', flags.kdModel, FAMILIES);
  if (!flags.kdTeacher && (flags.kdConfig || flags.kdModel)) throw new UsageError('--kd-config and --kd-model need --kd-teacher');
  // Their defaults are shown in --help; a value other than the default without a teacher would be ignored.
  if (!flags.kdTeacher && (flags.kdTemperature !== '1' || flags.kdAlpha !== '0.5')) throw new UsageError('--kd-temperature and --kd-alpha need --kd-teacher');
  const ignored = ([['--crop-pad', flags.cropPad], ['--flip', flags.flip || undefined], ['--mixup', flags.mixup], ['--cutmix', flags.cutmix]] as const)
    .filter(([, v]) => v !== undefined).map(([name]) => name);
  if (!flags.augment && ignored.length) throw new UsageError(`--no-augment turns off ${ignored.join(', ')}; give one or the other`);
  const saveDtype = parseChoice('--save-dtype', flags.saveDtype, ['f32', 'f16', 'bf16'] as const);
  return {
    family,
    config: model?.name || flags.config ? { ...model?.name, ...(flags.config ? parseModelConfigArg('--config', flags.config) : {}) } : undefined,
    init: flags.init,
    resetHead: Boolean(flags.resetHead),
    data: flags.data,
    trainSize: opt(flags.trainSize, (t) => parseIntArg('--train-size', t, 1)),
    valSize: opt(flags.valSize, (t) => parseIntArg('--val-size', t, 1)),
    evalSize: opt(flags.evalSize, (t) => parseIntArg('--eval-size', t, 1)),
    imgSize: opt(flags.imgSize, (t) => parseIntArg('--img-size', t, 1)),
    epochs: opt(flags.epochs, (t) => parseIntArg('--epochs', t, 1)) ?? (flags.steps === undefined ? 10 : undefined),
    steps: opt(flags.steps, (t) => parseIntArg('--steps', t, 1)),
    batchSize: parseIntArg('--batch-size', flags.batchSize, 1),
    lr: parseNumberArg('--lr', flags.lr, Number.MIN_VALUE),
    minLr: parseNumberArg('--min-lr', flags.minLr, 0),
    warmupEpochs: opt(flags.warmupEpochs, (t) => parseNumberArg('--warmup-epochs', t, 0)),
    warmupSteps: opt(flags.warmupSteps, (t) => parseIntArg('--warmup-steps', t, 0)),
    weightDecay: parseNumberArg('--weight-decay', flags.weightDecay, 0),
    clipGrad: opt(flags.clipGrad, (t) => parseNumberArg('--clip-grad', t, Number.MIN_VALUE)),
    dropPath: opt(flags.dropPath, (t) => parseNumberArg('--drop-path', t, 0, 0.999)),
    augment,
    kd: flags.kdTeacher ? {
      teacher: flags.kdTeacher,
      config: flags.kdConfig ? parseModelConfigArg('--kd-config', flags.kdConfig) : undefined,
      family: kdFamily,
      temperature: parseNumberArg('--kd-temperature', flags.kdTemperature, Number.MIN_VALUE),
      alpha: parseNumberArg('--kd-alpha', flags.kdAlpha, 0, 1),
    } : undefined,
    linearProbe: Boolean(flags.linearProbe),
    seed: parseIntArg('--seed', flags.seed),
    out: flags.out,
    resume: Boolean(flags.resume),
    evalEvery: parseIntArg('--eval-every', flags.evalEvery, 0),
    logEvery: parseIntArg('--log-every', flags.logEvery, 0),
    saveEvery: opt(flags.saveEvery, (t) => parseIntArg('--save-every', t, 1)),
    saveDtype: saveDtype.toUpperCase() as 'F32' | 'F16' | 'BF16',
  };
}

export function trainCommand(): Command {
  return new Command('train')
    .summary('train a model: from a selected (or pruned) checkpoint, or a random initialization')
    .description(
      'Train an image classifier on the project\'s own engine. The model is configured with the same JSON\n'
      + '`wsel select` takes (timm constructor names); a checkpoint written by `wsel select` loads directly\n'
      + '(--init PATH; its config comes from the file when --config is omitted) and whatever it leaves out\n'
      + '(the classifier, excluded components) is initialized and listed. The recipe is the paper\'s: AdamW\n'
      + '(eps 1e-8, no weight decay on 1-D tensors, biases, pos_embed, cls/reg tokens, layer scales), cosine\n'
      + 'schedule per step to --min-lr after a linear warm-up, label smoothing, optional mixup/cutmix.\n'
      + 'DIR gets metrics.jsonl (steps and epochs), summary.json, last.safetensors (weights + AdamW state,\n'
      + 'each epoch; --resume continues it to the same bits as an uninterrupted run), final.safetensors and,\n'
      + 'with --val-size, best.safetensors (chosen on the validation split; the test split is reported, never\n'
      + 'used to choose). Ctrl-C saves DIR/last and stops.',
    )
    .option('--model <family>', `model family: ${FAMILIES.join(', ')}, or a timm model name such as vit_tiny_patch16_224 or convnext_femto (default: from the --init checkpoint)`)
    .option('--config <json>', 'model config (timm constructor names, or {"name": TIMM_NAME, ...}), inline JSON or a .json file; over the checkpoint\'s with --init PATH. ViT: a new embed_dim without num_heads keeps the head width (64 over the defaults), else give num_heads')
    .option('--init <init>', 'random:timm | random:xavier | random:kaiming | a checkpoint (selected, pruned or trained)', 'random:timm')
    .option('--reset-head', 'leave the checkpoint\'s classifier out and train a new one (another label set)')
    .requiredOption('--data <data>', 'mnist, fashion-mnist, or a folder (IDX files, or <class>/ image folders)')
    .option('--train-size <n>', 'train on a class-balanced subset of n images (seeded by --seed)')
    .option('--val-size <n>', 'hold out n training images (class-balanced, seeded by --seed, disjoint from --train-size\'s) as a validation split; best.safetensors is the epoch with the best validation accuracy (without it there is no "best": the test split never chooses anything)')
    .option('--eval-size <n>', 'evaluate on a class-balanced subset of n test images')
    .option('--img-size <n>', 'ConvNeXt input side (default: the image side rounded up to 32); ViT/Mixer use img_size')
    .option('--epochs <n>', 'epochs (default 10)')
    .option('--steps <n>', 'optimizer steps instead of epochs')
    .option('--batch-size <n>', 'batch size', '64')
    .option('--lr <x>', 'peak learning rate', '1e-3')
    .option('--min-lr <x>', 'learning rate at the end of the cosine', '1e-6')
    .option('--warmup-epochs <x>', 'linear warm-up length in epochs (default: 5% of the steps)')
    .option('--warmup-steps <n>', 'linear warm-up length in steps')
    .option('--weight-decay <x>', 'AdamW weight decay', '0.05')
    .option('--clip-grad <x>', 'clip the global gradient norm to x')
    .option('--drop-path <x>', 'stochastic depth rate (default: ViT/Mixer 0, ConvNeXt 0.1)')
    .option('--crop-pad <n>', 'random crop after zero padding n pixels per side (default: 2 for 28 px datasets, side/8 for folders)')
    .option('--flip', 'random horizontal flips (default: on; off for MNIST and other IDX folders, where a mirrored image may change class)')
    .option('--no-flip', 'no horizontal flips')
    .option('--mixup <alpha>', 'mixup Beta(alpha, alpha); 0 = off (default 0; the paper uses 0.8)')
    .option('--cutmix <alpha>', 'cutmix Beta(alpha, alpha); 0 = off (default 0; the paper uses 1.0)')
    .option('--smoothing <x>', 'label smoothing (default 0.1)')
    .option('--no-augment', 'no crop, flip, mixup or cutmix (label smoothing only if --smoothing)')
    .option('--kd-teacher <path>', 'knowledge distillation from this teacher (trained on the target task)')
    .option('--kd-config <json>', 'the teacher\'s config (default: from its checkpoint)')
    .option('--kd-model <family>', 'the teacher\'s family (default: from its checkpoint)')
    .option('--kd-temperature <t>', 'softmax temperature of the soft targets', '1')
    .option('--kd-alpha <a>', 'loss = (1 - a) * hard-label loss + a * T^2 KL(teacher || student)', '0.5')
    .option('--linear-probe', 'train only the classifier; everything else frozen (feature-quality test)')
    .option('--seed <n>', 'seed of initialization, data order, augmentation and stochastic depth', '0')
    .requiredOption('--out <dir>', 'output folder')
    .option('--resume', 'continue the run in --out from its last.safetensors')
    .option('--eval-every <n>', 'evaluate every n epochs (0: only at the end)', '1')
    .option('--log-every <n>', 'write a step record to metrics.jsonl every n steps (0: none)', '50')
    .option('--save-every <n>', 'also save DIR/last every n steps (default: each epoch)')
    .addOption(new Option('--save-dtype <dtype>', 'dtype of best/final.safetensors (last is always f32)').choices(['f32', 'f16', 'bf16']).default('f32'))
    .option('--json', 'print summary.json on stdout at the end')
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText('after', `
Examples:
  # weight selection: select a student from the shipped teacher, then train it on 1,000 MNIST images
  wsel select --arch vit --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --out student.safetensors
  wsel train --init student.safetensors --data mnist --train-size 1000 --epochs 20 --out runs/ws
  # the random-init baseline: the same student config, timm's initialization
  wsel train --model vit --config '{"img_size":28,"patch_size":7,"in_chans":1,"embed_dim":64,"depth":4,"num_heads":2}' \\
    --init random:timm --data mnist --train-size 1000 --epochs 20 --out runs/random
  # paper-style augmentation, distillation from a teacher trained on the task, resume after Ctrl-C
  wsel train --init student.safetensors --data fashion-mnist --mixup 0.8 --cutmix 1.0 \\
    --kd-teacher teachers/vit_fmnist.safetensors --kd-alpha 0.5 --out runs/kd
  wsel train --init student.safetensors --data fashion-mnist --mixup 0.8 --cutmix 1.0 \\
    --kd-teacher teachers/vit_fmnist.safetensors --kd-alpha 0.5 --out runs/kd --resume
  # feature quality: linear probe of the selected (untrained) student
  wsel train --init student.safetensors --linear-probe --data mnist --train-size 1000 --epochs 10 --out runs/probe
  # pruning baselines at the student's parameter count: structured = magnitude selection, unstructured = wsel prune
  wsel select --arch vit --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --elements magnitude --out structured.safetensors
  wsel prune --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --out unstructured.safetensors
  wsel train --init unstructured.safetensors --data mnist --train-size 1000 --epochs 20 --out runs/pruned

Exit codes: 0 done, 1 bad config / data / checkpoint (nothing written), 2 bad flags, 130 interrupted (DIR/last saved).`)
    .action(async (flags: TrainFlags) => {
      const options = trainOptionsFromFlags(flags);
      const { train } = await import('../training/trainer.js');
      const showProgress = flags.progress && !flags.json && Boolean(process.stderr.isTTY);
      const ui: { bar: Progress | null } = { bar: null };
      let stop = false;
      const onSigint = (): void => {
        if (stop) process.exit(130);
        stop = true;
        process.stderr.write('\nwsel train: stopping after this step (Ctrl-C again to quit now)\n');
      };
      process.on('SIGINT', onSigint);
      const say = (line: string): void => {
        ui.bar?.stop();
        ui.bar = null;
        process.stderr.write(`${line}\n`);
      };
      try {
        const result = await train({
          ...options,
          log: say,
          shouldStop: () => stop,
          onStep: (p) => {
            if (!showProgress) return;
            ui.bar ??= progressBar(`epoch ${p.epoch}/${p.epochs}`);
            ui.bar.update(p.step, p.totalSteps, `loss ${p.loss.toFixed(4)} acc ${pct(p.trainAcc)} ${p.imagesPerSecond.toFixed(0)} img/s`);
          },
          onEpoch: (e) => say(
            `epoch ${e.epoch}: train loss ${e.train_loss.toFixed(4)} acc ${pct(e.train_acc)}`
            + (e.val_acc !== undefined && e.val_acc !== null ? ` | val loss ${e.val_loss!.toFixed(4)} acc ${pct(e.val_acc)} (best ${pct(e.best_val_acc)})` : '')
            + (e.eval_acc !== null ? ` | test loss ${e.eval_loss!.toFixed(4)} acc ${pct(e.eval_acc)}` : '')
            + ` | ${e.images_per_s.toFixed(0)} img/s, lr ${e.lr.toExponential(2)}`,
          ),
        });
        ui.bar?.stop();
        const s = result.summary;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        } else {
          process.stdout.write([
            `${s.family} ${formatCount(s.parameters)} parameters (${formatCount(s.trainable_parameters)} trained), init ${s.init}`,
            `  ${s.completed_steps}/${s.steps} steps on ${s.train_size} ${s.data} images: ${s.images_per_s.toFixed(0)} images/s, ${s.ms_per_step.toFixed(1)} ms/step`,
            result.interrupted
              ? `  interrupted; continue with --resume${s.best_val_acc !== null ? ` (best validation accuracy so far ${pct(s.best_val_acc)})` : ''}`
              : `  final test accuracy ${pct(s.final_acc)} (loss ${s.final_loss?.toFixed(4)}) on ${s.eval_size} test images`,
            ...(!result.interrupted && s.val_size !== null
              ? [`  validation (${s.val_size} training images held out): final ${pct(s.final_val_acc)}, best ${pct(s.best_val_acc)} at epoch ${s.best_epoch}`] : []),
            `  ${options.out}/summary.json, metrics.jsonl, last.safetensors${result.interrupted ? '' : `${s.best_epoch !== null ? ', best.safetensors' : ''}, final.safetensors`}`,
          ].join('\n') + '\n');
        }
        if (result.interrupted) throw new TrainingInterrupted(`interrupted at step ${s.completed_steps}; ${options.out}/last.safetensors saved`);
      } finally {
        ui.bar?.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
