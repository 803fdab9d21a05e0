// `wsel demo` (what `npm start` runs): the main job on a built-in default, with nothing to download.
// It makes a ViT-S-shaped teacher with the project's own generator, selects a ViT-Ti student from it,
// and shows what came out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { formatBytes, formatCount, progressBar } from './common.js';

export function demoCommand(): Command {
  return new Command('demo')
    .summary('run the main job on a built-in default (no downloads)')
    .description('Build a ViT-S-shaped teacher (random weights under timm names), select a ViT-Ti student\n'
      + 'from it with the paper\'s defaults, and report the result. Keeps the files with --keep DIR.')
    .option('--keep <dir>', 'write the teacher and student into this folder instead of a temporary one')
    .action(async (flags: { keep?: string }) => {
      const [{ vit, VIT_DEFAULTS }, { writeSyntheticCheckpoint }, { select }] = await Promise.all([
        import('../arch/vit.js'), import('../arch/synthetic.js'), import('../selection/select.js'),
      ]);
      const dir = flags.keep ?? mkdtempSync(path.join(tmpdir(), 'wsel-demo-'));
      try {
        const teacherPath = path.join(dir, 'vit_small_synthetic.safetensors');
        const teacher = writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, embed_dim: 384, num_heads: 6 }), teacherPath, 0);
        process.stdout.write(`teacher: ViT-S shape (384 wide, 12 blocks, 6 heads), ${formatCount(teacher.parameters)} parameters\n`);
        const progress = progressBar('select');
        const t0 = performance.now();
        const result = select({
          arch: 'vit', teacher: teacherPath, out: path.join(dir, 'vit_tiny_selected.safetensors'),
          student: { embed_dim: 192 }, onProgress: (d, t, name) => progress.update(d, t, name),
        });
        progress.stop();
        const ms = performance.now() - t0;
        process.stdout.write(
          `student: ViT-Ti (${JSON.stringify({ embed_dim: result.studentConfig.embed_dim, num_heads: result.studentConfig.num_heads, depth: result.studentConfig.depth })}), `
          + `${formatCount(result.parameters)} parameters, ${formatBytes(result.bytes)}, selected in ${ms.toFixed(0)} ms\n`
          + `  ${result.omitted.length} tensors left for the trainer (classifier head)\n`
          + (flags.keep ? `  files in ${dir}\n` : ''),
        );
      } finally {
        if (!flags.keep) rmSync(dir, { recursive: true, force: true });
      }
    });
}
