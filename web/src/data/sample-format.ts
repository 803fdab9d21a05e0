// The page's built-in data sample: one file, a little-endian uint32 header length, a JSON header (geometry, class
// names, normalization statistics, split sizes), then the train images, train labels, test images, test labels
// as bytes (images NCHW uint8). Written at build time, read by the page.

/** Gzipped; not named .gz, since static servers then send it with Content-Encoding: gzip (it is unpacked twice). */
export const SAMPLE_FILE = 'mnist-sample.bin';

export interface SampleHeader {
  name: string;
  classNames: string[];
  height: number;
  width: number;
  channels: number;
  stats: { mean: number[]; std: number[] };
  train: number;
  test: number;
}

export interface SampleSplit {
  images: Uint8Array;
  labels: Uint8Array;
}

export interface Sample extends Omit<SampleHeader, 'train' | 'test'> {
  train: SampleSplit;
  test: SampleSplit;
}

export function encodeSample(s: Sample): Uint8Array {
  const header: SampleHeader = { ...s, train: s.train.labels.length, test: s.test.labels.length };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const parts = [s.train.images, s.train.labels, s.test.images, s.test.labels];
  const out = new Uint8Array(4 + json.length + parts.reduce((n, p) => n + p.length, 0));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function decodeSample(bytes: Uint8Array): Sample {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n))) as SampleHeader;
  const per = h.channels * h.height * h.width;
  let at = 4 + n;
  const take = (len: number): Uint8Array => {
    if (at + len > bytes.length) throw new Error(`the data sample is truncated (${bytes.length} bytes)`);
    const part = bytes.subarray(at, at + len);
    at += len;
    return part;
  };
  const train = { images: take(h.train * per), labels: take(h.train) };
  const test = { images: take(h.test * per), labels: take(h.test) };
  return { ...h, train, test };
}
