// The training worker: the engine (WebAssembly GEMM, helper threads in Web Workers when the page is cross-origin
// isolated) fine-tunes the selected student with wsel's recipe, reports every step, evaluates before training and
// after every epoch, classifies dropped images, and writes the trained student as safetensors and ONNX.
import { memorySource, memorySinks, concatChunks } from '../../../src/checkpoint/source.js';
import { openCheckpointSource } from '../../../src/checkpoint/detect.js';
import { writeSafetensorsTo } from '../../../src/checkpoint/safetensors-writer.js';
import { encodeFloat32 } from '../../../src/checkpoint/dtype.js';
import { configureThreads, initThreads, noGrad, softmax, tensor, type ThreadPlatform } from '../../../src/engine/index.js';
import { exportOnnx, preprocessingOf } from '../../../src/export/index.js';
import { LUMA, resizeBilinear, toFloatNCHW } from '../../../src/data/transforms.js';
import type { Dataset, DatasetSplit } from '../../../src/data/types.js';
import { modelMetadata } from '../../../src/training/checkpoint.js';
import type { FromTraining, ToTraining, TrainData } from '../protocol.js';
import { datasetFromImages, datasetFromSample } from './datasets.js';
import { FineTune } from './fine-tune.js';

const post = (m: FromTraining, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);

/** Helper threads for the engine's kernels: Web Workers serving them over shared memory. */
const webThreads: ThreadPlatform = {
  start(fail) {
    const worker = new Worker(new URL('./engine-helper.ts', import.meta.url), { type: 'module' });
    worker.onerror = (e) => fail(e.message || 'a helper thread failed to start');
    return { post: (m) => worker.postMessage(m), terminate: () => worker.terminate() };
  },
};
const threads = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
configureThreads(threads > 1 ? webThreads : null, threads);

let run: FineTune | null = null;
let stopRequested = false;

async function loadData(data: TrainData, sampleUrl: string): Promise<Dataset> {
  if (data.kind === 'images') return datasetFromImages(data);
  const res = await fetch(sampleUrl);
  if (!res.ok) throw new Error(`the built-in sample could not be loaded (HTTP ${res.status})`);
  let bytes = new Uint8Array(await res.arrayBuffer());
  // Gzip magic: unpack it here (a server that already did, sending Content-Encoding, leaves plain bytes).
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  }
  return datasetFromSample(bytes);
}

async function train(m: Extract<ToTraining, { type: 'train' }>): Promise<void> {
  stopRequested = false;
  const info = await initThreads();
  const dataset = await loadData(m.data, m.sampleUrl);
  const reader = openCheckpointSource(memorySource('student.safetensors', m.student));
  run = new FineTune(reader, dataset, m.settings);
  post({ type: 'ready', threads: info.threads, data: { train: dataset.train.n, test: dataset.test.n, classes: [...dataset.classNames], side: run.prepared.side } });
  const start = run.evaluate();
  post({ type: 'evaluated', epoch: 0, step: 0, accuracy: start.accuracy, loss: start.loss });
  const end = await run.train((report) => post({ type: 'step', report }), (epoch, step, ev) => post({ type: 'evaluated', epoch, step, accuracy: ev.accuracy, loss: ev.loss }),
    () => stopRequested);
  post({ type: 'done', stopped: end.stopped, accuracy: end.accuracy });
}

/** A dropped image at the data's stored geometry (resized, and gray or RGB like the data), then as evaluation prepares it. */
function predict(image: { rgba: Uint8ClampedArray; width: number; height: number }): void {
  if (!run) throw new Error('train (or at least start training) first: there is no model yet');
  const d = run.dataset;
  const plane = image.width * image.height;
  const planes = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) planes[c * plane + p] = image.rgba[4 * p + c]!;
  const rgb = image.width === d.width && image.height === d.height ? planes : resizeBilinear(planes, 3, image.height, image.width, d.height, d.width);
  const hw = d.height * d.width;
  const pixels = new Uint8Array(d.channels * hw);
  for (let p = 0; p < hw; p++) {
    if (d.channels === 1) pixels[p] = Math.round(LUMA[0] * rgb[p]! + LUMA[1] * rgb[hw + p]! + LUMA[2] * rgb[2 * hw + p]!);
    else for (let c = 0; c < 3; c++) pixels[c * hw + p] = Math.round(Math.min(255, Math.max(0, rgb[c * hw + p]!)));
  }
  const split: DatasetSplit = { images: pixels, labels: new Uint8Array(1), n: 1, height: d.height, width: d.width, channels: d.channels, classes: d.classes };
  const { x, shape } = toFloatNCHW(split, run.prepared.eval);
  run.model.eval();
  const probs = noGrad(() => softmax(run!.model.forward(tensor(x, shape))).data.slice());
  const top = [...probs].map((p, i) => ({ name: d.classNames[i]!, probability: p })).sort((a, b) => b.probability - a.probability).slice(0, 5);
  post({ type: 'prediction', top, input: { data: x, side: shape[2] } });
}

function exportModel(): void {
  if (!run) throw new Error('there is no trained model yet');
  const { model, spec, dataset, prepared } = run;
  const sinks = memorySinks();
  const tensors = model.namedParameters().map(([name, p]) => ({ name, dtype: 'F32' as const, shape: [...p.shape], data: encodeFloat32('F32', p.data) }));
  writeSafetensorsTo(sinks.open, 'student.safetensors', tensors,
    modelMetadata(spec, { 'wsel.init': 'student.safetensors', 'wsel.data': dataset.name, 'wsel.input_size': String(prepared.side) }));
  const safetensors = concatChunks(sinks.files.get('student.safetensors')!);
  const { bytes: onnx } = exportOnnx(spec.family, model, {
    preprocessing: preprocessingOf(dataset, prepared.eval, dataset.name), classNames: dataset.classNames, config: spec.config,
  });
  post({ type: 'exported', safetensors, onnx }, [safetensors.buffer, onnx.buffer]);
}

self.onmessage = (e: MessageEvent<ToTraining>) => {
  const m = e.data;
  const fail = (err: unknown) => post({ type: 'error', message: (err as Error).message });
  try {
    if (m.type === 'train') void train(m).catch(fail);
    else if (m.type === 'stop') stopRequested = true;
    else if (m.type === 'predict') predict(m.image);
    else if (m.type === 'export') exportModel();
  } catch (err) {
    fail(err);
  }
};
