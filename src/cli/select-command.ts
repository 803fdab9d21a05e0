// `wsel select`: the CLI face of the selection library.
import { Command, Option } from 'commander';
import { COMPONENTS, type Component } from '../arch/types.js';
import { ELEMENT_RULES, type ElementRule } from '../selection/index-rules.js';
import { describeBestRecipes, RECIPE_EVIDENCE, RECIPE_NAMES, type RecipeName } from '../selection/recipes.js';
import { parseLayerRule } from '../selection/layers.js';
import { ARCH_NAMES, VISION_FAMILY_NAMES, type ArchName } from '../arch/family-names.js';
import { EXIT_CODES, WselError } from '../errors.js';
import type { OutputDType } from '../selection/select.js';
import {
  formatBytes, formatCount, parseChoice, parseIntArg, progressBar, UsageError,
} from './common.js';
import { parseModelConfigArg } from './model-arg.js';

interface SelectFlags {
  arch: string;
  teacher: string;
  student?: string;
  out: string;
  recipe: string;
  elements?: string;
  layers?: string;
  heads?: string;
  exclude?: string;
  keepHead?: boolean;
  seed: string;
  calib?: string;
  dtype?: string;
  studentTemplate?: string;
  teacherConfig?: string;
  maxShardSize?: string;
  json?: boolean;
  progress: boolean;
}

