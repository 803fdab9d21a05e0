// The library names options as TrainOptions does (minLr, kd.alpha); the command line names them as its flags
// (--min-lr, --kd-alpha). Errors that name options are re-worded here, at the edge.
import { OptionError } from '../training/options.js';
import { TrainingError } from '../training/errors.js';

/** Options whose flag is not their name in kebab case. */
const FLAGS: Record<string, string> = {
  family: '--model',
  'kd.family': '--kd-model',
  'augment.cropPad': '--crop-pad',
  'augment.flip': '--flip',
  'augment.mixup': '--mixup',
  'augment.cutmix': '--cutmix',
  'augment.labelSmoothing': '--smoothing',
};

export function flagOf(option: string): string {
  return FLAGS[option] ?? `--${option.replace('.', '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Run `fn`; an OptionError comes out worded with the command line's flags (same exit code). `flags` names the
 * flags of a command that calls an option otherwise (`wsel prune --arch` for family).
 */
export async function withFlagNames<T>(fn: () => T | Promise<T>, flags: Record<string, string> = {}): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OptionError) throw new TrainingError(e.render((option) => flags[option] ?? flagOf(option)));
    throw e;
  }
}
