// The selection worker: opens the dropped teacher lazily (Blob.slice + FileReaderSync, a tensor's row block at a
// time), reports what `wsel inspect` reports, and runs the same selection as `wsel select`, writing the student
// into memory, from where the page downloads it.
import { concatChunks, memorySinks } from '../../../src/checkpoint/source.js';
import { describeCheckpoint } from '../../../src/selection/describe.js';
import type { ElementRule } from '../../../src/selection/index-rules.js';
import { parseLayerRule } from '../../../src/selection/layers.js';
import { selectStudent } from '../../../src/selection/select.js';
import type { FromSelection, SelectRequest, ToSelection } from '../protocol.js';
import { studentFields, studentPresets } from './presets.js';
import { openDropped, type OpenedTeacher } from './teacher-files.js';

const post = (m: FromSelection, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);

let teacher: (OpenedTeacher & { architecture: string | null }) | null = null;

function open(t: OpenedTeacher): void {
  const report = describeCheckpoint(t.reader, t.name, t.folder);
  teacher = { ...t, architecture: report.architecture };
  post({ type: 'inspected', report: { ...report, name: t.name }, presets: studentPresets(report.architecture) });
}

function select(t: NonNullable<typeof teacher>, r: SelectRequest): void {
  const started = performance.now();
  const hf = t.hfTeacher();
  const sinks = memorySinks();
  const result = selectStudent({
    arch: 'auto',
    student: studentFields(r.modelName, r.student),
    recipe: r.recipe,
    ...(r.elements ? { elements: r.elements as ElementRule } : {}),
    ...(r.layers ? { layers: parseLayerRule(r.layers) } : {}),
    keepHead: r.keepHead,
    ...(r.dtype ? { dtype: r.dtype } : {}),
    onProgress: (done, total) => post({ type: 'progress', done, total }),
  }, { reader: t.reader, name: t.name, hf }, { out: hf ? t.name : 'student.safetensors', open: sinks.open });
  const files = [...sinks.files].map(([name, chunks]) => ({ name, bytes: concatChunks(chunks) }));
  post({
    type: 'selected',
    summary: {
      arch: t.architecture ?? 'unknown', parameters: result.parameters, layerMap: result.layerMap, rules: result.rules,
      studentConfig: result.studentConfig, files, millis: performance.now() - started,
    },
  }, files.map((f) => f.bytes.buffer));
}

self.onmessage = (e: MessageEvent<ToSelection>) => {
  const m = e.data;
  try {
    if (m.type === 'open') {
      teacher?.reader.close();
      teacher = null;
      open(openDropped(m.files));
    } else if (m.type === 'select') {
      if (!teacher) throw new Error('drop a teacher first');
      select(teacher, m.request);
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
};