export function selectCommand(): Command {
  return new Command('select')
    .summary('initialize a smaller student from a teacher checkpoint by weight selection')
    .description(
      'Initialize a smaller student from a larger teacher of the same family by weight selection\n'
      + '(Xu et al., "Initializing Models with Larger Ones", ICLR 2024): pick teacher layers (layer selection),\n'
      + 'map every student tensor to the teacher tensor of the same role (component mapping), and keep a\n'
      + 'sub-tensor of the student\'s shape (element selection). The teacher is read lazily and never modified;\n'
      + 'the output is a safetensors file that PyTorch, timm and Hugging Face load as they are, plus a\n'
      + 'record of every tensor\'s source and kept indices (--out student.safetensors: student.selection.json).\n\n'
      // One line: commander wraps it to the terminal.
      + 'Language models: the teacher is a Hugging Face model folder (config.json + model.safetensors or shards) '
      + 'and the output is a new folder that transformers loads as it is: config.json updated, tokenizer and '
      + 'generation files copied, weights sharded like save_pretrained (5GB by default), dtype kept, and '
      + 'wsel_selection.json. The vocabulary and positions are never subsampled, tied embeddings stay tied, '
      + 'whole heads and key/value groups are kept (grouped-query attention), rotary pairs stay together.',
    )
    .option('--arch <family>', `model family: ${ARCH_NAMES.join(', ')}. auto: a folder with config.json is read as a Hugging Face model (as hf), a file is recognised by its tensor names (${VISION_FAMILY_NAMES.join(', ')}); hf: the family from config.json's model_type (llama covers llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text); generic: any model, given --student-template`, 'auto')
    .requiredOption('--teacher <path>', 'teacher checkpoint: .safetensors, sharded *.safetensors.index.json, PyTorch .pth/.bin, or a Hugging Face model folder')
    .option('--student <json>', 'student config overrides over the teacher\'s (timm constructor names; config.json names for language models, e.g. hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim), inline JSON or a .json file; or a timm model name (convnext_femto, vit_tiny_patch16_224), also as {"name":"vit_tiny_patch16_224","depth":6}')
    .requiredOption('--out <path>', 'output .safetensors (with --max-shard-size and more than one shard: X-0000i-of-0000n.safetensors + X.safetensors.index.json, else X.safetensors); for a Hugging Face teacher, a new folder')
    .addOption(new Option('--recipe <name>', `where --elements, --layers and --heads come from when not given: best (per family, the recipe the project's evidence chose: ${RECIPE_EVIDENCE}) or reference (the paper's rule: uniform elements, first-N layers, flat heads; bit-exact with its reference code)`).choices(RECIPE_NAMES as string[]).default('best'))
    .addOption(new Option('--elements <rule>', 'element selection (default: from --recipe)').choices(ELEMENT_RULES as string[]))
    .option('--layers <rule>', 'layer selection: first, uniform, last, middle, or teacher indices "0,2,4" / per stage [[0,1],[0,2]] (default: from --recipe)')
    .addOption(new Option('--heads <mode>', 'attention: flat selects fused qkv rows like any dimension (the reference); whole keeps whole heads and key/value groups (always for language models; a ViT student must keep the teacher\'s head width) (default: from --recipe)').choices(['flat', 'whole']))
    .option('--exclude <components>', `comma-separated components left out for the trainer to initialize: ${COMPONENTS.filter((c) => c !== 'head').join(', ')}`)
    .option('--keep-head', 'keep the classifier head (only when student and teacher share the label set)')
    .option('--seed <n>', 'seed for the random element rules and the calibration images', '0')
    .option('--calib <data[:n]>', `--elements activation: calibration images, n (default 256) of the train split of a data source as wsel train --data takes it (mnist, fashion-mnist, a folder), class-balanced and seeded by --seed`)
    .addOption(new Option('--dtype <type>', 'convert floating tensors on output (default: keep the teacher\'s dtypes)').choices(['f32', 'f16', 'bf16']))
    .option('--student-template <path>', 'generic mode: a checkpoint whose tensor names and shapes define the student')
    .option('--teacher-config <json>', 'corrections to the config inferred from the teacher\'s shapes, e.g. {"num_heads":12}, or the teacher\'s timm model name (its shapes must match; for a model folder: fields over its config.json)')
    .option('--max-shard-size <size>', 'split the output into shards of at most this size, e.g. 2GB, 500MB, 1GiB (model folders: 5GB unless given)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText('after', `
Examples:
  wsel select --arch vit --teacher vit_small.safetensors --student '{"embed_dim":192}' --out vit_tiny.safetensors
  wsel select --arch convnext --teacher convnext_tiny.pth --student '{"depths":[2,2,6,2],"dims":[48,96,192,384]}' --out femto.safetensors
  wsel select --teacher convnext_tiny.pth --student convnext_femto --out femto.safetensors
  wsel select --teacher vit_small.safetensors --teacher-config vit_small_patch16_224 --student '{"name":"vit_tiny_patch16_224","depth":6}' --out s.safetensors
  wsel select --arch vit --teacher t.safetensors --student s.json --elements random --seed 3 --heads whole --out s.safetensors
  wsel select --arch generic --teacher big.safetensors --student-template small_shapes.safetensors --out small.safetensors
  wsel select --teacher Llama-3.1-8B/ --student '{"hidden_size":2048,"intermediate_size":7168,"num_hidden_layers":16}' --out llama-1b-init/
  wsel select --arch hf --teacher Qwen3-8B/ --student '{"num_hidden_layers":18,"num_key_value_heads":4,"num_attention_heads":16}' --out qwen3-small/
  wsel select --arch gpt2 --teacher gpt2-medium/ --student '{"n_embd":768,"n_layer":12}' --out gpt2-init/

ViT heads: a student that changes embed_dim without num_heads keeps the teacher's head width (ViT-S, 6 x 64
-> 192 wide: 3 heads); when that width does not divide the new one, give num_heads. The teacher's head count
comes from the config wsel recorded in the file, else 64-wide heads are assumed (as in every timm ViT wsel names), else
one head: --teacher-config '{"num_heads":N}' says it.

Language-model students: head_dim stays the teacher's unless given (fewer heads when hidden_size shrinks);
the MLP keeps the teacher's ratio to hidden_size unless given; num_key_value_heads stays the teacher's when it
divides the heads, else the teacher's query heads per group is kept. Each student key/value group is a teacher
group with some of its own query heads; a smaller head_dim keeps rotary pairs (j, j + head_dim/2) together.

Recipes: --recipe best (the default) takes, per family, the element, layer and head rules that won the
project's recipe grid (experiments/recipes.json: chosen on validation accuracy, confirmed on the test split;
the evidence is in ${RECIPE_EVIDENCE}):
  ${describeBestRecipes().join('\n  ')}
Other families use the reference; --recipe reference is the paper's rule. Flags given override either. A
recipe's whole heads give way to flat heads for a student whose heads are narrower than the teacher's.

