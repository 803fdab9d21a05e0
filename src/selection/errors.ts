// The error every selection step throws for a problem with the user's input (shown as one line, exit 1).
export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}
