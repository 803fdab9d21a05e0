// Failures of a training request (bad config, incompatible checkpoint, missing data): the CLI prints the
// message without a stack trace and exits 1.
import { EXIT_CODES, WselError } from '../errors.js';

export class TrainingError extends WselError {}

/** The run stopped early on request (Ctrl-C); its state is saved. The CLI exits 130. */
export class TrainingInterrupted extends WselError {
  constructor(message: string) {
    super(message, EXIT_CODES.interrupted);
  }
}
