// The page: four steps wired to two workers. The selection worker reads the dropped teacher lazily and writes the
// student; the training worker fine-tunes it with the engine, predicts and exports. This file only moves data
// between the DOM and the workers.
import { ELEMENT_RULES } from '../../src/selection/index-rules.js';
import type { RecipeName } from '../../src/selection/recipes.js';
import { VERSION } from '../../src/version.js';
import { LineChart } from './page/chart.js';
import { byId, download, el, facts, formatBytes, formatCount, showError } from './page/dom.js';
import { decodeImageFolders, imageFile } from './page/images.js';
import { dropTarget, fromInput } from './page/files.js';
import { SAMPLE_FILE } from './data/sample-format.js';
import type { DroppedFile, FromSelection, FromTraining, InspectReport, SelectSummary, ToSelection, ToTraining, TrainData } from './protocol.js';

const selection = new Worker(new URL('./workers/selection-worker.ts', import.meta.url), { type: 'module' });
const training = new Worker(new URL('./workers/training-worker.ts', import.meta.url), { type: 'module' });
const toSelection = (m: ToSelection): void => selection.postMessage(m);
const toTraining = (m: ToTraining, transfer: Transferable[] = []): void => training.postMessage(m, transfer);

let student: SelectSummary | null = null;
let droppedData: TrainData | null = null;

byId('version').textContent = VERSION;
byId('threads').textContent = crossOriginIsolated ? `up to ${navigator.hardwareConcurrency} threads` : 'one thread: the page is not cross-origin isolated';
const elements = byId<HTMLSelectElement>('elements');
for (const rule of ELEMENT_RULES) elements.append(el('option', {}, rule));

// ---- 1. teacher ----
function openTeacher(files: DroppedFile[]): void {
  if (files.length === 0) return;
  byId('inspect').hidden = false;
  byId('inspect').replaceChildren(el('p', { class: 'note' }, `reading ${files.length === 1 ? files[0]!.path : `${files.length} files`} ...`));
  byId('student').hidden = true;
  toSelection({ type: 'open', files });
}
dropTarget(byId('drop'), openTeacher);
for (const id of ['teacher-files', 'teacher-folder']) {
  const input = byId<HTMLInputElement>(id);
  input.addEventListener('change', () => openTeacher(fromInput(input)));
}

function renderInspect(r: InspectReport, presets: string[]): void {
  const rows: [string, string][] = [
    ['checkpoint', `${r.name}: ${r.format}, ${r.files.length} file(s)`],
    ['architecture', r.architecture ?? 'not recognised'],
  ];
  if (r.hf) rows.push(['Hugging Face', `model_type ${r.hf.model_type ?? '(none)'}${r.hf.problem ? ` (${r.hf.problem})` : ''}`]);
  if (r.config) rows.push(['config', JSON.stringify(r.hf ? r.hf.config : r.config)]);
  if (r.assumed.length) rows.push(['assumed', `${r.assumed.join(', ')} (not shown by the shapes, not recorded in the file)`]);
  if (r.architecture && !r.hf) rows.push(['timm names', r.timm_names.length ? r.timm_names.join(', ') : 'none with these shapes']);
  rows.push(['tensors', `${r.tensors.length}, parameters ${formatCount(r.parameters)} (${r.parameters}), size ${formatBytes(r.bytes)}`]);
  rows.push(['dtypes', Object.entries(r.dtypes).map(([d, n]) => `${d} ${formatCount(n)}`).join(', ')]);
  if (Object.keys(r.metadata).length) rows.push(['metadata', Object.keys(r.metadata).join(', ')]);
  const table = el('table', {}, ...r.tensors.map((t) => el('tr', {}, el('td', {}, t.name), el('td', {}, t.dtype), el('td', {}, `[${t.shape.join(', ')}]`))));
  byId('inspect').replaceChildren(facts(rows), el('div', { class: 'tensors' }, table));
  const names = byId<HTMLSelectElement>('student-name');
  names.replaceChildren(el('option', { value: '' }, '(JSON fields below)'), ...presets.map((p) => el('option', { value: p }, p)));
  byId('student').hidden = r.architecture === null;
}

