// Messages between the page and its two workers. The selection worker reads the teacher (synchronously, a byte
// range at a time, with FileReaderSync) and writes the student; the training worker owns the engine.
import type { InspectReport as Describe } from '../../src/selection/describe.js';
import type { RecipeName } from '../../src/selection/recipes.js';

/** A dropped file with its path inside a dropped folder ('' for a loose file). */
export interface DroppedFile {
  file: File;
  path: string;
}

/** What `wsel inspect` reports, plus the name the page shows. */
export type InspectReport = Describe & { name: string };

export interface SelectRequest {
  /** JSON overrides over the teacher's config (or over the named model's). */
  student: Record<string, unknown>;
  /** A timm model name whose config the student starts from. */
  modelName?: string;
  /** Where the rules not given come from, as `wsel select --recipe`. */
  recipe: RecipeName;
  elements?: string;
  layers?: string;
  keepHead: boolean;
  dtype?: 'f32' | 'f16' | 'bf16';
}

export interface OutputFile {
  name: string;
  bytes: Uint8Array;
}

export interface SelectSummary {
  arch: string;
  parameters: number;
  layerMap: unknown;
  /** The rules used: those given, the rest from the recipe. */
  rules: { recipe: string; elements: string; layers: unknown; heads: string };
  studentConfig: Record<string, unknown>;
  files: OutputFile[];
  millis: number;
}

export type ToSelection =
  | { type: 'open'; files: DroppedFile[] }
  | { type: 'select'; request: SelectRequest };

export type FromSelection =
  | { type: 'inspected'; report: InspectReport; presets: string[] }
  | { type: 'progress'; done: number; total: number }
  | { type: 'selected'; summary: SelectSummary }
  | { type: 'error'; message: string };

/** Images for training: the built-in sample, or decoded dropped images (uint8 NCHW) with their labels. */
export type TrainData =
  | { kind: 'sample' }
  | { kind: 'images'; classNames: string[]; height: number; width: number; channels: number; images: Uint8Array; labels: Uint8Array };

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export type ToTraining =
  | { type: 'train'; student: Uint8Array; data: TrainData; settings: TrainSettings; sampleUrl: string }
  | { type: 'stop' }
  | { type: 'predict'; image: { rgba: Uint8ClampedArray<ArrayBuffer>; width: number; height: number } }
  | { type: 'export' };

export interface StepReport {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  trainAccuracy: number;
  imagesPerSecond: number;
}

export type FromTraining =
  | { type: 'ready'; threads: number; data: { train: number; test: number; classes: string[]; side: number } }
  | { type: 'step'; report: StepReport }
  | { type: 'evaluated'; epoch: number; step: number; accuracy: number; loss: number }
  | { type: 'done'; stopped: boolean; accuracy: number }
  | { type: 'prediction'; top: { name: string; probability: number }[]; input: { data: Float32Array; side: number } }
  | { type: 'exported'; safetensors: Uint8Array; onnx: Uint8Array }
  | { type: 'error'; message: string };