Element rules: uniform (the paper's rule, bit-exact with its reference code), first, random (one
seeded index set per dimension space, shared by every tensor), random-inconsistent (fresh indices per tensor;
a negative control), magnitude (largest L1 norm over every tensor touching the space; a pruning baseline),
activation (largest activations of the teacher on --calib images: Minitron's statistic, the mean |activation|
over an image's positions, L2 over images, summed over every LayerNorm output, fc2 input or attention output
of the space).`)
    .action(async (flags: SelectFlags) => {
      const [{ selectUntilSignal }, { parseSize }] = await Promise.all([import('../selection/node/select.js'), import('../checkpoint/sharded-writer.js')]);
      const arch = parseChoice('--arch', flags.arch, ARCH_NAMES) as ArchName;
      const exclude = flags.exclude ? flags.exclude.split(',').map((s) => s.trim()).filter(Boolean) : [];
      for (const c of exclude) parseChoice('--exclude', c, COMPONENTS);
      let maxShardSize: number | undefined;
      if (flags.maxShardSize) {
        try {
          maxShardSize = parseSize(flags.maxShardSize);
        } catch (e) {
          throw new UsageError(`--max-shard-size: ${(e as Error).message}`);
        }
      }
      let layers;
      try {
        layers = flags.layers === undefined ? undefined : parseLayerRule(flags.layers);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const showProgress = flags.progress && !flags.json && Boolean(process.stderr.isTTY);
      const seed = parseIntArg('--seed', flags.seed);
      const activation = await activationScores(flags, arch, seed, showProgress);
      const progress = progressBar('select', showProgress);
      // Ctrl-C or SIGTERM stops the selection between reads; every file it was writing is removed.
      const result = await (async () => {
        try {
          return await selectUntilSignal({
            arch,
            teacher: flags.teacher,
            out: flags.out,
            student: flags.student ? parseModelConfigArg('--student', flags.student) : undefined,
            studentTemplate: flags.studentTemplate,
            teacherConfig: flags.teacherConfig ? parseModelConfigArg('--teacher-config', flags.teacherConfig) : undefined,
            recipe: flags.recipe as RecipeName,
            elements: flags.elements as ElementRule | undefined,
            layers,
            heads: flags.heads as 'flat' | 'whole' | undefined,
            exclude: exclude as Component[],
            keepHead: Boolean(flags.keepHead),
            seed,
            activation,
            dtype: flags.dtype as OutputDType | undefined,
            maxShardSize,
            onProgress: (done, total, tensor) => progress.update(done, total, tensor),
          });
        } finally {
          progress.stop();
        }
      })();
      if (result === null) throw new WselError('select interrupted; nothing was written', EXIT_CODES.interrupted);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = [
        `wrote ${result.files.join(', ')}`,
        `  ${result.tensors} tensors, ${formatCount(result.parameters)} parameters, ${formatBytes(result.bytes)}`,
        `  student config: ${JSON.stringify(result.studentConfig)}`,
        `  rules: elements ${result.rules.elements}, layers ${typeof result.rules.layers === 'string' ? result.rules.layers : JSON.stringify(result.rules.layers)}, heads ${result.rules.heads} (the unset ones from --recipe ${result.rules.recipe})`,
        ...Object.entries(result.layerMap).map(([stack, layers]) => `  ${stack}: teacher layers ${layers.join(', ')}`),
        ...(result.omitted.length ? [`  left out (${result.omitted.length}): ${summarizeOmitted(result.omitted)}`] : []),
        `  record: ${result.record}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** Teachers the trainer can run on images, which the activation rule needs. */
const CALIBRATED_ARCHS: readonly string[] = ['auto', 'vit', 'convnext', 'mixer'];

/** `--elements activation`: run the teacher on the calibration images (src/training/calibrate.ts). */
async function activationScores(flags: SelectFlags, arch: ArchName, seed: number, showProgress: boolean) {
  if (flags.elements !== 'activation') {
    if (flags.calib !== undefined) throw new UsageError(`--calib is used by --elements activation only (the rule here is ${flags.elements ?? `--recipe ${flags.recipe}'s`})`);
    return undefined;
  }
  if (!CALIBRATED_ARCHS.includes(arch)) throw new UsageError(`--elements activation runs the teacher on images: ViT, ConvNeXt and MLP-Mixer teachers only, not --arch ${arch}`);
  if (flags.calib === undefined) throw new UsageError('--elements activation needs calibration images: --calib DATA[:N], e.g. --calib mnist:256');
  const { calibrate, parseCalibSpec } = await import('../training/calibrate.js');
  const { data, images } = parseCalibSpec(flags.calib);
  const bar = progressBar('calibrate', showProgress);
  try {
    const c = calibrate({ teacher: flags.teacher, data, images, seed, onBatch: (done, total) => bar.update(done, total) });
    return { scores: c.scores, source: c.source };
  } finally {
    bar.stop();
  }
}

function summarizeOmitted(omitted: { name: string; reason: string }[]): string {
  const byReason = new Map<string, string[]>();
  for (const o of omitted) byReason.set(o.reason, [...(byReason.get(o.reason) ?? []), o.name]);
  return [...byReason].map(([reason, names]) => `${names.length > 3 ? `${names.length} tensors` : names.join(', ')} (${reason})`).join('; ');
}
