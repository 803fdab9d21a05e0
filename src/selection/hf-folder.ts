// Hugging Face model folders on both ends of `select`, given as files (name -> source) and written through
// sinks: the teacher's config.json and family, and the student folder's config.json and the tokenizer,
// generation and license files it shares with the teacher.
import { ConfigError } from '../arch/config-util.js';
import { isCompanionFile, parseHfConfig, studentHfJson, type HfFamily, type HfJson } from '../arch/hf-config.js';
import { HF_FAMILIES, hfFamilyFor, isHfFamilyName } from '../arch/index.js';
import type { ArchDecl } from '../arch/types.js';
import { compareUtf8, decodeUtf8, encodeUtf8 } from '../checkpoint/bytes.js';
import { readAt, readExact, type ByteSink, type ByteSource, type SinkFactory } from '../checkpoint/source.js';

/** transformers' save_pretrained default shard size. */
export const HF_DEFAULT_SHARD_SIZE = 5_000_000_000;
export const HF_WEIGHTS_NAME = 'model.safetensors';
export const HF_RECORD_NAME = 'wsel_selection.json';
export const HF_CONFIG_NAME = 'config.json';
/** A config.json is a few kilobytes; beyond this it is refused rather than read into memory. */
const MAX_CONFIG_BYTES = 16 << 20;

export interface HfTeacher {
  /** The folder, as errors name it. */
  readonly dir: string;
  readonly json: HfJson;
  readonly family: HfFamily<any>;
  /** Files the student folder gets a copy of, by name. */
  readonly companions: ReadonlyMap<string, ByteSource>;
}

/** config.json of a model folder given as its top-level files. */
export function readHfConfig(dir: string, files: ReadonlyMap<string, ByteSource>): HfJson {
  const source = files.get(HF_CONFIG_NAME);
  if (source === undefined) throw new ConfigError(`${dir}: no config.json (a Hugging Face model folder needs one)`);
  if (source.size > MAX_CONFIG_BYTES) {
    source.close?.();
    throw new ConfigError(`${source.name}: ${source.size} bytes is too large for a config.json (limit ${MAX_CONFIG_BYTES})`);
  }
  try {
    return parseHfConfig(decodeUtf8(readAt(source, 0, source.size, 'config.json')), source.name);
  } finally {
    source.close?.();
  }
}

/** The companion files among a folder's files, sorted by name. */
export function companionFiles(files: ReadonlyMap<string, ByteSource>): Map<string, ByteSource> {
  return new Map([...files].filter(([name]) => isCompanionFile(name)).sort((a, b) => compareUtf8(a[0], b[0])));
}

/**
 * The teacher folder's config and family: `arch` names the family, or "hf"/"auto" detect it from model_type.
 * `files` are the folder's top-level files by name; `corrections` go over config.json.
 */
export function hfTeacherFromFiles(dir: string, files: ReadonlyMap<string, ByteSource>, arch: string,
  corrections?: Record<string, unknown>): HfTeacher {
  const json = { ...readHfConfig(dir, files), ...corrections };
  const companions = companionFiles(files);
  const named = isHfFamilyName(arch) ? HF_FAMILIES[arch] : undefined;
  if (named) {
    const type = json.model_type;
    const other = Object.values(HF_FAMILIES).find((f) => f !== named && typeof type === 'string' && f.modelTypes.includes(type));
    if (other) throw new ConfigError(`${dir}: config.json says model_type "${String(type)}", a ${other.name} model, not ${arch}; use --arch ${other.name} or --arch hf`);
    return { dir, json, family: named, companions };
  }
  return { dir, json, family: hfFamilyFor(json), companions };
}

export interface HfDeclarations {
  teacher: ArchDecl;
  student: ArchDecl;
  teacherConfig: object;
  studentConfig: object;
}

/**
 * Teacher and student declarations. The teacher's layers are bounded by its checkpoint (see hfLayerCount); the
 * student may repeat teacher layers (an explicit --layers list), but not have more layers than the teacher
 * has tensors, so its declaration stays proportional to the files.
 */
export function declareHf(t: HfTeacher, names: ReadonlySet<string>, student: Record<string, unknown>): HfDeclarations {
  let teacherConfig: object;
  try {
    teacherConfig = t.family.fromHf(t.json, names);
  } catch (e) {
    // What config.json says does not fit the folder's weights: name the folder.
    if (e instanceof ConfigError) throw new ConfigError(`${t.dir}: ${e.message}`);
    throw e;
  }
  const studentConfig = t.family.studentConfig(teacherConfig, student);
  const layers = t.family.layerCount(studentConfig);
  if (layers > names.size) {
    throw new ConfigError(`a student of ${layers} layers cannot be selected from a teacher of ${t.family.layerCount(teacherConfig)} layers (${names.size} tensors)`);
  }
  return { teacher: t.family.declare(teacherConfig), student: t.family.declare(studentConfig), teacherConfig, studentConfig };
}

const COPY_CHUNK = 1 << 20;

/**
 * Write the student folder's config.json and copies of the teacher's companion files into sinks (finished, not
 * yet published); the caller publishes them with the weights.
 */
export function writeHfFolderFiles(open: SinkFactory, teacher: HfTeacher, decls: HfDeclarations,
  layerMap: Readonly<Record<string, number[]>>, dtype?: string): ByteSink[] {
  const sinks: ByteSink[] = [];
  try {
    const layers = Object.values(layerMap)[0] ?? [];
    const json = studentHfJson(teacher.family, teacher.json, decls.teacherConfig, decls.studentConfig, layers, dtype);
    const config = open(HF_CONFIG_NAME);
    sinks.push(config);
    config.write(encodeUtf8(`${JSON.stringify(json, null, 2)}\n`));
    config.finish();
    for (const [name, source] of teacher.companions) {
      const sink = open(name);
      sinks.push(sink);
      const chunk = new Uint8Array(Math.min(COPY_CHUNK, source.size));
      for (let at = 0; at < source.size; at += chunk.length) {
        const part = chunk.subarray(0, Math.min(chunk.length, source.size - at));
        sink.write(readExact(source, at, part, name));
      }
      sink.finish();
      source.close?.();
    }
    return sinks;
  } catch (e) {
    for (const s of sinks) s.abort();
    throw e;
  }
}
