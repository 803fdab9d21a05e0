// The library names options as TrainOptions does (minLr, kd.alpha); the command line names them as its flags
// (--min-lr, --kd-alpha). Errors that name options are re-worded here, at the edge.
import { OptionError } from '../training/options.js';
import { TrainingError } from '../training/errors.js';

/** Options whose flag is not their name in kebab case. */
const FLAGS: Record<string, string> = {
  family: '--model',
  'augment.cropPad': '--crop-pad',
  'augment.flip': '--flip',
  'augment.mixup': '--mixup',
  'augment.cutmix': '--cutmix',
  'augment.labelSmoothing': '--smoothing',
};

export function flagOf(option: string): string {
  return FLAGS[option] ?? `--${option.replace('.', '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Run `fn`; an OptionError comes out worded with the command line's flags (same exit code). */
export async function withFlagNames<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OptionError) throw new TrainingError(e.render(flagOf));
    throw e;
  }
}
