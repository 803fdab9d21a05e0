// `wsel inspect`: what a checkpoint holds, and which architecture and config it looks like.
import { Command } from 'commander';
import { formatBytes, formatCount } from './common.js';

export interface InspectReport {
  path: string;
  format: string;
  files: string[];
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: number[] }[];
  parameters: number;
  bytes: number;
  dtypes: Record<string, number>;
  architecture: string | null;
  config: Record<string, unknown> | null;
}

export async function inspectCheckpoint(file: string): Promise<InspectReport> {
  const [{ detectFamily }, { dtypeSize, numel }, { openCheckpoint }] = await Promise.all([
    import('../arch/index.js'), import('../checkpoint/dtype.js'), import('../checkpoint/open.js'),
  ]);
  const reader = openCheckpoint(file);
  try {
    const tensors = [...reader.tensors.values()];
    const shapes = new Map(tensors.map((t) => [t.name, t.shape]));
    const family = detectFamily(shapes);
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
      tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] })),
      parameters,
      bytes,
      dtypes,
      architecture: family?.name ?? null,
      config: family ? (family.inferConfig(shapes) as Record<string, unknown>) : null,
    };
  } finally {
    reader.close();
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
      const limit = Number(flags.limit) > 0 ? Number(flags.limit) : report.tensors.length;
      const width = Math.min(60, Math.max(...report.tensors.map((t) => t.name.length), 4));
      const lines = [
        `${report.path}: ${report.format}, ${report.files.length} file(s)`,
        `architecture: ${report.architecture ?? 'not recognised (use --arch generic to select from it)'}`,
        ...(report.config ? [`config: ${JSON.stringify(report.config)}`] : []),
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
