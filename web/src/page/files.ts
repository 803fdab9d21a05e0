// Files the user hands over: from a file picker (with webkitRelativePath for folders) or a drop (walking dropped
// folders through the File System entries API). Only File handles are collected; nothing is read here.
import type { DroppedFile } from '../protocol.js';

export function fromInput(input: HTMLInputElement): DroppedFile[] {
  return [...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    const next = (): void => reader.readEntries((batch) => {
      if (batch.length === 0) resolve(out);
      else {
        out.push(...batch);
        next();
      }
    }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries((entry as FileSystemDirectoryEntry).createReader())) await walk(child, path, out);
  }
}

export async function fromDrop(data: DataTransfer): Promise<DroppedFile[]> {
  const entries = [...data.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return [...data.files].map((file) => ({ file, path: file.name }));
  const out: DroppedFile[] = [];
  for (const e of entries) await walk(e, '', out);
  return out;
}

/** Make an element a drop target that hands the dropped files to `onFiles`. */
export function dropTarget(target: HTMLElement, onFiles: (files: DroppedFile[]) => void): void {
  target.addEventListener('dragover', (e) => {
    e.preventDefault();
    target.classList.add('over');
  });
  target.addEventListener('dragleave', () => target.classList.remove('over'));
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    target.classList.remove('over');
    if (e.dataTransfer) void fromDrop(e.dataTransfer).then(onFiles);
  });
}
