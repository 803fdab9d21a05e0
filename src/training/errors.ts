// Failures of a training request (bad config, incompatible checkpoint, missing data): the CLI prints the
// message without a stack trace and exits 1.

export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

/** The run stopped early on request (Ctrl-C); its state is saved. The CLI exits 130. */
export class TrainingInterrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingInterrupted';
  }
}
