// `wsel prune`: the unstructured-pruning baseline (global magnitude pruning of the teacher to the student's size).
import { Command, Option } from 'commander';
import { VISION_FAMILY_NAMES as FAMILIES } from '../arch/family-names.js';
import { formatCount, parseChoice, parseIntArg, UsageError } from './common.js';
import { parseModelConfigArg } from './model-arg.js';
import { withFlagNames } from './option-flags.js';

interface PruneFlags {
  teacher: string;
  arch?: string;
  params?: string;
  student?: string;
  out: string;
  keepHead?: boolean;
  dtype: string;
  json?: boolean;
}

export function pruneCommand(): Command {
  return new Command('prune')
    .summary('prune a teacher to a parameter budget by global weight magnitude (a baseline)')
    .description('The unstructured-pruning baseline of weight selection: keep the teacher\'s architecture, zero all\n'
      + 'but the largest-magnitude weights so that it has as many parameters as the student. Weight matrices\n'
      + 'and conv kernels are ranked together by |w|; norms, biases, position embeddings, tokens, layer scales\n'
      + 'and the classifier stay dense and count toward the budget. The output records the pruned tensors in\n'
      + 'its metadata; `wsel train --init` on it keeps every pruned weight at zero during training.\n'
      + '(The structured baseline needs no command: `wsel select --elements magnitude`.)')
    .requiredOption('--teacher <path>', 'teacher checkpoint')
    .option('--arch <family>', `family when the checkpoint does not record it: ${FAMILIES.join(', ')}`)
    .option('--params <n>', 'parameter budget')
    .option('--student <json>', 'or: the student config (overrides over the teacher\'s, as for `wsel select`) whose parameter count is the budget')
    .requiredOption('--out <path>', 'output .safetensors')
    .option('--keep-head', 'keep the teacher\'s classifier (default: left out, re-initialized by the trainer)')
    .addOption(new Option('--dtype <dtype>', 'output dtype').choices(['f32', 'f16', 'bf16']).default('f32'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  wsel prune --teacher teachers/vit_fmnist.safetensors --student '{"embed_dim":64,"depth":4}' --out pruned.safetensors
  wsel prune --teacher teacher.safetensors --params 205066 --out pruned.safetensors
  wsel train --init pruned.safetensors --data mnist --train-size 1000 --epochs 20 --out runs/pruned`)
    .action(async (flags: PruneFlags) => {
      const family = flags.arch === undefined ? undefined : parseChoice('--arch', flags.arch, FAMILIES);
      if ((flags.params === undefined) === (flags.student === undefined)) throw new UsageError('give exactly one of --params N and --student JSON');
      const params = flags.params === undefined ? undefined : parseIntArg('--params', flags.params, 1);
      const student = flags.student === undefined ? undefined : parseModelConfigArg('--student', flags.student);
      const { pruneCheckpoint } = await import('../training/prune.js');
      const result = await withFlagNames(() => pruneCheckpoint({
        teacher: flags.teacher, out: flags.out, params, student, family, keepHead: Boolean(flags.keepHead),
        dtype: flags.dtype.toUpperCase() as 'F32' | 'F16' | 'BF16',
      }), { family: '--arch' });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write([
        `wrote ${result.out}`,
        `  ${result.family} teacher with ${formatCount(result.teacherParams)} parameters pruned to ${formatCount(result.params)} (${result.params})`,
        `  ${result.keptWeights} of ${result.prunableWeights} weights kept (global |w|), ${result.dense} dense (norms, biases, embeddings, classifier)`,
      ].join('\n') + '\n');
    });
}
