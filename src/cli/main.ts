// The `wsel` command line: one subcommand per module, errors turned into messages and exit codes.
import { Command, CommanderError } from 'commander';
import { EXIT_CODES, WselError } from '../errors.js';
import { installNodeEngine } from '../engine/node/install.js';
import { VERSION } from '../version.js';
import { benchCommand } from './bench-command.js';
import { demoCommand } from './demo-command.js';
import { infoCommand } from './info-command.js';
import { evalCommand } from './eval-command.js';
import { experimentCommand } from './experiment-command.js';
import { exportCommand } from './export-command.js';
import { inspectCommand } from './inspect-command.js';
import { predictCommand } from './predict-command.js';
import { pruneCommand } from './prune-command.js';
import { reportCommand } from './report-command.js';
import { selectCommand } from './select-command.js';
import { trainCommand } from './train-command.js';

/** Descriptions are written as wrapped source lines; commander re-wraps them to the terminal, so single line
 *  breaks become spaces and only blank lines separate paragraphs. */
function reflowDescriptions(command: Command): void {
  command.description(command.description().replace(/(?<!\n)\n(?!\n)/g, ' '));
  for (const sub of command.commands) reflowDescriptions(sub);
}

export function buildProgram(): Command {
  const program = new Command('wsel')
    .description('Initialize small neural networks from large pretrained ones by weight selection, and train them.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const command of [selectCommand(), inspectCommand(), trainCommand(), evalCommand(), predictCommand(), pruneCommand(), exportCommand(), demoCommand(), experimentCommand(), reportCommand(), benchCommand(), infoCommand()]) {
    reflowDescriptions(command);
    program.addCommand(command.exitOverride());
  }
  return program;
}

/** Known failures print one clear line; anything else is a bug and keeps its stack trace. */
export async function run(argv: string[]): Promise<number> {
  try {
    installNodeEngine(process.env);
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof WselError) {
      // Usage mistakes and interruptions read as plain sentences; failed requests say "error:".
      const label = e.exitCode === EXIT_CODES.error ? 'error: ' : '';
      process.stderr.write(`wsel: ${label}${e.message}\n`);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && err.syscall) {
      process.stderr.write(`wsel: error: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`wsel: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
