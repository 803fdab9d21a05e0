// Export: trained models as ONNX files (portable: bytes in, bytes out; the CLI and the browser write them).
export { ExportError } from './errors.js';
export { exportOnnx, INPUT_NAME, OUTPUT_NAME, BATCH_DIM, type OnnxExport, type OnnxExportOptions } from './onnx-export.js';
export { OPSET, IR_VERSION, type WeightDType } from './onnx-graph.js';
export { preprocessingOf, transformOf, describePreprocessing, type Preprocessing } from './preprocessing.js';
