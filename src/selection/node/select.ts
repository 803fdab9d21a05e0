// `select` by path (Node only): the teacher file, sharded index or model folder is opened through file sources,
// the student is written through file sinks (temp files renamed into place), and no output file may be one the
// teacher is read from. `selectUntilSignal` keeps the event loop turning so that Ctrl-C / SIGTERM can stop a
// selection and remove everything it was writing.
import fs from 'node:fs';
import path from 'node:path';
import { fileSink } from '../../checkpoint/node/files.js';
import { openCheckpoint } from '../../checkpoint/node/open.js';
import type { SinkFactory } from '../../checkpoint/source.js';
import type { CheckpointReader } from '../../checkpoint/types.js';
import { SelectionError } from '../errors.js';
import {
  isHfArch, planOptions, runToEnd, selectionSteps, type SelectionOptions, type SelectResult,
} from '../select.js';
import { HfFolderOutput, isHfFolder, openHfTeacher } from './hf-files.js';

export interface SelectRequest extends SelectionOptions {
  /** Teacher checkpoint: safetensors, sharded safetensors (index.json), PyTorch .pth/.bin, or a model folder. */
  teacher: string;
  /** Output path (`X.safetensors`; shards become `X-0000i-of-0000n.safetensors` + `X.safetensors.index.json`). */
  out: string;
  /** Generic mode: a checkpoint whose tensor names and shapes define the student (values ignored). */
  studentTemplate?: string;
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** File sinks that refuse to write over any file the teacher is read from. */
function sinksSparing(teacherFiles: readonly string[], out: string): SinkFactory {
  return (name) => {
    if (teacherFiles.some((t) => sameFile(t, name))) {
      throw new SelectionError(`--out ${out} would overwrite ${name}, which the teacher is read from; a teacher is never modified`);
    }
    return fileSink(name);
  };
}

/** `onWriting` is called just before the first output file (or folder) is created. */
function* selectFiles(req: SelectRequest, onWriting: () => void = () => {}): Generator<void, SelectResult> {
  if (sameFile(req.teacher, req.out)) throw new SelectionError(`--out ${req.out} is the teacher itself; a teacher is never modified`);
  const hf = isHfArch(req.arch) || (req.arch === 'auto' && isHfFolder(req.teacher))
    ? openHfTeacher(req.teacher, req.arch, req.teacherConfig) : null;
  planOptions(req, hf ? hf.family.name : req.arch);
  const readers: CheckpointReader[] = [];
  let folder: HfFolderOutput | null = null;
  let committed = false;
  try {
    const reader = openCheckpoint(req.teacher);
    readers.push(reader);
    const template = req.arch === 'generic' && req.studentTemplate ? openCheckpoint(req.studentTemplate) : null;
    if (template) readers.push(template);
    const teacherFiles = [req.teacher, ...new Set([...reader.tensors.values()].map((t) => t.file)), ...(req.studentTemplate ? [req.studentTemplate] : [])];
    // A model folder is assembled beside its final place and renamed into it when complete.
    folder = hf ? new HfFolderOutput(req.out) : null;
    const sinks = folder ? folder.open : sinksSparing(teacherFiles, req.out);
    const result = yield* selectionSteps(req, {
      reader, name: path.basename(req.teacher), hf,
      template: template && { reader: template, name: req.studentTemplate! },
    }, { out: req.out, open: (name) => { onWriting(); return sinks(name); } });
    if (!folder) return result;
    folder.commit();
    committed = true;
    return { ...result, files: result.files.map((f) => path.join(req.out, f)), record: path.join(req.out, result.record) };
  } finally {
    if (!committed) folder?.abort();
    for (const r of readers) r.close();
  }
}

/** Run a selection end to end. Throws CheckpointError / SelectionError / ConfigError with a clear message. */
export function select(req: SelectRequest): SelectResult {
  return runToEnd(selectFiles(req));
}

/** How long the selection runs between turns of the event loop (signal handlers run in those turns). */
const SLICE_MS = 50;

/**
 * `select`, stopped by any of `signals` (default: Ctrl-C and SIGTERM) once it has begun to write: it then
 * removes every file it was writing and returns null. Until then a signal acts as usual (nothing is written yet),
 * so parsing and planning stay killable. While writing, the event loop gets a turn every few milliseconds.
 */
export async function selectUntilSignal(req: SelectRequest,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<SelectResult | null> {
  let stop = false;
  let listening = false;
  const onSignal = (): void => {
    stop = true;
  };
  const listen = (): void => {
    if (listening) return;
    for (const s of signals) process.on(s, onSignal);
    listening = true;
  };
  try {
    const steps = selectFiles(req, listen);
    let sliceStart = performance.now();
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
      if (performance.now() - sliceStart < SLICE_MS) continue;
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
      if (stop) {
        steps.return(undefined as never);
        return null;
      }
    }
  } finally {
    if (listening) for (const s of signals) process.off(s, onSignal);
  }
}
