// `select`, the portable core: a teacher (a reader over its byte sources) in, a student checkpoint out through
// sinks. Plans every tensor, streams the selected bytes into a writer that publishes its files only once
// everything is written, and records what was done (in the output's metadata and a sidecar JSON) so a selection
// can be audited. The path-based `select` is the Node edge (./node/select.ts).
import { declareFromShapes } from '../arch/generic.js';
import { ConfigError } from '../arch/config-util.js';
import { detectFamily, FAMILIES, isHfFamilyName, isVisionFamilyName } from '../arch/index.js';
import { ARCH_NAMES, type ArchName } from '../arch/family-names.js';
import { inferWithRecord, recordedConfig } from '../arch/recorded-config.js';
import type { ArchDecl, Component, Family } from '../arch/types.js';
import { COMPONENTS, tensorShape } from '../arch/types.js';
import { encodeUtf8 } from '../checkpoint/bytes.js';
import { convertFloat, dtypeSize, isFloating, numel } from '../checkpoint/dtype.js';
import { openShardedWriterTo } from '../checkpoint/sharded-writer.js';
import type { ByteSink, SinkFactory } from '../checkpoint/source.js';
import type { CheckpointReader, CheckpointWriter, DType, TensorHeader } from '../checkpoint/types.js';
import { preview } from '../safe-json.js';
import { VERSION } from '../version.js';
import { GatherBuffers, gatherTensor } from './gather.js';
import {
  declareHf, HF_DEFAULT_SHARD_SIZE, HF_RECORD_NAME, HF_WEIGHTS_NAME, writeHfFolderFiles, type HfDeclarations, type HfTeacher,
} from './hf-folder.js';
import { ELEMENT_RULES, SCORED_RULES, type ElementRule } from './index-rules.js';
import type { LayerRule } from './layers.js';
import { spaceScores } from './magnitude.js';
import { planSelection, SelectionError, type HeadMode, type PlanOptions, type SelectionPlan } from './plan.js';
import { RECIPE_NAMES, recipeFor, type RecipeName } from './recipes.js';

