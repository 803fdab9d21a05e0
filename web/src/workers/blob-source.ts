// A ByteSource over a Blob (a dropped File): each read takes one Blob.slice and reads it synchronously with
// FileReaderSync, which only workers have. Only the requested range is ever in memory.
import type { ByteSource } from '../../../src/checkpoint/source.js';

/** FileReaderSync is part of the worker global scope (not in the DOM typings the page compiles with). */
interface FileReaderSyncLike {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}
declare const FileReaderSync: { new(): FileReaderSyncLike };

export function blobSource(blob: Blob, name: string): ByteSource {
  const reader = new FileReaderSync();
  return {
    name,
    size: blob.size,
    read(offset, into) {
      const end = Math.min(blob.size, offset + into.length);
      if (end <= offset) return 0;
      const bytes = new Uint8Array(reader.readAsArrayBuffer(blob.slice(offset, end)));
      into.set(bytes);
      return bytes.length;
    },
  };
}
