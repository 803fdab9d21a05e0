// Hugging Face model folders on both ends of `select`: the teacher's config.json and family, and the student's
// folder, assembled in a temporary sibling folder (shards, index, config.json, tokenizer and generation files,
// selection record) and renamed into place only when complete, so an error never leaves a half-written model.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../arch/config-util.js';
import { companionFiles, readHfConfig, studentHfJson, type HfFamily, type HfJson } from '../arch/hf-config.js';
import { HF_FAMILIES, hfFamilyFor, isHfFamilyName } from '../arch/index.js';
import type { ArchDecl } from '../arch/types.js';
import { fsyncDir } from '../checkpoint/io.js';
import type { CheckpointReader } from '../checkpoint/types.js';
import { SelectionError } from './plan.js';

/** transformers' save_pretrained default shard size. */
export const HF_DEFAULT_SHARD_SIZE = 5_000_000_000;
export const HF_WEIGHTS_NAME = 'model.safetensors';
export const HF_RECORD_NAME = 'wsel_selection.json';

export interface HfTeacher {
  readonly dir: string;
  readonly json: HfJson;
  readonly family: HfFamily<any>;
}

/**
 * The teacher folder's config and family: `arch` names the family, or "hf"/"auto" detect it from model_type.
 * `teacher` is the folder or a weights file in it (model.safetensors.index.json, model.safetensors).
 */
export function openHfTeacher(teacher: string, arch: string, corrections?: Record<string, unknown>): HfTeacher {
  const dir = isDirectory(teacher) ? teacher : path.dirname(teacher);
  const json = { ...readHfConfig(dir), ...corrections };
  const named = isHfFamilyName(arch) ? HF_FAMILIES[arch] : undefined;
  if (named) {
    const type = json.model_type;
    const other = Object.values(HF_FAMILIES).find((f) => f !== named && typeof type === 'string' && f.modelTypes.includes(type));
    if (other) throw new ConfigError(`${dir}: config.json says model_type "${String(type)}", a ${other.name} model, not ${arch}; use --arch ${other.name} or --arch hf`);
    return { dir, json, family: named };
  }
  return { dir, json, family: hfFamilyFor(json) };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface HfDeclarations {
  teacher: ArchDecl;
  student: ArchDecl;
  teacherConfig: object;
  studentConfig: object;
}

export function declareHf(t: HfTeacher, reader: CheckpointReader, student: Record<string, unknown>): HfDeclarations {
  const teacherConfig = t.family.fromHf(t.json, new Set(reader.tensors.keys()));
  const studentConfig = t.family.studentConfig(teacherConfig, student);
  return { teacher: t.family.declare(teacherConfig), student: t.family.declare(studentConfig), teacherConfig, studentConfig };
}

/** The student's folder while it is being written: everything goes to `tmpDir`, renamed to `out` on commit. */
export class HfFolderOutput {
  readonly tmpDir: string;
  private committed = false;

  constructor(readonly out: string) {
    let existing: fs.Stats | undefined;
    try {
      existing = fs.statSync(out);
    } catch {
      // does not exist yet: the usual case
    }
    if (existing && !(existing.isDirectory() && fs.readdirSync(out).length === 0)) {
      throw new SelectionError(`--out ${out} already exists; give a new folder (an empty one is fine)`);
    }
    this.tmpDir = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.tmp-${process.pid}`);
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  get weightsPath(): string {
    return path.join(this.tmpDir, HF_WEIGHTS_NAME);
  }

  get recordPath(): string {
    return path.join(this.tmpDir, HF_RECORD_NAME);
  }

  /** Write config.json, copy the teacher's companion files, and move the folder into place; returns its files. */
  commit(teacher: HfTeacher, decls: HfDeclarations, layerMap: Readonly<Record<string, number[]>>, dtype?: string): string[] {
    const layers = Object.values(layerMap)[0] ?? [];
    const json = studentHfJson(teacher.family, teacher.json, decls.teacherConfig, decls.studentConfig, layers, dtype);
    fs.writeFileSync(path.join(this.tmpDir, 'config.json'), `${JSON.stringify(json, null, 2)}\n`);
    for (const name of companionFiles(teacher.dir)) fs.copyFileSync(path.join(teacher.dir, name), path.join(this.tmpDir, name));
    if (fs.existsSync(this.out)) fs.rmdirSync(this.out); // checked empty in the constructor
    fs.renameSync(this.tmpDir, this.out);
    this.committed = true;
    fsyncDir(path.dirname(path.resolve(this.out)));
    return fs.readdirSync(this.out).sort().map((name) => path.join(this.out, name));
  }

  abort(): void {
    if (!this.committed) fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
