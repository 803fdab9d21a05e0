// `wsel inspect`: what a checkpoint holds, and which architecture and config it looks like.
import { Command } from 'commander';
import { formatBytes, formatCount, parseIntArg } from './common.js';

export interface InspectReport {
  path: string;
  format: string;
  files: string[];
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: readonly number[] }[];
  parameters: number;
  bytes: number;
  dtypes: Record<string, number>;
  architecture: string | null;
  config: Record<string, unknown> | null;
  /** For a Hugging Face model folder: what its config.json says, and how the weights match the family. */
  hf: HfReport | null;
}

export interface HfReport {
  model_type: string | null;
  /** The config.json fields selection reads and changes. */
  config: Record<string, unknown>;
  /** Tokenizer, generation and license files a student folder gets a copy of. */
  companion_files: string[];
  /** Tensors the family declares that the checkpoint lacks, and tensors it has that selection ignores. */
  missing: string[];
  ignored: string[];
  /** Why the folder cannot be selected from, when it cannot. */
  problem: string | null;
}

export async function inspectCheckpoint(file: string): Promise<InspectReport> {
  const [{ detectFamily }, { dtypeSize, numel }, { openCheckpoint }, { isHfFolder }, { inferWithRecord }] = await Promise.all([
    import('../arch/index.js'), import('../checkpoint/dtype.js'), import('../checkpoint/node/open.js'), import('../selection/node/hf-files.js'),
    import('../arch/recorded-config.js'),
  ]);
  const reader = openCheckpoint(file);
  try {
    const tensors = [...reader.tensors.values()];
    const shapes = new Map(tensors.map((t) => [t.name, t.shape]));
    const hf = isHfFolder(file) ? await inspectHf(file, shapes) : null;
    const family = hf ? null : detectFamily(shapes);
    const dtypes: Record<string, number> = {};
    let parameters = 0;
    let bytes = 0;
    for (const t of tensors) {
      const n = numel(t.shape);
      parameters += n;
      bytes += n * dtypeSize(t.dtype);
      dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
    }
    return {
      path: file,
      format: reader.format,
      files: [...new Set(tensors.map((t) => t.file))],
      metadata: { ...reader.metadata },
      tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
      parameters,
      bytes,
      dtypes,
      architecture: hf ? hf.architecture : family?.name ?? null,
      config: hf ? hf.config : family ? inferWithRecord(family, shapes, reader.metadata, file) : null,
      hf: hf?.report ?? null,
    };
  } finally {
    reader.close();
  }
}

async function inspectHf(dir: string, shapes: ReadonlyMap<string, readonly number[]>) {
  const [{ readHfConfig, companionFiles }, { folderFiles }, { hfFamilyFor }] = await Promise.all([
    import('../selection/hf-folder.js'), import('../selection/node/hf-files.js'), import('../arch/index.js'),
  ]);
  const files = folderFiles(dir);
  const json = readHfConfig(dir, files);
  const report: HfReport = {
    model_type: typeof json.model_type === 'string' ? json.model_type : null,
    config: {}, companion_files: [...companionFiles(files).keys()], missing: [], ignored: [], problem: null,
  };
  try {
    const family = hfFamilyFor(json);
    const config = family.fromHf(json, new Set(shapes.keys()));
    const decl = family.declare(config);
    const declared = new Set(decl.tensors.map((t) => t.name));
    report.missing = decl.tensors.filter((t) => !t.optional && !shapes.has(t.name)).map((t) => t.name);
    report.ignored = [...shapes.keys()].filter((name) => !declared.has(name));
    const fields = ['model_type', 'vocab_size', 'tie_word_embeddings', 'head_dim', ...family.studentFields];
    report.config = Object.fromEntries(fields.filter((f) => f in json).map((f) => [f, json[f]]));
    return { architecture: family.name, config: config as Record<string, unknown>, report };
  } catch (e) {
    report.problem = (e as Error).message;
    return { architecture: null, config: null, report };
  }
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .summary('list a checkpoint\'s tensors, parameter count, and detected architecture')
    .description('Show the tensors (name, dtype, shape), parameter count, size, metadata and the detected\n'
      + 'architecture and config of a checkpoint (.safetensors, sharded index.json, PyTorch .pth/.bin).')
    .argument('<path>', 'checkpoint file or folder')
    .option('--json', 'print the report as JSON')
    .option('--limit <n>', 'list at most this many tensors (0: all)', '40')
    .action(async (file: string, flags: { json?: boolean; limit: string }) => {
      const report = await inspectCheckpoint(file);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const asked = parseIntArg('--limit', flags.limit);
      const limit = asked > 0 ? asked : report.tensors.length;
      const width = Math.min(60, report.tensors.reduce((w, t) => Math.max(w, t.name.length), 4));
      const lines = [
        `${report.path}: ${report.format}, ${report.files.length} file(s)`,
        `architecture: ${report.architecture ?? 'not recognised (use --arch generic to select from it)'}`,
        ...(report.hf ? hfLines(report.hf) : report.config ? [`config: ${JSON.stringify(report.config)}`] : []),
        `tensors: ${report.tensors.length}, parameters: ${formatCount(report.parameters)} (${report.parameters}), size: ${formatBytes(report.bytes)}`,
        `dtypes: ${Object.entries(report.dtypes).map(([d, n]) => `${d} ${formatCount(n)}`).join(', ')}`,
        ...(Object.keys(report.metadata).length ? [`metadata: ${Object.keys(report.metadata).join(', ')}`] : []),
        '',
        ...report.tensors.slice(0, limit).map((t) => `  ${t.name.padEnd(width)}  ${t.dtype.padEnd(7)} [${t.shape.join(', ')}]`),
        ...(report.tensors.length > limit ? [`  ... ${report.tensors.length - limit} more (--limit 0 lists all)`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function hfLines(hf: HfReport): string[] {
  const list = (names: string[]) => (names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', '));
  return [
    `Hugging Face folder: model_type ${hf.model_type ?? '(none)'}${hf.problem ? ` (${hf.problem})` : ''}`,
    ...(Object.keys(hf.config).length ? [`config.json: ${JSON.stringify(hf.config)}`] : []),
    `companion files: ${hf.companion_files.length ? hf.companion_files.join(', ') : 'none'}`,
    ...(hf.missing.length ? [`missing tensors (select will fail): ${list(hf.missing)}`] : []),
    ...(hf.ignored.length ? [`tensors selection ignores: ${list(hf.ignored)}`] : []),
  ];
}
