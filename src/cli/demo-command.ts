// `wsel demo` (what `npm start` runs): the main job on a built-in default, with nothing to download.
// It selects a small ViT student from the teacher this project trained on Fashion-MNIST (teachers/), trains it
// on a small MNIST train set next to a random-init twin of the same shape and recipe, and prints both accuracies.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { RECIPE_EVIDENCE, RECIPE_NAMES, recipeFor, type RecipeName } from '../selection/recipes.js';
import { DEFAULT_CALIBRATION_IMAGES } from '../training/calibrate.js';
import { formatCount, parseIntArg, progressBar, UsageError, type Progress } from './common.js';
import { TrainingInterrupted } from '../training/errors.js';

/** The shipped teacher, relative to the package root (src/cli/ and dist/cli/ both sit two levels below). */
export const SHIPPED_TEACHER = fileURLToPath(new URL('../../teachers/vit_fmnist.safetensors', import.meta.url));

/** The demo student: half the teacher's width and its first 4 of 6 blocks (64 wide, 2 heads of 32; about 1/6 of its parameters). */
export const DEMO_STUDENT = { embed_dim: 64, depth: 4 };

interface DemoFlags {
  keep?: string;
  recipe: string;
  teacher?: string;
  trainSize: string;
  epochs: string;
  evalSize?: string;
  seed: string;
  json?: boolean;
  progress: boolean;
}

