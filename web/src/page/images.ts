// Images the user drops, decoded by the browser (createImageBitmap reads PNG, JPEG, WebP, ...) to RGBA, then
// handed to the training worker, which brings them to the model's input as the data pipeline does.
import type { DroppedFile, TrainData } from '../protocol.js';

export interface RgbaImage {
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

export async function imageFile(file: Blob): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${(file as File).name ?? 'the file'}: not an image this browser can decode`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return { rgba: data, width: canvas.width, height: canvas.height };
}

/**
 * Class folders (…/<class>/<image>) to one uint8 NCHW array at the first image's size (others are drawn scaled to
 * it), gray when every pixel of every image has R = G = B, as wsel's image folders are read.
 */
export async function decodeImageFolders(files: DroppedFile[]): Promise<Extract<TrainData, { kind: 'images' }>> {
  const images = files.filter((f) => /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.path) && !f.path.split('/').some((p) => p.startsWith('.')));
  const classOf = (p: string): string | undefined => p.split('/').slice(-2, -1)[0];
  const classNames = [...new Set(images.map((f) => classOf(f.path)).filter((c): c is string => c !== undefined))].sort();
  if (classNames.length < 2) throw new Error('expected one folder per class (at least two), each holding its images');
  const first = await imageFile(images[0]!.file);
  const [w, h] = [first.width, first.height];
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const rgb = new Uint8Array(images.length * 3 * w * h);
  const labels = new Uint8Array(images.length);
  let gray = true;
  for (const [i, f] of images.entries()) {
    const bitmap = await createImageBitmap(f.file);
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(bitmap, 0, 0, w, h);
    bitmap.close();
    const px = ctx.getImageData(0, 0, w, h).data;
    for (let p = 0; p < w * h; p++) {
      const [r, g, b] = [px[4 * p]!, px[4 * p + 1]!, px[4 * p + 2]!];
      if (r !== g || g !== b) gray = false;
      rgb[(3 * i) * w * h + p] = r;
      rgb[(3 * i + 1) * w * h + p] = g;
      rgb[(3 * i + 2) * w * h + p] = b;
    }
    labels[i] = classNames.indexOf(classOf(f.path)!);
  }
  if (!gray) return { kind: 'images', classNames, height: h, width: w, channels: 3, images: rgb, labels };
  const plane = new Uint8Array(images.length * w * h);
  for (let i = 0; i < images.length; i++) plane.set(rgb.subarray(3 * i * w * h, (3 * i + 1) * w * h), i * w * h);
  return { kind: 'images', classNames, height: h, width: w, channels: 1, images: plane, labels };
}