export { ARCH_NAMES, type ArchName };
export function isHfArch(arch: ArchName): boolean {
  return arch === 'hf' || isHfFamilyName(arch);
}
export type OutputDType = 'f32' | 'f16' | 'bf16';
const OUTPUT_DTYPES: Record<OutputDType, DType> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/** What to select, whatever the teacher and output are. */
export interface SelectionOptions {
  arch: ArchName;
  /** Student config overrides over the teacher's (timm constructor names). Required for named families. */
  student?: Record<string, unknown>;
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
  /** Bytes per output shard; default: one file (5 GB shards for a model folder). */
  maxShardSize?: number;
  /** Called after each tensor is written. */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

/** The teacher, opened: its weights, and for a Hugging Face teacher its folder's config and files. */
export interface SelectionTeacher {
  readonly reader: CheckpointReader;
  /** The file or folder name the output records as its teacher. */
  readonly name: string;
  readonly hf?: HfTeacher | null;
  /** Generic mode: a checkpoint whose tensor names and shapes define the student (values ignored). */
  readonly template?: { readonly reader: CheckpointReader; readonly name: string } | null;
}

/**
 * Where the student goes. For a file teacher, `out` is `X.safetensors`: shards become
 * `X-0000i-of-0000n.safetensors` + `X.safetensors.index.json` and the record `X.selection.json`. For a Hugging
 * Face teacher the output is a folder and `open` receives names inside it (model.safetensors, config.json, ...).
 */
export interface SelectionOutput {
  readonly out: string;
  readonly open: SinkFactory;
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
  /** The rules used: those given, the rest from the recipe. */
  rules: { recipe: RecipeName; elements: ElementRule; layers: LayerRule; heads: HeadMode };
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

function declare(req: SelectionOptions, teacher: SelectionTeacher): Declarations {
  const shapes = shapesOf(teacher.reader);
  if (req.arch === 'generic') {
    if (!teacher.template) throw new SelectionError('--arch generic needs --student-template (a checkpoint with the student\'s tensor names and shapes)');
    return { teacher: declareFromShapes(shapes), student: declareFromShapes(shapesOf(teacher.template.reader)), arch: 'generic' };
  }
  const family = req.arch === 'auto' ? detectFamily(shapes) : isVisionFamilyName(req.arch) ? FAMILIES[req.arch] : null;
  if (!family && req.arch === 'auto') {
    throw new SelectionError(`${teacher.reader.path}: the architecture cannot be told from the tensor names; give --arch (generic works for any model, given --student-template)`);
  }
  if (!family) throw new SelectionError(`unknown architecture "${req.arch}" (known: ${ARCH_NAMES.join(', ')})`);
  const arch = family.name;
  checkLayerIndices(teacher.reader);
  const student = requireStudent(req, arch);
  recordedConfig(teacher.reader.metadata, teacher.reader.path); // a corrupt record is the file's fault, not the family's
  let teacherConfig: Record<string, unknown>;
  try {
    // What shapes cannot show (the head count) comes from a config recorded by wsel, then from the user.
    teacherConfig = inferWithRecord(family, shapes, teacher.reader.metadata, teacher.reader.path);
  } catch (e) {
    throw new SelectionError(`${teacher.reader.path}: ${(e as Error).message} (is --arch ${arch} right? --arch generic works for any model)`);
  }
  const file = teacher.reader.path;
  if (req.teacherConfig) {
    teacherConfig = family.studentConfig(teacherConfig, req.teacherConfig) as Record<string, unknown>;
    checkTeacherShapes(family.declare(teacherConfig), shapes, file, req.teacherConfig);
  }
  let studentConfig: Record<string, unknown>;
  try {
    studentConfig = family.studentConfig(teacherConfig, student) as Record<string, unknown>;
  } catch (e) {
    const guessed = unrecordedFields(family, teacher.reader.metadata, req.teacherConfig).filter((f) => (e as Error).message.includes(f));
    if (!(e instanceof ConfigError) || guessed.length === 0) throw e;
    throw new ConfigError(`${e.message} (the teacher's ${guessed.join(', ')} is not recorded in ${file} and was assumed; --teacher-config '{"${guessed[0]}":...}' gives it)`);
  }
  family.checkStudent?.(teacherConfig, studentConfig);
  return { teacher: family.declare(teacherConfig), student: family.declare(studentConfig), arch };
}

/**
 * A family's layer count is read off the largest index in names like `blocks.<i>.`; an index beyond the number of
 * tensors cannot be a real layer (every layer has tensors), and declaring that many layers would take the time
 * and memory the file only pretends to need.
 */
function checkLayerIndices(reader: CheckpointReader): void {
  for (const name of reader.tensors.keys()) {
    for (const part of name.split('.')) {
      if (/^\d+$/.test(part) && Number(part) >= reader.tensors.size) {
        throw new SelectionError(`${reader.path}: tensor ${preview(name)} claims layer ${part}, but the checkpoint holds only ${reader.tensors.size} tensors`);
      }
    }
  }
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

function requireStudent(req: SelectionOptions, arch: string): Record<string, unknown> {
  if (!req.student) throw new SelectionError(`--student is required for --arch ${arch} (JSON config overrides, e.g. ${arch === 'llama' ? '{"hidden_size":2048}' : '{"embed_dim":192}'}; {} copies the teacher)`);
  return req.student;
}

/**
 * The plan options a request asks for, checked. `family` is the teacher's family (its recipe fills the rules not
 * given); before the teacher is read, the requested `--arch` serves to check the rest.
 */
export function planOptions(req: SelectionOptions, family: string): PlanOptions {
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

/**
 * Whole heads keep the teacher's head width. A student whose heads are narrower (its num_heads given so) gets
 * flat heads from a recipe, rather than an error about a --heads flag the user did not give.
 */
function fitRecipeHeads(options: PlanOptions, req: SelectionOptions, decls: Declarations): PlanOptions {
  if (req.heads !== undefined || options.heads !== 'whole' || isHfFamilyName(decls.arch)) return options;
  const widths = (d: ArchDecl): Set<number> => new Set(Object.values(d.spaces).filter((sp) => sp.heads).map((sp) => sp.size / sp.heads!));
  const teacherWidths = widths(decls.teacher);
  return [...widths(decls.student)].every((w) => teacherWidths.has(w)) ? options : { ...options, heads: 'flat' };
}

function inheritedMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith('wsel.') && k !== 'total_size'));
}

const indexList = (indices: Int32Array | null) => (indices ? Array.from(indices) : null);

/** The audit record: every space's indices and every tensor's source, in plain JSON. */
function buildRecord(req: SelectionOptions, teacherName: string, decls: Declarations, plan: SelectionPlan, options: PlanOptions, dtypes: Map<string, DType>) {
  return {
    tool: 'wsel',
    version: VERSION,
    arch: decls.arch,
    teacher: { file: teacherName, config: decls.teacher.config },
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

/** A finished (not yet published) text file. */
function finishedText(open: SinkFactory, name: string, text: string): ByteSink {
  const sink = open(name);
  try {
    sink.write(encodeUtf8(text));
    sink.finish();
    return sink;
  } catch (e) {
    sink.abort();
    throw e;
  }
}

/**
 * Run a selection as a generator that pauses after every read of the teacher, so that a driver can keep an
 * event loop turning and stop it (`return()` on the generator discards every file it was writing). Throws
 * CheckpointError / SelectionError / ConfigError with a clear message.
 */
export function* selectionSteps(req: SelectionOptions, teacher: SelectionTeacher, output: SelectionOutput): Generator<void, SelectResult> {
  const hf = teacher.hf ?? null;
  const reader = teacher.reader;
  planOptions(req, hf ? hf.family.name : req.arch);
  let hfDecls: HfDeclarations | null = null;
  let decls: Declarations;
  if (hf) {
    hfDecls = declareHf(hf, new Set(reader.tensors.keys()), requireStudent(req, hf.family.name));
    decls = { teacher: hfDecls.teacher, student: hfDecls.student, arch: hf.family.name };
  } else {
    decls = declare(req, teacher);
  }
  // The recipe is the teacher family's, known once the teacher is declared.
  const options = fitRecipeHeads(planOptions(req, decls.arch), req, decls);
  const scores = req.activation?.scores
    ?? (options.elements === 'magnitude' ? yield* spaceScores(decls.teacher, reader) : null);
  const plan = planSelection({
    teacher: decls.teacher, student: decls.student, teacherShapes: shapesOf(reader), options,
    scores: (space) => scores?.get(space),
  });
  if (plan.tensors.length === 0) {
    throw new SelectionError(decls.student.tensors.length === 0
      ? `nothing to write: the student${teacher.template ? ` template ${teacher.template.name}` : ''} has no tensors`
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
  const record = buildRecord(req, teacher.name, decls, plan, options, dtypes);
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
    'wsel.teacher': teacher.name,
  };

  const weightsName = hf ? HF_WEIGHTS_NAME : output.out;
  const recordName = hf ? HF_RECORD_NAME : recordPathFor(output.out);
  const maxShardSize = req.maxShardSize ?? (hf ? HF_DEFAULT_SHARD_SIZE : Number.MAX_SAFE_INTEGER);
  const writer: CheckpointWriter = openShardedWriterTo(output.open, weightsName, headers, metadata, maxShardSize);
  const others: ByteSink[] = [];
  let published = false;
  try {
    const byName = new Map(plan.tensors.map((t) => [t.name, t]));
    const buffers = new GatherBuffers();
    let done = 0;
    for (const header of writer.order) {
      const t = byName.get(header.name)!;
      const src = reader.tensors.get(t.source)!;
      const convert = src.dtype !== header.dtype;
      yield* gatherTensor(reader, t, { name: t.source, elementSize: dtypeSize(src.dtype) }, buffers, (bytes) => {
        writer.write(convert ? convertFloat(bytes, src.dtype, header.dtype) : bytes);
      });
      req.onProgress?.(++done, writer.order.length, t.name);
    }
    others.push(finishedText(output.open, recordName, `${JSON.stringify(record, null, 1)}\n`));
    if (hf) for (const sink of writeHfFolderFiles(output.open, hf, hfDecls!, plan.layerMap, outDType)) others.push(sink);
    const files = writer.commit();
    for (const sink of others) sink.publish();
    published = true;
    const parameters = plan.tensors.reduce((sum, t) => sum + numel(t.shape), 0);
    const bytes = headers.reduce((sum, h) => sum + numel(h.shape) * dtypeSize(h.dtype), 0);
    return {
      files: hf ? [...files, ...others.map((s) => s.name)].sort() : files,
      record: recordName, tensors: plan.tensors.length, parameters, bytes,
      teacherConfig: { ...decls.teacher.config }, studentConfig: { ...decls.student.config },
      layerMap: plan.layerMap, omitted: [...plan.omitted],
      rules: { recipe: req.recipe ?? 'best', elements: options.elements, layers: options.layers, heads: options.heads },
    };
  } finally {
    // Reached on errors and when the driver stops the generator: nothing half written stays.
    if (!published) {
      writer.abort();
      for (const sink of others) sink.abort();
    }
  }
}

/** Drive a generator to its end, synchronously. */
export function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Run a selection end to end, synchronously; see selectionSteps. */
export function selectStudent(req: SelectionOptions, teacher: SelectionTeacher, output: SelectionOutput): SelectResult {
  return runToEnd(selectionSteps(req, teacher, output));
}