export function demoCommand(): Command {
  return new Command('demo')
    .summary('run the main job on a built-in default (no downloads)')
    .description('Weight selection end to end on the shipped teacher (a ViT trained by this project on Fashion-MNIST,\n'
      + 'teachers/vit_fmnist.safetensors): select a 64-wide, 4-block student from it, train it on a small MNIST\n'
      + 'train set, train a random-init twin (same shape, timm init) with the same recipe, and print both test\n'
      + 'accuracies. About 3 minutes on 2 cores. Keeps the files with --keep DIR.')
    .option('--keep <dir>', 'write the student, runs and logs into this folder instead of a temporary one')
    .option('--teacher <path>', 'another teacher checkpoint (a ViT taking 28x28x1 input)')
    .addOption(new Option('--recipe <name>', `selection recipe: best (the default of wsel select, chosen by the evidence in ${RECIPE_EVIDENCE}) or reference (the paper's rule)`).choices(RECIPE_NAMES as string[]).default('best'))
    .option('--train-size <n>', 'MNIST training images (class-balanced)', '1000')
    .option('--epochs <n>', 'epochs for each of the two runs', '30')
    .option('--eval-size <n>', 'test images (default: all 10,000)')
    .option('--seed <n>', 'seed of data subset, order, augmentation and initialization', '0')
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no progress bars on stderr')
    .action(async (flags: DemoFlags) => {
      const trainSize = parseIntArg('--train-size', flags.trainSize, 1);
      const epochs = parseIntArg('--epochs', flags.epochs, 1);
      const evalSize = flags.evalSize === undefined ? undefined : parseIntArg('--eval-size', flags.evalSize, 1);
      const seed = parseIntArg('--seed', flags.seed);
      const teacherPath = flags.teacher ?? SHIPPED_TEACHER;
      if (!existsSync(teacherPath)) {
        throw new UsageError(`the teacher ${teacherPath} is missing; train it with scripts/train-teacher.sh (or give --teacher)`);
      }
      const [{ select }, { train }, { loadDatasetOrThrow }, { calibrate }] = await Promise.all([
        import('../selection/node/select.js'), import('../training/trainer.js'), import('../training/data.js'), import('../training/calibrate.js'),
      ]);
      const recipeName = flags.recipe as RecipeName;
      const rules = recipeFor(recipeName, 'vit');
      if (flags.keep && existsSync(flags.keep) && readdirSync(flags.keep).length > 0) {
        throw new UsageError(`--keep ${flags.keep}: give a new or empty folder (this one holds files; a demo does not overwrite them)`);
      }
      if (flags.keep) mkdirSync(flags.keep, { recursive: true });
      const dir = flags.keep ?? mkdtempSync(path.join(tmpdir(), 'wsel-demo-'));
      const say = (line: string): void => {
        if (!flags.json) process.stdout.write(`${line}\n`);
      };
      // Ctrl-C: stop after the current step, then delete the temporary folder (finally) and exit 130.
      let stop = false;
      const onSigint = (): void => {
        stop = true;
      };
      process.on('SIGINT', onSigint);
      try {
        const t0 = performance.now();
        const studentPath = path.join(dir, 'student_selected.safetensors');
        const mnist = loadDatasetOrThrow('mnist');
        // A recipe that scores units on data calibrates on the images the student trains on.
        const activation = rules.elements === 'activation'
          ? calibrate({ teacher: teacherPath, data: mnist, images: Math.min(DEFAULT_CALIBRATION_IMAGES, trainSize), seed })
          : undefined;
        const sel = select({ arch: 'vit', teacher: teacherPath, out: studentPath, student: DEMO_STUDENT, recipe: recipeName, seed, activation });
        say(`teacher: ${path.basename(teacherPath)}, ViT ${JSON.stringify(pick(sel.teacherConfig, ['embed_dim', 'depth', 'num_heads', 'patch_size']))}`);
        say(`student: ${JSON.stringify(pick(sel.studentConfig, ['embed_dim', 'depth', 'num_heads']))}, ${formatCount(sel.parameters)} parameters selected `
          + `(teacher blocks ${sel.layerMap['blocks']?.join(', ')}; classifier left for training)`);
        say(`selection recipe: ${recipeName} (elements ${rules.elements}${activation ? ` on ${activation.source.images} MNIST training images` : ''}, layers ${rules.layers}, heads ${rules.heads})`);
        const recipe = {
          data: mnist, trainSize, evalSize, epochs, batchSize: 64, lr: 1e-3, seed, evalEvery: 0, logEvery: 10,
        } as const;
        say(`training both on ${trainSize} MNIST images for ${epochs} epochs (AdamW lr 1e-3, cosine, batch 64, label smoothing 0.1, random crops)`);
        const runs: { name: string; init: string; acc: number; loss: number; seconds: number; ips: number }[] = [];
        for (const [name, init, extra] of [
          ['weight selection', studentPath, {}],
          ['random init (timm)', 'random:timm', { family: 'vit' as const, config: sel.studentConfig }],
        ] as const) {
          let bar: Progress | null = null;
          const r = await train({
            ...recipe, ...extra, init, out: path.join(dir, name.startsWith('weight') ? 'run_selected' : 'run_random'),
            shouldStop: () => stop,
            onStep: (p) => {
              if (!flags.progress || flags.json || !process.stderr.isTTY) return;
              bar ??= progressBar(name.padEnd(18));
              bar.update(p.step, p.totalSteps, `loss ${p.loss.toFixed(3)} ${p.imagesPerSecond.toFixed(0)} img/s`);
            },
          });
          (bar as Progress | null)?.stop();
          if (r.interrupted) throw new TrainingInterrupted('demo stopped');
          const s = r.summary;
          runs.push({ name, init, acc: s.final_acc ?? NaN, loss: s.final_loss ?? NaN, seconds: s.train_seconds, ips: s.images_per_s });
          say(`  ${name.padEnd(18)} test accuracy ${(100 * (s.final_acc ?? NaN)).toFixed(2)}%  (loss ${s.final_loss?.toFixed(4)}, ${s.train_seconds.toFixed(0)} s, ${s.images_per_s.toFixed(0)} img/s)`);
        }
        const gain = runs[0]!.acc - runs[1]!.acc;
        say(`weight selection ${gain >= 0 ? '+' : ''}${(100 * gain).toFixed(2)} points over random init with ${trainSize} training images `
          + `(${((performance.now() - t0) / 1000).toFixed(0)} s in all)${flags.keep ? `; files in ${dir}` : ''}`);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({
            teacher: teacherPath, recipe: { name: recipeName, ...rules }, student_config: sel.studentConfig, parameters: sel.parameters, train_size: trainSize, epochs, seed,
            runs, gain, seconds: (performance.now() - t0) / 1000,
          }, null, 2)}\n`);
        }
      } finally {
        process.off('SIGINT', onSigint);
        if (!flags.keep) rmSync(dir, { recursive: true, force: true });
      }
    });
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
