// `wsel inspect`: what a checkpoint holds, and which architecture and config it looks like.
import { Command } from 'commander';
import type { HfReport } from '../selection/describe.js';
import { inspectCheckpoint } from '../selection/node/inspect.js';
import { formatBytes, formatCount, parseIntArg } from './common.js';

export type { InspectReport, HfReport } from '../selection/describe.js';

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
        ...(report.assumed.length ? [`assumed (not shown by the shapes, not recorded in the file): ${report.assumed.join(', ')}`] : []),
        ...(report.architecture && !report.hf ? [`timm names with these shapes: ${report.timm_names.length ? report.timm_names.join(', ') : 'none'}`] : []),
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
