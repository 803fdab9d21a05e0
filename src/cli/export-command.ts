// `wsel export`: a trained checkpoint as an ONNX file that any ONNX runtime runs, with the preprocessing and class
// names in its metadata.
import { Command, Option } from 'commander';
import type { ModelFamily } from '../models/index.js';
import { formatBytes, formatCount, parseChoice, parseIntArg, parseJsonArg } from './common.js';

const FAMILIES: readonly ModelFamily[] = ['vit', 'convnext', 'mixer'];

interface ExportFlags {
  checkpoint: string;
  out: string;
  format: string;
  dtype: string;
  data?: string;
  imgSize?: string;
  model?: string;
  config?: string;
  json?: boolean;
}

export function exportCommand(): Command {
  return new Command('export')
    .summary('export a trained checkpoint to ONNX (input: the preprocessed image batch, output: logits)')
    .description('Write a trained ViT, ConvNeXt or MLP-Mixer checkpoint (one with its classifier) as an ONNX model\n'
      + '(opset 17, IR version 8) that onnxruntime and other ONNX runtimes run as it is.\n\n'
      + 'Input "input": the preprocessed float32 batch (batch, channels, height, width), batch size free,\n'
      + 'prepared exactly as in training: fitted to the model\'s size (zero padding or resize), channels converted,\n'
      + 'pixels divided by 255 and normalized with the data set\'s mean and std. Output "logits": (batch, classes).\n'
      + 'The model\'s metadata records "preprocessing" (input_size, source_size, fit, channel_conversion, scale,\n'
      + 'mean, std, data) and "class_names" as JSON, plus wsel.arch and wsel.config.\n\n'
      + 'The statistics and class names come from the data set the checkpoint was trained on (its wsel.data),\n'
      + 'or from --data. Parameters keep their checkpoint names; --dtype f16 stores them as float16 (half the\n'
      + 'file) and the graph still computes in float32.')
    .requiredOption('--checkpoint <path>', 'trained model checkpoint (safetensors or PyTorch) with its classifier')
    .requiredOption('--out <path>', 'output .onnx file (written atomically)')
    .addOption(new Option('--format <format>', 'output format').choices(['onnx']).default('onnx'))
    .addOption(new Option('--dtype <type>', 'parameter storage').choices(['f32', 'f16']).default('f32'))
    .option('--data <data>', 'the data the model takes (mnist, fashion-mnist, or a folder): its normalization and class names; default: the checkpoint\'s wsel.data')
    .option('--img-size <n>', 'ConvNeXt input side (default: the side the checkpoint was trained at)')
    .option('--model <family>', `model family when the checkpoint does not record it: ${FAMILIES.join(', ')}`)
    .option('--config <json>', 'config corrections over the checkpoint\'s (timm names)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  wsel export --checkpoint runs/ws/final.safetensors --out student.onnx
  wsel export --checkpoint teachers/vit_fmnist.safetensors --out vit_fmnist.onnx --dtype f16
  wsel export --checkpoint model.safetensors --data ./my_images --out model.onnx

Run it with onnxruntime (npm install onnxruntime-node --onnxruntime-node-install=skip):
  const session = await ort.InferenceSession.create('student.onnx');
  const { logits } = await session.run({ input: new ort.Tensor('float32', x, [n, c, h, w]) });
x is the images prepared as the metadata's "preprocessing" says; the README's "Deploying the student"
has a complete example that classifies PNG files.`)
    .action(async (flags: ExportFlags) => {
      parseChoice('--format', flags.format, ['onnx']);
      const dtype = parseChoice('--dtype', flags.dtype, ['f32', 'f16'] as const);
      const family = flags.model === undefined ? undefined : parseChoice('--model', flags.model, FAMILIES);
      const config = flags.config ? parseJsonArg('--config', flags.config) : undefined;
      const imgSize = flags.imgSize === undefined ? undefined : parseIntArg('--img-size', flags.imgSize, 1);
      const [{ exportCheckpoint }, { describePreprocessing }] = await Promise.all([import('../export/node.js'), import('../export/preprocessing.js')]);
      const result = exportCheckpoint({ checkpoint: flags.checkpoint, out: flags.out, dtype, data: flags.data, imgSize, family, config });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write([
        `wrote ${result.out} (${formatBytes(result.bytes)}, ONNX opset ${result.opset}, ${result.dtype} parameters)`,
        `  ${result.family}, ${formatCount(result.parameters)} parameters`,
        `  input  "${result.input.name}" float32 [${result.input.shape.join(', ')}]: ${describePreprocessing(result.preprocessing)}`,
        `  output "${result.output.name}" float32 [${result.output.shape.join(', ')}]: ${result.classNames.join(', ')}`,
      ].join('\n') + '\n');
    });
}