// ---- 2. student ----
byId('select').addEventListener('click', () => {
  const text = byId<HTMLInputElement>('student-json').value.trim();
  let fields: Record<string, unknown> = {};
  try {
    fields = text ? JSON.parse(text) as Record<string, unknown> : {};
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new Error('expected a JSON object');
  } catch (e) {
    showError(byId('selection'), `student fields: not a JSON object (${(e as Error).message}); e.g. {"embed_dim": 64, "depth": 4}`);
    return;
  }
  const modelName = byId<HTMLSelectElement>('student-name').value || undefined;
  const layers = byId<HTMLInputElement>('layers').value.trim();
  const dtype = byId<HTMLSelectElement>('dtype').value as '' | 'f32' | 'f16' | 'bf16';
  byId('selection').hidden = false;
  byId('selection').replaceChildren(el('p', { class: 'note' }, 'selecting ...'));
  (byId('select') as HTMLButtonElement).disabled = true;
  toSelection({
    type: 'select',
    request: {
      student: fields, ...(modelName ? { modelName } : {}), recipe: byId<HTMLSelectElement>('recipe').value as RecipeName,
      // Rules left blank come from the recipe, as flags left out do in `wsel select`.
      ...(elements.value ? { elements: elements.value } : {}), ...(layers ? { layers } : {}),
      keepHead: byId<HTMLInputElement>('keep-head').checked, ...(dtype ? { dtype } : {}),
    },
  });
});

function renderSelection(s: SelectSummary): void {
  const links = s.files.map((f) => {
    const b = el('button', { class: 'download' }, `Download ${f.name} (${formatBytes(f.bytes.length)})`);
    b.addEventListener('click', () => download(f.name, [f.bytes]));
    return b;
  });
  byId('selection').replaceChildren(
    facts([
      ['student', `${s.arch}, ${formatCount(s.parameters)} parameters, selected in ${s.millis.toFixed(0)} ms`],
      ['config', JSON.stringify(s.studentConfig)],
      ['rules', `elements ${s.rules.elements}, layers ${JSON.stringify(s.rules.layers)}, heads ${s.rules.heads} (the unset ones from the ${s.rules.recipe} recipe)`],
      ['layers', JSON.stringify(s.layerMap)],
    ]),
    el('div', { class: 'row' }, ...links),
  );
  byId('train').hidden = !['vit', 'convnext', 'mixer'].includes(s.arch);
}

selection.addEventListener('message', (e: MessageEvent<FromSelection>) => {
  const m = e.data;
  if (m.type === 'inspected') renderInspect(m.report, m.presets);
  else if (m.type === 'selected') {
    (byId('select') as HTMLButtonElement).disabled = false;
    student = m.summary;
    renderSelection(m.summary);
  } else if (m.type === 'progress') {
    byId('selection').replaceChildren(el('p', { class: 'note' }, `selecting ... ${m.done} / ${m.total} tensors`));
  } else if (m.type === 'error') {
    (byId('select') as HTMLButtonElement).disabled = false;
    showError(byId(student === null && byId('student').hidden ? 'inspect' : 'selection'), m.message);
  }
});

// ---- 3. fine-tune ----
const lossChart = new LineChart(byId<HTMLCanvasElement>('loss-chart'), 'loss', [{ label: 'train loss', color: '#2b6cb0', points: [] }]);
const accChart = new LineChart(byId<HTMLCanvasElement>('acc-chart'), 'accuracy', [
  { label: 'train', color: '#9aa5b4', points: [] }, { label: 'test', color: '#c05621', points: [] },
], [0, 1]);

const dataSelect = byId<HTMLSelectElement>('data');
dataSelect.addEventListener('change', () => { byId('images-picker').hidden = dataSelect.value !== 'dropped'; });
const imagesInput = byId<HTMLInputElement>('images');
imagesInput.addEventListener('change', () => {
  byId('data-info').textContent = 'decoding images ...';
  decodeImageFolders(fromInput(imagesInput)).then((d) => {
    droppedData = d;
    byId('data-info').textContent = `${d.labels.length} images, ${d.classNames.length} classes (${d.classNames.join(', ')}), ${d.width}x${d.height}x${d.channels}`;
  }, (e: Error) => showError(byId('data-info'), e.message));
});

