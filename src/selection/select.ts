// `select`: teacher checkpoint in, student checkpoint out. Reads the teacher lazily, plans every tensor,
// streams the selected bytes into a writer that only renames its files into place once everything is written,
// and records what was done (in the output's metadata and a sidecar JSON) so a selection can be audited.
import fs from 'node:fs';
import path from 'node:path';
import { declareFromShapes } from '../arch/generic.js';
import { isHfFolder } from '../arch/hf-config.js';
import {
  ARCH_NAMES, detectFamily, FAMILIES, isHfFamilyName, isVisionFamilyName, type ArchName,
} from '../arch/index.js';
import { ConfigError } from '../arch/config-util.js';
import { inferWithRecord, recordedConfig } from '../arch/recorded-config.js';
import type { ArchDecl, Component, Family } from '../arch/types.js';
import { COMPONENTS, tensorShape } from '../arch/types.js';
import { convertFloat, dtypeSize, isFloating, numel } from '../checkpoint/dtype.js';
import { openCheckpoint } from '../checkpoint/open.js';
import { tempPathFor } from '../checkpoint/io.js';
import { openShardedWriter } from '../checkpoint/sharded-writer.js';
import type { CheckpointReader, CheckpointWriter, DType, TensorHeader } from '../checkpoint/types.js';
import { VERSION } from '../version.js';
import { GatherBuffers, gatherTensor } from './gather.js';
import { declareHf, HF_DEFAULT_SHARD_SIZE, HfFolderOutput, openHfTeacher, type HfTeacher } from './hf-folder.js';
import { ELEMENT_RULES, SCORED_RULES, type ElementRule } from './index-rules.js';
import type { LayerRule } from './layers.js';
import { computeSpaceScores } from './magnitude.js';
import { planSelection, SelectionError, type HeadMode, type PlanOptions, type SelectionPlan } from './plan.js';
import { RECIPE_NAMES, recipeFor, type RecipeName } from './recipes.js';

export { ARCH_NAMES, type ArchName } from '../arch/family-names.js';
export type OutputDType = 'f32' | 'f16' | 'bf16';
const OUTPUT_DTYPES: Record<OutputDType, DType> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

