// Hugging Face model folders on disk (Node only): the teacher folder's files as sources, and the student folder
// assembled in a temporary sibling folder and renamed into place only when complete, so an error or a stop
// never leaves a half-written model.
import fs from 'node:fs';
import path from 'node:path';
import { fileSink, fileSource, fsyncDir, removeDeadTemps } from '../../checkpoint/node/files.js';
import type { ByteSource, SinkFactory } from '../../checkpoint/source.js';
import { SelectionError } from '../errors.js';
import { HF_CONFIG_NAME, hfTeacherFromFiles, type HfTeacher } from '../hf-folder.js';

/** Whether `p` is a model folder: a folder with a config.json. */
export function isHfFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory() && fs.existsSync(path.join(p, HF_CONFIG_NAME));
  } catch {
    return false;
  }
}

/** A folder's top-level files by name (opened on first read). */
export function folderFiles(dir: string): Map<string, ByteSource> {
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch { /* no such folder: the config.json lookup says so */ }
  return new Map(entries.filter((e) => e.isFile()).map((e) => [e.name, fileSource(path.join(dir, e.name))]));
}

/** The teacher folder's config and family; `teacher` is the folder or a weights file in it. */
export function openHfTeacher(teacher: string, arch: string, corrections?: Record<string, unknown>): HfTeacher {
  const dir = isDirectory(teacher) ? teacher : path.dirname(teacher);
  return hfTeacherFromFiles(dir, folderFiles(dir), arch, corrections);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The student's folder while it is being written: everything goes to `tmpDir`, made when the first file is
 * opened and renamed to `out` on commit.
 */
export class HfFolderOutput {
  readonly tmpDir: string;
  private created = false;
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
  }

  /** Sinks for the folder's files, by name. */
  readonly open: SinkFactory = (name) => {
    if (!this.created) {
      // Folders of runs that were killed (SIGKILL) go first.
      removeDeadTemps(path.dirname(this.tmpDir), `.${path.basename(this.out)}.tmp-`);
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
      fs.mkdirSync(this.tmpDir, { recursive: true });
      this.created = true;
    }
    return fileSink(path.join(this.tmpDir, name));
  };

  /** Move the finished folder into place. */
  commit(): void {
    if (fs.existsSync(this.out)) fs.rmdirSync(this.out); // checked empty in the constructor
    fs.renameSync(this.tmpDir, this.out);
    this.committed = true;
    fsyncDir(path.dirname(path.resolve(this.out)));
  }

  abort(): void {
    if (this.created && !this.committed) fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