byId('start').addEventListener('click', () => {
  if (!student) return;
  const data: TrainData | null = dataSelect.value === 'sample' ? { kind: 'sample' } : droppedData;
  if (!data) {
    showError(byId('data-info'), 'choose the image folders first (one folder per class)');
    return;
  }
  const file = student.files.find((f) => f.name.endsWith('.safetensors'))!;
  lossChart.clear();
  accChart.clear();
  delete byId('status').dataset['testAccuracies'];
  (byId('start') as HTMLButtonElement).disabled = true;
  (byId('stop') as HTMLButtonElement).disabled = false;
  byId('status').textContent = 'starting ...';
  toTraining({
    type: 'train', student: file.bytes.slice(), data, sampleUrl: new URL(SAMPLE_FILE, document.baseURI).href,
    settings: {
      epochs: Number(byId<HTMLInputElement>('epochs').value), batchSize: Number(byId<HTMLInputElement>('batch').value),
      lr: Number(byId<HTMLInputElement>('lr').value), seed: 0,
    },
  });
});
byId('stop').addEventListener('click', () => toTraining({ type: 'stop' }));

// ---- 4. predict and download ----
async function predict(file: File): Promise<void> {
  const image = await imageFile(file);
  const preview = byId<HTMLCanvasElement>('preview');
  preview.hidden = false;
  const ctx = preview.getContext('2d')!;
  ctx.clearRect(0, 0, preview.width, preview.height);
  ctx.drawImage(await createImageBitmap(new ImageData(image.rgba, image.width, image.height)), 0, 0, preview.width, preview.height);
  toTraining({ type: 'predict', image });
}
dropTarget(byId('image-drop'), (files) => { if (files[0]) void predict(files[0].file); });
const predictInput = byId<HTMLInputElement>('predict-file');
predictInput.addEventListener('change', () => { if (predictInput.files?.[0]) void predict(predictInput.files[0]); });
let wanted: 'safetensors' | 'onnx' = 'safetensors';
for (const kind of ['safetensors', 'onnx'] as const) {
  byId(`download-${kind}`).addEventListener('click', () => {
    wanted = kind;
    toTraining({ type: 'export' });
  });
}

training.addEventListener('message', (e: MessageEvent<FromTraining>) => {
  const m = e.data;
  if (m.type === 'ready') {
    byId('data-info').textContent = `${m.data.train} training and ${m.data.test} test images, ${m.data.classes.length} classes, model input ${m.data.side} px; ${m.threads} engine thread(s)`;
  } else if (m.type === 'step') {
    const r = m.report;
    (byId('progress') as HTMLProgressElement).value = r.step / r.totalSteps;
    byId('status').textContent = `step ${r.step}/${r.totalSteps}  epoch ${r.epoch}  loss ${r.loss.toFixed(4)}  train acc ${(100 * r.trainAccuracy).toFixed(1)}%  ${r.imagesPerSecond.toFixed(0)} images/s`;
    lossChart.add('train loss', r.step, r.loss);
    accChart.add('train', r.step, r.trainAccuracy);
  } else if (m.type === 'evaluated') {
    accChart.add('test', m.step, m.accuracy);
    const status = byId('status');
    status.dataset['testAccuracies'] = [status.dataset['testAccuracies'], String(m.accuracy)].filter(Boolean).join(',');
  } else if (m.type === 'done') {
    (byId('start') as HTMLButtonElement).disabled = false;
    (byId('stop') as HTMLButtonElement).disabled = true;
    byId('status').textContent = `${m.stopped ? 'stopped' : 'done'}: test accuracy ${(100 * m.accuracy).toFixed(2)}%`;
    byId('use').hidden = false;
  } else if (m.type === 'prediction') {
    byId('prediction').replaceChildren(...m.top.map((t) => el('li', {}, `${t.name}  ${(100 * t.probability).toFixed(1)}%`)));
  } else if (m.type === 'exported') {
    const stem = (student?.files[0]?.name ?? 'student.safetensors').replace(/\.safetensors$/, '');
    if (wanted === 'onnx') download(`${stem}-finetuned.onnx`, [m.onnx]);
    else download(`${stem}-finetuned.safetensors`, [m.safetensors]);
  } else if (m.type === 'error') {
    (byId('start') as HTMLButtonElement).disabled = false;
    (byId('stop') as HTMLButtonElement).disabled = true;
    showError(byId('status'), m.message);
  }
});