export interface SelectRequest {
  arch: ArchName;
  /** Teacher checkpoint: safetensors, sharded safetensors (index.json) or PyTorch .pth/.bin. */
  teacher: string;
  /** Output path (`X.safetensors`; shards become `X-0000i-of-0000n.safetensors` + `X.safetensors.index.json`). */
  out: string;
  /** Student config overrides over the teacher's (timm constructor names). Required for named families. */
  student?: Record<string, unknown>;
  /** Generic mode: a checkpoint whose tensor names and shapes define the student (values ignored). */
  studentTemplate?: string;
  /** Corrections to the config inferred from the teacher's shapes (e.g. num_heads). */
  teacherConfig?: Record<string, unknown>;
  /** Where elements, layers and heads come from when not given (default best: the evidence's choice per family). */
  recipe?: RecipeName;
  elements?: ElementRule;
  layers?: LayerRule;
  heads?: HeadMode;
  exclude?: readonly Component[];
  keepHead?: boolean;
  seed?: number;
  /** `elements: 'activation'`: every teacher space's scores from its activations on calibration data, and what
   *  that data was (recorded in the output); computed by the caller (`calibrate` in src/training). */
  activation?: ActivationScores;
  dtype?: OutputDType;
  /** Bytes per output shard; default: one file. */
  maxShardSize?: number;
  /** Called after each tensor is written. */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

export interface ActivationScores {
  scores: ReadonlyMap<string, Float64Array>;
  /** How the scores were made (data, images, seed), as recorded in the output's metadata and sidecar. */
  source: Readonly<Record<string, unknown>>;
}

export interface SelectResult {
  files: string[];
  record: string;
  tensors: number;
  parameters: number;
  bytes: number;
  teacherConfig: Record<string, unknown>;
  studentConfig: Record<string, unknown>;
  layerMap: Record<string, number[]>;
  omitted: { name: string; reason: string }[];
}

/** Sidecar record path: `X.safetensors` -> `X.selection.json`. */
export function recordPathFor(out: string): string {
  const base = out.replace(/\.safetensors(\.index\.json)?$/, '');
  return `${base}.selection.json`;
}

function shapesOf(reader: CheckpointReader): Map<string, readonly number[]> {
  return new Map([...reader.tensors.values()].map((t) => [t.name, t.shape]));
}

interface Declarations {
  teacher: ArchDecl;
  student: ArchDecl;
  /** The family actually used (what "auto" resolved to). */
  arch: string;
}

function declare(req: SelectRequest, teacher: CheckpointReader): Declarations {
  const shapes = shapesOf(teacher);
  if (req.arch === 'generic') {
    if (!req.studentTemplate) throw new SelectionError('--arch generic needs --student-template (a checkpoint with the student\'s tensor names and shapes)');
    const template = openCheckpoint(req.studentTemplate);
    try {
      return { teacher: declareFromShapes(shapes), student: declareFromShapes(shapesOf(template)), arch: 'generic' };
    } finally {
      template.close();
    }
  }
  const family = req.arch === 'auto' ? detectFamily(shapes) : isVisionFamilyName(req.arch) ? FAMILIES[req.arch] : null;
  if (!family && req.arch === 'auto') {
    throw new SelectionError(`${teacher.path}: the architecture cannot be told from the tensor names; give --arch (generic works for any model, given --student-template)`);
  }
  if (!family) throw new SelectionError(`unknown architecture "${req.arch}" (known: ${ARCH_NAMES.join(', ')})`);
  const arch = family.name;
  const student = requireStudent(req, arch);
  let teacherConfig: Record<string, unknown>;
  try {
    // What shapes cannot show (the head count) comes from a config recorded by wsel, then from the user.
    teacherConfig = inferWithRecord(family, shapes, teacher.metadata);
  } catch (e) {
    throw new SelectionError(`${teacher.path}: ${(e as Error).message} (is --arch ${arch} right? --arch generic works for any model)`);
  }
  if (req.teacherConfig) {
    teacherConfig = family.studentConfig(teacherConfig, req.teacherConfig) as Record<string, unknown>;
    checkTeacherShapes(family.declare(teacherConfig), shapes, teacher.path, req.teacherConfig);
  }
  let studentConfig: Record<string, unknown>;
  try {
    studentConfig = family.studentConfig(teacherConfig, student) as Record<string, unknown>;
  } catch (e) {
    const guessed = unrecordedFields(family, teacher.metadata, req.teacherConfig).filter((f) => (e as Error).message.includes(f));
    if (!(e instanceof ConfigError) || guessed.length === 0) throw e;
    throw new ConfigError(`${e.message} (the teacher's ${guessed.join(', ')} is not recorded in ${teacher.path} and was assumed; --teacher-config '{"${guessed[0]}":...}' gives it)`);
  }
  family.checkStudent?.(teacherConfig, studentConfig);
  return { teacher: family.declare(teacherConfig), student: family.declare(studentConfig), arch };
}

/** A corrected teacher config (or a timm name) must describe the tensors the teacher file has. */
function checkTeacherShapes(decl: ArchDecl, shapes: ReadonlyMap<string, readonly number[]>, file: string, given: Record<string, unknown>): void {
  const wrong = decl.tensors.filter((t) => !t.optional || shapes.has(t.name)).flatMap((t) => {
    const want = tensorShape(decl, t);
    const got = shapes.get(t.name);
    if (got && got.length === want.length && got.every((n, i) => n === want[i])) return [];
    return [`${t.name} is ${got ? `[${got.join(', ')}]` : 'missing'} in the file, [${want.join(', ')}] for it`];
  });
  if (wrong.length === 0) return;
  const what = typeof given.name === 'string' && Object.keys(given).length === 1 ? `"${given.name}"` : JSON.stringify(given);
  throw new SelectionError(`${file}: --teacher-config ${what} describes other shapes than the teacher's: ${wrong.slice(0, 3).join('; ')}${wrong.length > 3 ? `; ... (${wrong.length} in all)` : ''}`);
}

/** Config fields of the teacher that neither its shapes, its recorded config nor the user said. */
function unrecordedFields(family: Family<any>, metadata: Readonly<Record<string, string>>, corrections?: Record<string, unknown>): string[] {
  const recorded = recordedConfig(metadata) ?? {};
  return (family.unseenByShapes ?? []).filter((f) => !(f in recorded) && !(corrections && (f in corrections || 'name' in corrections)));
}

function requireStudent(req: SelectRequest, arch: string): Record<string, unknown> {
  if (!req.student) throw new SelectionError(`--student is required for --arch ${arch} (JSON config overrides, e.g. ${arch === 'llama' ? '{"hidden_size":2048}' : '{"embed_dim":192}'}; {} copies the teacher)`);
  return req.student;
}

/** Hugging Face declarations, in the shape of the others. */
function declareHfTeacher(req: SelectRequest, hf: HfTeacher, reader: CheckpointReader) {
  const hfDecls = declareHf(hf, reader, requireStudent(req, hf.family.name));
  return { hfDecls, decls: { teacher: hfDecls.teacher, student: hfDecls.student, arch: hf.family.name } };
}

function planOptions(req: SelectRequest, family: string): PlanOptions {
  const recipeName = req.recipe ?? 'best';
  if (!RECIPE_NAMES.includes(recipeName)) throw new SelectionError(`unknown recipe "${recipeName}" (known: ${RECIPE_NAMES.join(', ')})`);
  const recipe = recipeFor(recipeName, family);
  const options: PlanOptions = {
    elements: req.elements ?? recipe.elements,
    layers: req.layers ?? recipe.layers,
    heads: req.heads ?? recipe.heads,
    exclude: req.exclude ?? [],
    keepHead: req.keepHead ?? false,
    seed: req.seed ?? 0,
  };
  if (!ELEMENT_RULES.includes(options.elements)) throw new SelectionError(`unknown element rule "${options.elements}" (known: ${ELEMENT_RULES.join(', ')})`);
  if (options.heads !== 'flat' && options.heads !== 'whole') throw new SelectionError(`--heads must be flat or whole, got "${options.heads}"`);
  for (const c of options.exclude) {
    if (!COMPONENTS.includes(c)) throw new SelectionError(`unknown component "${c}" for --exclude (known: ${COMPONENTS.join(', ')})`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new SelectionError(`--seed must be a non-negative integer, got ${options.seed}`);
  if (options.elements === 'activation' && !req.activation) {
    throw new SelectionError('--elements activation needs the teacher\'s activations on calibration data (--calib DATA[:N])');
  }
  if (req.activation && options.elements !== 'activation') throw new SelectionError(`activation scores were given, but the element rule is ${options.elements}`);
  if (req.arch === 'generic') {
    if (options.elements === 'random' || SCORED_RULES.includes(options.elements)) {
      throw new SelectionError(`--elements ${options.elements} needs dimension spaces, which --arch generic does not have; use uniform, first or random-inconsistent, or a named --arch`);
    }
    if (options.heads === 'whole') throw new SelectionError('--heads whole needs an architecture with attention heads; --arch generic has none');
  }
  return options;
}

function inheritedMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith('wsel.') && k !== 'total_size'));
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

const indexList = (indices: Int32Array | null) => (indices ? Array.from(indices) : null);

/** The audit record: every space's indices and every tensor's source, in plain JSON. */
function buildRecord(req: SelectRequest, decls: Declarations, plan: SelectionPlan, options: PlanOptions, dtypes: Map<string, DType>) {
  return {
    tool: 'wsel',
    version: VERSION,
    arch: decls.arch,
    teacher: { file: path.basename(req.teacher), config: decls.teacher.config },
    student: { config: decls.student.config },
    options: { recipe: req.recipe ?? 'best', ...options, exclude: [...options.exclude], dtype: req.dtype ?? null },
    ...(req.activation ? { calibration: req.activation.source } : {}),
    layer_map: plan.layerMap,
    spaces: Object.fromEntries(Object.entries(plan.spaces).map(([name, s]) => [name, {
      teacher_space: s.teacherSpace, teacher_size: s.teacherSize, student_size: s.studentSize, rule: s.rule,
      indices: indexList(s.indices),
    }])),
    tensors: plan.tensors.map((t) => ({
      name: t.name, source: t.source, dtype: dtypes.get(t.name), shape: t.shape, teacher_shape: t.sourceShape,
      axes: t.axes.map((a) => {
        const space = plan.spaces[a.space];
        const shared = space && (space.indices === a.indices);
        return shared ? { space: a.space } : { space: a.space, indices: indexList(a.indices) };
      }),
    })),
    omitted: plan.omitted,
  };
}

function writeAtomically(file: string, text: string): () => void {
  const tmp = tempPathFor(file);
  fs.writeFileSync(tmp, text);
  return () => fs.renameSync(tmp, file);
}

/** Run a selection end to end. Throws CheckpointError / SelectionError / ConfigError with a clear message. */
export function select(req: SelectRequest): SelectResult {
  if (sameFile(req.teacher, req.out)) throw new SelectionError(`--out ${req.out} is the teacher itself; a teacher is never modified`);
  // Families read from a Hugging Face folder (config.json); "hf" picks one from its model_type.
  const hf = req.arch === 'hf' || isHfFamilyName(req.arch) || (req.arch === 'auto' && isHfFolder(req.teacher))
    ? openHfTeacher(req.teacher, req.arch, req.teacherConfig) : null;
  const reader = openCheckpoint(req.teacher);
  try {
    const { decls, hfDecls } = hf ? declareHfTeacher(req, hf, reader) : { decls: declare(req, reader), hfDecls: null };
    const options = planOptions(req, decls.arch);
    let scoreCache: Map<string, Float64Array> | undefined;
    const plan = planSelection({
      teacher: decls.teacher, student: decls.student, teacherShapes: shapesOf(reader), options,
      scores: (space) => (req.activation ? req.activation.scores : (scoreCache ??= computeSpaceScores(decls.teacher, reader))).get(space),
    });
    if (plan.tensors.length === 0) {
      throw new SelectionError(decls.student.tensors.length === 0
        ? `nothing to write: the student${req.studentTemplate ? ` template ${req.studentTemplate}` : ''} has no tensors`
        : 'nothing to write: every student tensor is excluded (see --exclude and --keep-head)');
    }

    const outDType = req.dtype ? OUTPUT_DTYPES[req.dtype] : undefined;
    if (req.dtype && !outDType) throw new SelectionError(`--dtype must be f32, f16 or bf16, got "${req.dtype}"`);
    const dtypes = new Map<string, DType>();
    for (const t of plan.tensors) {
      const src = reader.tensors.get(t.source)!.dtype;
      dtypes.set(t.name, outDType && isFloating(src) ? outDType : src);
    }
    const headers: TensorHeader[] = plan.tensors.map((t) => ({ name: t.name, dtype: dtypes.get(t.name)!, shape: t.shape }));
    const record = buildRecord(req, decls, plan, options, dtypes);
    const metadata: Record<string, string> = {
      // The teacher's own metadata is kept (a model folder describes itself in config.json instead), except
      // what describes the teacher's file or its training, which the student's record replaces.
      ...(hf ? {} : inheritedMetadata(reader.metadata)),
      format: 'pt',
      'wsel.version': VERSION,
      'wsel.arch': decls.arch,
      'wsel.method': JSON.stringify({
        elements: options.elements, layers: options.layers, heads: options.heads, exclude: options.exclude, keep_head: options.keepHead,
        ...(req.activation ? { calibration: req.activation.source } : {}),
      }),
      'wsel.seed': String(options.seed),
      'wsel.layer_map': JSON.stringify(plan.layerMap),
      'wsel.student_config': JSON.stringify(decls.student.config),
      'wsel.teacher': path.basename(req.teacher),
    };

    // A model folder is assembled beside its final place and renamed into it when complete.
    const folder = hf ? new HfFolderOutput(req.out) : null;
    const recordPath = folder?.recordPath ?? recordPathFor(req.out);
    let writer: CheckpointWriter;
    try {
      writer = openShardedWriter(folder?.weightsPath ?? req.out, headers, metadata, req.maxShardSize ?? (hf ? HF_DEFAULT_SHARD_SIZE : Number.MAX_SAFE_INTEGER));
    } catch (e) {
      folder?.abort();
      throw e;
    }
    // --out names a file, but the writer may make several (shards, index): none of them may be a teacher file.
    const teacherFiles = [req.teacher, ...new Set([...reader.tensors.values()].map((t) => t.file)), ...(req.studentTemplate ? [req.studentTemplate] : [])];
    const clash = [...writer.targets, recordPath].find((out) => teacherFiles.some((t) => sameFile(t, out)));
    if (clash) {
      writer.abort();
      folder?.abort();
      throw new SelectionError(`--out ${req.out} would overwrite ${clash}, which the teacher is read from; a teacher is never modified`);
    }
    let files: string[];
    try {
      const byName = new Map(plan.tensors.map((t) => [t.name, t]));
      const buffers = new GatherBuffers();
      let done = 0;
      for (const header of writer.order) {
        const t = byName.get(header.name)!;
        const src = reader.tensors.get(t.source)!;
        const convert = src.dtype !== header.dtype;
        gatherTensor(reader, t, { name: t.source, elementSize: dtypeSize(src.dtype) }, buffers, (bytes) => {
          writer.write(convert ? convertFloat(bytes, src.dtype, header.dtype) : bytes);
        });
        req.onProgress?.(++done, writer.order.length, t.name);
      }
      const publishRecord = writeAtomically(recordPath, `${JSON.stringify(record, null, 1)}\n`);
      files = writer.commit();
      publishRecord();
      if (folder) files = folder.commit(hf!, hfDecls!, plan.layerMap, outDType);
    } catch (e) {
      writer.abort();
      fs.rmSync(`${recordPath}.tmp-${process.pid}`, { force: true });
      folder?.abort();
      throw e;
    }
    const parameters = plan.tensors.reduce((sum, t) => sum + numel(t.shape), 0);
    const bytes = headers.reduce((sum, h) => sum + numel(h.shape) * dtypeSize(h.dtype), 0);
    return {
      files, record: folder ? path.join(req.out, path.basename(recordPath)) : recordPath, tensors: plan.tensors.length, parameters, bytes,
      teacherConfig: { ...decls.teacher.config }, studentConfig: { ...decls.student.config },
      layerMap: plan.layerMap, omitted: [...plan.omitted],
    };
  } finally {
    reader.close();
  }
}
