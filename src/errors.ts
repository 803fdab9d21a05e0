// The one base of every failure a user can cause (a bad file, flag, config or data set). The CLI prints its
// message on one line, without a stack trace, and exits with its code; anything that is not a WselError is a
// bug and keeps its stack trace.

/** Exit codes of the `wsel` command line (documented in the README). */
export const EXIT_CODES = {
  /** A request that could not be done: bad input file, config, data, checkpoint. */
  error: 1,
  /** The command line itself is wrong (unknown flag, bad value, conflicting flags). */
  usage: 2,
  /** Stopped on request (Ctrl-C / SIGTERM); state that can be resumed is saved. */
  interrupted: 130,
} as const;

export class WselError extends Error {
  /** Process exit code for this failure. */
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_CODES.error) {
    // One line, whatever a file put into the message (a name, a string from a pickle): control characters escaped.
    super(message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A data set the user named cannot be read or used (missing files, corrupt IDX, undecodable image). */
export class DataError extends WselError {}
