// A trained model as an ONNX file: input the preprocessed float32 batch (N, C, H, W) with a dynamic batch axis,
// output the logits (N, classes); the preprocessing and class names ride along in the model's metadata.
// Portable: no file system here, the bytes go back to the caller (the CLI writes them, the browser downloads).
import type { ConvNeXt, MlpMixer, Model, ModelFamily, VisionTransformer } from '../models/index.js';
import { VERSION } from '../version.js';
import { ExportError } from './errors.js';
import { convnextGraph } from './families/convnext.js';
import { mixerGraph } from './families/mixer.js';
import { vitGraph } from './families/vit.js';
import { OnnxGraph, OPSET, type WeightDType } from './onnx-graph.js';
import { describePreprocessing, type Preprocessing } from './preprocessing.js';

/** Each family's graph, written from its module structure: (graph, model, input value) -> logits value. */
const FAMILY_GRAPHS: { readonly [F in ModelFamily]: (g: OnnxGraph, model: never, x: string) => string } = {
  vit: (g, m: VisionTransformer, x) => vitGraph(g, m, x),
  convnext: (g, m: ConvNeXt, x) => convnextGraph(g, m, x),
  mixer: (g, m: MlpMixer, x) => mixerGraph(g, m, x),
};

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'logits';
export const BATCH_DIM = 'batch';

export interface OnnxExportOptions {
  /** Parameter storage: f32 (default) or f16 (half the file; the graph still computes in float32). */
  dtype?: WeightDType;
  /** How images become the model's input; recorded in the metadata and fixes the input's C, H, W. */
  preprocessing: Preprocessing;
  /** One name per logit. */
  classNames: readonly string[];
  /** The model's config as checkpoints record it (`wsel.config`). */
  config: Readonly<Record<string, unknown>>;
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** Metadata written into the file (metadata_props). */
  metadata: Record<string, string>;
  inputShape: [string, number, number, number];
  outputShape: [string, number];
}

function classifierOf(family: ModelFamily, model: Model): { outFeatures: number } | null {
  return family === 'convnext' ? (model as ConvNeXt).head.fc : (model as VisionTransformer | MlpMixer).head;
}

export function exportOnnx(family: ModelFamily, model: Model, opts: OnnxExportOptions): OnnxExport {
  const head = classifierOf(family, model);
  if (!head) throw new ExportError('the model has no classifier (num_classes 0); only models that output logits can be exported');
  const classes = head.outFeatures;
  if (opts.classNames.length !== classes) {
    throw new ExportError(`the classifier has ${classes} outputs and ${opts.classNames.length} class names were given`);
  }
  const [channels, height, width] = opts.preprocessing.input_size;
  const g = new OnnxGraph(opts.dtype ?? 'f32');
  const x = g.input(INPUT_NAME, [BATCH_DIM, channels, height, width]);
  const logits = FAMILY_GRAPHS[family](g, model as never, x);
  g.output(logits, OUTPUT_NAME, [BATCH_DIM, classes]);
  const metadata: Record<string, string> = {
    'wsel.version': VERSION,
    'wsel.arch': family,
    'wsel.config': JSON.stringify(opts.config),
    preprocessing: JSON.stringify(opts.preprocessing),
    class_names: JSON.stringify(opts.classNames),
  };
  const docString = `${family} classifier exported by wsel ${VERSION} (opset ${OPSET}). `
    + `Input "${INPUT_NAME}": float32 (${BATCH_DIM}, ${channels}, ${height}, ${width}), ${describePreprocessing(opts.preprocessing)}. `
    + `Output "${OUTPUT_NAME}": float32 (${BATCH_DIM}, ${classes}), one logit per class (metadata "class_names").`;
  const bytes = g.encode({ graphName: `wsel_${family}`, producerVersion: VERSION, docString, metadata });
  return { bytes, metadata, inputShape: [BATCH_DIM, channels, height, width], outputShape: [BATCH_DIM, classes] };
}
