// `wsel train`: train a model from a selected checkpoint, a pruned one, or a random initialization.
import { Command, Option } from 'commander';
import { VISION_FAMILY_NAMES as FAMILIES } from '../arch/family-names.js';
import { closestTimmNames, lookupTimmName } from '../arch/timm-names.js';
import type { SaveDType } from '../training/checkpoint.js';
import { TrainingInterrupted } from '../training/errors.js';
import { TRAIN_DEFAULTS, type TrainOptions } from '../training/options.js';
import { formatCount, parseChoice, parseIntArg, progressBar, UsageError, type Progress } from './common.js';
import { parseModelConfigArg } from './model-arg.js';
import { withFlagNames } from './option-flags.js';

interface TrainFlags {
  model?: string;
  config?: string;
  init?: string;
  resetHead?: boolean;
  data?: string;
  trainSize?: string;
  valSize?: string;
  evalSize?: string;
  evalSubset?: string;
  imgSize?: string;
  epochs?: string;
  steps?: string;
  batchSize?: string;
  lr?: string;
  minLr?: string;
  warmupEpochs?: string;
  warmupSteps?: string;
  weightDecay?: string;
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
  kdTemperature?: string;
  kdAlpha?: string;
  linearProbe?: boolean;
  seed?: string;
  out: string;
  resume?: boolean;
  evalEvery?: string;
  logEvery?: string;
  saveEvery?: string;
  saveDtype?: string;
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

/**
 * Flags to TrainOptions (everything a user can get wrong in a flag is a UsageError here, before any work). Only
 * the flags given become options: the defaults are the library's (TRAIN_DEFAULTS, shown in --help), and a
 * resumed run takes what it left out from the run it continues.
 */
export function trainOptionsFromFlags(flags: TrainFlags): TrainOptions {
  const opt = <T>(text: string | undefined, f: (t: string) => T): T | undefined => (text === undefined ? undefined : f(text));
  const model = opt(flags.model, parseModelFlag);
  const family = model?.family;
  if (!flags.resume) {
    if (flags.data === undefined) throw new UsageError('required option --data not specified (a run continued with --resume reads it from its folder)');
    if ((flags.init ?? TRAIN_DEFAULTS.init).startsWith('random') && family === undefined) throw new UsageError(`--model is required with a random --init (${FAMILIES.join(', ')}, or a timm model name)`);
  }
  if (flags.epochs !== undefined && flags.steps !== undefined) throw new UsageError('give --epochs or --steps, not both');
  if (flags.warmupEpochs !== undefined && flags.warmupSteps !== undefined) throw new UsageError('give --warmup-epochs or --warmup-steps, not both');
  const smoothing = opt(flags.smoothing, (t) => parseNumberArg('--smoothing', t, 0, 0.999));
  const augment = flags.augment
    ? {
      cropPad: opt(flags.cropPad, (t) => parseIntArg('--crop-pad', t, 0)),
      flip: flags.flip,
      mixup: opt(flags.mixup, (t) => parseNumberArg('--mixup', t, 0)),
      cutmix: opt(flags.cutmix, (t) => parseNumberArg('--cutmix', t, 0)),
      labelSmoothing: smoothing,
    }
    : { cropPad: 0, flip: false, mixup: 0, cutmix: 0, labelSmoothing: smoothing ?? 0 };
  const kdFamily = opt(flags.kdModel, (t) => parseChoice('--kd-model', t, FAMILIES));
  if (!flags.kdTeacher && (flags.kdConfig || flags.kdModel)) throw new UsageError('--kd-config and --kd-model need --kd-teacher');
  if (!flags.kdTeacher && (flags.kdTemperature !== undefined || flags.kdAlpha !== undefined)) throw new UsageError('--kd-temperature and --kd-alpha need --kd-teacher');
  const ignored = ([['--crop-pad', flags.cropPad], ['--flip', flags.flip || undefined], ['--mixup', flags.mixup], ['--cutmix', flags.cutmix]] as const)
    .filter(([, v]) => v !== undefined).map(([name]) => name);
  if (!flags.augment && ignored.length) throw new UsageError(`--no-augment turns off ${ignored.join(', ')}; give one or the other`);
  const saveDtype = opt(flags.saveDtype, (t) => parseChoice('--save-dtype', t, ['f32', 'f16', 'bf16'] as const).toUpperCase() as SaveDType);
  return {
    family,
    config: model?.name || flags.config ? { ...model?.name, ...opt(flags.config, (t) => parseModelConfigArg('--config', t)) } : undefined,
    init: flags.init,
    resetHead: flags.resetHead || undefined,
    data: flags.data,
    trainSize: opt(flags.trainSize, (t) => parseIntArg('--train-size', t, 1)),
    valSize: opt(flags.valSize, (t) => parseIntArg('--val-size', t, 1)),
    evalSize: opt(flags.evalSize, (t) => parseIntArg('--eval-size', t, 1)),
    evalSubset: opt(flags.evalSubset, (t) => parseIntArg('--eval-subset', t, 1)),
    imgSize: opt(flags.imgSize, (t) => parseIntArg('--img-size', t, 1)),
    epochs: opt(flags.epochs, (t) => parseIntArg('--epochs', t, 1)),
    steps: opt(flags.steps, (t) => parseIntArg('--steps', t, 1)),
    batchSize: opt(flags.batchSize, (t) => parseIntArg('--batch-size', t, 1)),
    lr: opt(flags.lr, (t) => parseNumberArg('--lr', t, Number.MIN_VALUE)),
    minLr: opt(flags.minLr, (t) => parseNumberArg('--min-lr', t, 0)),
    warmupEpochs: opt(flags.warmupEpochs, (t) => parseNumberArg('--warmup-epochs', t, 0)),
    warmupSteps: opt(flags.warmupSteps, (t) => parseIntArg('--warmup-steps', t, 0)),
    weightDecay: opt(flags.weightDecay, (t) => parseNumberArg('--weight-decay', t, 0)),
    clipGrad: opt(flags.clipGrad, (t) => parseNumberArg('--clip-grad', t, Number.MIN_VALUE)),
    dropPath: opt(flags.dropPath, (t) => parseNumberArg('--drop-path', t, 0, 0.999)),
    augment,
    kd: flags.kdTeacher ? {
      teacher: flags.kdTeacher,
      config: opt(flags.kdConfig, (t) => parseModelConfigArg('--kd-config', t)),
      family: kdFamily,
      temperature: opt(flags.kdTemperature, (t) => parseNumberArg('--kd-temperature', t, Number.MIN_VALUE)),
      alpha: opt(flags.kdAlpha, (t) => parseNumberArg('--kd-alpha', t, 0, 1)),
    } : undefined,
    linearProbe: flags.linearProbe || undefined,
    seed: opt(flags.seed, (t) => parseIntArg('--seed', t)),
    out: flags.out,
    resume: flags.resume || undefined,
    evalEvery: opt(flags.evalEvery, (t) => parseIntArg('--eval-every', t, 0)),
    logEvery: opt(flags.logEvery, (t) => parseIntArg('--log-every', t, 0)),
    saveEvery: opt(flags.saveEvery, (t) => parseIntArg('--save-every', t, 1)),
    saveDtype,
  };
}

export function trainCommand(): Command {
  const d = TRAIN_DEFAULTS;
  return new Command('train')
    .summary('train a model: from a selected (or pruned) checkpoint, or a random initialization')
    .description(
      'Train an image classifier on the project\'s own engine. The model is configured with the same JSON\n'
      + '`wsel select` takes (timm constructor names); a checkpoint written by `wsel select` loads directly\n'
      + '(--init PATH; its config comes from the file when --config is omitted) and whatever it leaves out\n'
      + '(the classifier, excluded components) is initialized and listed. The recipe is the paper\'s: AdamW\n'
      + '(eps 1e-8, no weight decay on 1-D tensors, biases, pos_embed, cls/reg tokens, layer scales), cosine\n'
      + 'schedule per step to --min-lr after a linear warm-up, label smoothing, optional mixup/cutmix.\n'
      + '\n'
      + 'Before the first step it prints the model (family, config, parameters), the schedule and what is\n'
      + 'evaluated when; after the first steps, the time per epoch. Evaluation: every epoch (--eval-every), the\n'
      + `model is evaluated on a fixed class-balanced subset of ${d.evalSubset.toLocaleString('en-US')} test images (--eval-subset), and at the end\n`
      + 'on all of them (--eval-size, default the whole test split). The test split is measured and reported,\n'
      + 'never used to choose anything: with --val-size, training images held out as a validation split are\n'
      + 'evaluated too and choose best.safetensors; without it there is no "best", only final.safetensors.\n'
      + '\n'
      + 'DIR gets metrics.jsonl (steps and epochs), summary.json, last.safetensors (weights + AdamW state,\n'
      + 'each epoch), final.safetensors and (with --val-size) best.safetensors. DIR is locked while a run\n'
      + 'writes into it: a second run into it is refused. Ctrl-C saves DIR/last and stops; `--out DIR --resume`\n'
      + 'continues the run from its recorded settings to the same bits as an uninterrupted run (a flag given\n'
      + 'that differs from the recorded run is refused).',
    )
    .option('--model <family>', `model family: ${FAMILIES.join(', ')}, or a timm model name such as vit_tiny_patch16_224 or convnext_femto (default: from the --init checkpoint)`)
    .option('--config <json>', 'model config (timm constructor names, or {"name": TIMM_NAME, ...}), inline JSON or a .json file; over the checkpoint\'s with --init PATH. ViT: a new embed_dim without num_heads keeps the head width (64 over the defaults), else give num_heads')
    .option('--init <init>', `random:timm | random:xavier | random:kaiming | a checkpoint (selected, pruned or trained) (default: ${d.init})`)
    .option('--reset-head', 'leave the checkpoint\'s classifier out and train a new one (another label set)')
    .option('--data <data>', 'mnist, fashion-mnist, or a folder (IDX files, or <class>/ image folders); required, except with --resume')
    .option('--train-size <n>', 'train on a class-balanced subset of n images (seeded by --seed)')
    .option('--val-size <n>', 'hold out n training images (class-balanced, seeded by --seed, disjoint from --train-size\'s) as a validation split; best.safetensors is the epoch with the best validation accuracy')
    .option('--eval-size <n>', 'evaluate the final model on a class-balanced subset of n test images (default: all)')
    .option('--eval-subset <n>', `evaluations before the last epoch read a fixed class-balanced subset of n of those test images (default ${d.evalSubset}; all when there are no more)`)
    .option('--img-size <n>', 'ConvNeXt input side (default: the image side rounded up to 32); ViT/Mixer use img_size')
    .option('--epochs <n>', `epochs (default ${d.epochs})`)
    .option('--steps <n>', 'optimizer steps instead of epochs')
    .option('--batch-size <n>', `batch size (default ${d.batchSize})`)
    .option('--lr <x>', `peak learning rate (default ${d.lr})`)
    .option('--min-lr <x>', `learning rate at the end of the cosine (default ${d.minLr})`)
    .option('--warmup-epochs <x>', `linear warm-up length in epochs (default: ${100 * d.warmupFraction}% of the steps)`)
    .option('--warmup-steps <n>', 'linear warm-up length in steps')
    .option('--weight-decay <x>', `AdamW weight decay (default ${d.weightDecay})`)
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
    .option('--kd-temperature <t>', `softmax temperature of the soft targets (default ${d.kdTemperature})`)
    .option('--kd-alpha <a>', `loss = (1 - a) * hard-label loss + a * T^2 KL(teacher || student) (default ${d.kdAlpha})`)
    .option('--linear-probe', 'train only the classifier; everything else frozen (feature-quality test)')
    .option('--seed <n>', `seed of initialization, data order, subsets, augmentation and stochastic depth (default ${d.seed})`)
    .requiredOption('--out <dir>', 'output folder')
    .option('--resume', 'continue the run in --out from its last.safetensors, with the settings it recorded')
    .option('--eval-every <n>', `evaluate every n epochs (0: only at the end; default ${d.evalEvery})`)
    .option('--log-every <n>', `write a step record to metrics.jsonl every n steps (0: none; default ${d.logEvery})`)
    .option('--save-every <n>', 'also save DIR/last every n steps (default: each epoch)')
    .addOption(new Option('--save-dtype <dtype>', 'dtype of best/final.safetensors (last is always f32) (default: f32)').choices(['f32', 'f16', 'bf16']))
    .option('--json', 'print summary.json on stdout at the end')
    .option('--no-progress', 'no progress bars on stderr')
    .addHelpText('after', `
Examples:
  # weight selection: select a student from the shipped teacher, then train it on 1,000 MNIST images
  wsel select --arch vit --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --out student.safetensors
  wsel train --init student.safetensors --data mnist --train-size 1000 --epochs 20 --out runs/ws
  # the same, with 1,000 more training images held out to choose best.safetensors on
  wsel train --init student.safetensors --data mnist --train-size 1000 --val-size 1000 --epochs 20 --out runs/ws-val
  # the random-init baseline: the same student config, timm's initialization
  wsel train --model vit --config '{"img_size":28,"patch_size":7,"in_chans":1,"embed_dim":64,"depth":4,"num_heads":2}' \\
    --init random:timm --data mnist --train-size 1000 --epochs 20 --out runs/random
  # paper-style augmentation and distillation from a teacher trained on the task; after Ctrl-C, resume it
  wsel train --init student.safetensors --data fashion-mnist --mixup 0.8 --cutmix 1.0 \\
    --kd-teacher teachers/vit_fmnist.safetensors --kd-alpha 0.5 --out runs/kd
  wsel train --out runs/kd --resume
  # feature quality: linear probe of the selected (untrained) student
  wsel train --init student.safetensors --linear-probe --data mnist --train-size 1000 --epochs 10 --out runs/probe
  # pruning baselines at the student's parameter count: structured = magnitude selection, unstructured = wsel prune
  wsel select --arch vit --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --elements magnitude --out structured.safetensors
  wsel prune --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --out unstructured.safetensors
  wsel train --init unstructured.safetensors --data mnist --train-size 1000 --epochs 20 --out runs/pruned

Exit codes: 0 done, 1 bad config / data / checkpoint, a resume that differs, or DIR in use (nothing written),
2 bad flags, 130 interrupted (DIR/last saved).`)
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
        const result = await withFlagNames(() => train({
          ...options,
          log: say,
          shouldStop: () => stop,
          onStep: (p) => {
            if (!showProgress) return;
            ui.bar ??= progressBar(`epoch ${p.epoch}/${p.epochs}`);
            ui.bar.update(p.step, p.totalSteps, `loss ${p.loss.toFixed(4)} acc ${pct(p.trainAcc)} ${p.imagesPerSecond.toFixed(0)} img/s`);
          },
          onEvalBatch: (done, total, split) => {
            if (!showProgress) return;
            if (done === 1) {
              ui.bar?.stop();
              ui.bar = progressBar(`${split === 'val' ? 'validation' : 'test'} evaluation`);
            }
            ui.bar?.update(done, total);
            if (done === total) {
              ui.bar?.stop();
              ui.bar = null;
            }
          },
          onEpoch: (e) => say(
            `epoch ${e.epoch}: train loss ${e.train_loss.toFixed(4)} acc ${pct(e.train_acc)}`
            + (e.val_acc !== undefined && e.val_acc !== null ? ` | val loss ${e.val_loss!.toFixed(4)} acc ${pct(e.val_acc)} (best ${pct(e.best_val_acc)})` : '')
            + (e.eval_acc !== null ? ` | test loss ${e.eval_loss!.toFixed(4)} acc ${pct(e.eval_acc)} (${e.eval_n} images)` : '')
            + ` | ${e.images_per_s.toFixed(0)} img/s, lr ${e.lr.toExponential(2)}`,
          ),
        }));
        ui.bar?.stop();
        const s = result.summary;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        } else {
          process.stdout.write([
            `${s.family} ${formatCount(s.parameters)} parameters (${formatCount(s.trainable_parameters)} trained), init ${s.init}`,
            `  ${s.completed_steps}/${s.steps} steps on ${s.train_size} ${s.data} images: ${s.images_per_s.toFixed(0)} images/s, ${s.ms_per_step.toFixed(1)} ms/step`,
            result.interrupted
              ? `  interrupted; continue with: wsel train --out ${options.out} --resume${s.best_val_acc !== null ? ` (best validation accuracy so far ${pct(s.best_val_acc)})` : ''}`
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
