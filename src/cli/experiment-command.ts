// `wsel experiment`: run a grid of `wsel select` + `wsel train` commands declared in a JSON file, resumably.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { parseIntArg, UsageError } from './common.js';

interface ExperimentFlags {
  out?: string;
  only?: string;
  stage?: string;
  parts?: string;
  dryRun?: boolean;
  list?: boolean;
  failFast?: boolean;
  rerunChanged?: boolean;
  verifyChanged?: boolean;
  threads?: string;
}

export function parseParts(text: string): { part: number; parts: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--parts must look like N/M (part N of M), got "${text}"`);
  const part = Number(m[1]);
  const parts = Number(m[2]);
  if (!(parts >= 1 && part >= 1 && part <= parts)) throw new UsageError(`--parts ${text}: N must be between 1 and M`);
  return { part, parts };
}

export function experimentCommand(): Command {
  return new Command('experiment')
    .summary('run a grid of select + train runs (init method x dataset x train size x seed) from a JSON file')
    .description('Run every run of the grid declared in CONFIG (a JSON file: seeds, datasets with train-set sizes\n'
      + 'and schedules, methods as `wsel select` / `wsel prune` / `wsel train` flags, claims to check). Each run is\n'
      + 'the `wsel` commands printed before it runs, each in its own process, into DIR/DATASET/METHOD/sSEED\n'
      + '(metrics.jsonl, summary.json, log.txt, run.json with the commands). Resumable: a run whose summary.json\n'
      + 'says it finished is skipped, an interrupted one continues (train --resume); Ctrl-C stops after saving.\n'
      + 'A finished run whose commands changed since (the config was edited), or whose KD teacher or pre-trained\n'
      + 'start was made again, is not reused silently: the runner stops and names it; --rerun-changed redoes it.\n'
      + 'DIR/results.jsonl lists every run (status, accuracy, commands); `wsel report DIR` renders the claims.\n'
      + 'Parts (--parts 1/2, --parts 2/2) may run at the same time: a run another part is doing is waited for.\n'
      + 'Paths in CONFIG (teachers) are relative to the working directory.')
    .argument('<config>', 'experiment JSON file (see experiments/*.json)')
    .option('--out <dir>', 'results folder (default: experiments/results/<name>)')
    .option('--only <patterns>', 'only runs whose id DATASET/METHOD/sSEED matches: globs, comma-separated, {a,b} alternatives (e.g. "mnist-1k/vit/*", "**/s0")')
    .option('--stage <list>', 'only runs of these stages (comma-separated, e.g. 1 or 1,2; stages order a grid: see the config)')
    .option('--parts <N/M>', 'run part N of M (the grid split into M parts of similar cost, each resumable)')
    .option('--dry-run', 'print the commands of the runs still to do, and run nothing')
    .option('--list', 'list the runs and their status')
    .option('--rerun-changed', 'clear and redo finished runs that no longer match the config (their old results are deleted)')
    .option('--verify-changed', 'for finished runs whose only change is their select command: run the new command again and keep the run when it selects the same student as the one recorded (student.selection.json); then stop, listing what still differs')
    .option('--fail-fast', 'stop at the first failed run (default: go on with the runs that do not need it)')
    .option('--threads <n>', 'OpenBLAS threads per run (default: 1 per part, so parts can share the cores)', '1')
    .addHelpText('after', `
Examples:
  wsel experiment experiments/smoke.json --out /tmp/smoke            # a couple of tiny runs (seconds)
  wsel experiment experiments/claims.json --dry-run --only 'mnist-1k/vit/*'
  wsel experiment experiments/claims.json --stage 1                  # the headline runs first (see experiments/README.md)
  wsel experiment experiments/claims.json --parts 1/2 &  wsel experiment experiments/claims.json --parts 2/2
  wsel experiment experiments/claims.json --verify-changed          # after pinning a select flag: keep what selects the same
  wsel report experiments/results/claims

Exit codes: 0 every selected run finished, 1 a run failed or a config error, 2 bad flags, 130 stopped (resumable).`)
    .action(async (configFile: string, flags: ExperimentFlags) => {
      const { loadConfig, planRuns, matchRun, partOf, runGrid, collectRecords, changedRuns, quitRunningCommands, shellQuote, isFinished, writeResults, CONFIG_COPY, ExperimentError } = await import('../experiment/index.js');
      const threads = parseIntArg('--threads', flags.threads ?? '1', 1);
      const p = flags.parts ? parseParts(flags.parts) : null;
      const config = loadConfig(configFile);
      const root = flags.out ?? `experiments/results/${config.name}`;
      const all = planRuns(config, root);
      let selected = all;
      if (flags.only) selected = selected.filter((r) => matchRun(flags.only!, r));
      if (flags.stage) {
        const stages = flags.stage.split(',').map((t) => parseIntArg('--stage', t.trim(), 1));
        selected = selected.filter((r) => stages.includes(r.stage));
      }
      if (p) selected = partOf(selected, p.part, p.parts);
      if (selected.length === 0) throw new UsageError(`no run matches${flags.only ? ` --only ${flags.only}` : ''}${flags.stage ? ` --stage ${flags.stage}` : ''}${p ? ` in part ${p.part}/${p.parts}` : ''} (the grid has ${all.length}; see --list)`);
      if (flags.list) {
        const recs = new Map(collectRecords(all).map((r) => [r.id, r]));
        for (const r of selected) {
          const rec = recs.get(r.id)!;
          process.stdout.write(`${rec.status.padEnd(8)} ${r.id}${rec.final_acc !== null ? `  ${(100 * rec.final_acc).toFixed(2)}%` : ''}${rec.changed ? `  (${rec.changed})` : ''}\n`);
        }
        return;
      }
      if (flags.verifyChanged) {
        const { verifyReselections } = await import('../experiment/reselect.js');
        const v = verifyReselections(all, selected, { ...process.env, OPENBLAS_NUM_THREADS: String(threads) }, (line) => process.stderr.write(`${line}\n`));
        for (const [id, why] of v.remaining) process.stdout.write(`changed  ${id}  (${why})\n`);
        process.stdout.write(`${v.verified.length} changed run${v.verified.length === 1 ? '' : 's'} verified to select the same student and kept; ${v.remaining.size} still changed${v.remaining.size ? ' (--rerun-changed redoes them)' : ''}\n`);
        // The recorded runs now follow this config: it is the copy reports read.
        writeFileSync(path.join(root, CONFIG_COPY), `${JSON.stringify(config, null, 2)}\n`);
        writeResults(root, all);
        return;
      }
      if (flags.dryRun) {
        const changed = changedRuns(all);
        const todo = selected.filter((r) => !isFinished(r.dir) || changed.has(r.id));
        for (const r of todo) {
          process.stdout.write(`# ${r.id}${changed.has(r.id) ? ` (finished, but ${changed.get(r.id)}: redone with --rerun-changed)` : ''}\n`);
          for (const c of r.commands) process.stdout.write(`${shellQuote(['wsel', ...c])}\n`);
        }
        process.stdout.write(`# ${todo.length} of ${selected.length} selected runs to do (${all.length} in the grid)\n`);
        return;
      }
      let stop = false;
      const onSigint = (): void => {
        if (stop) {
          quitRunningCommands(); // the run in progress keeps its last saved state and continues with --resume
          process.exit(130);
        }
        stop = true;
        process.stderr.write('\nwsel experiment: stopping (the run in progress saves its state; Ctrl-C again to quit now)\n');
      };
      process.on('SIGINT', onSigint);
      try {
        process.stderr.write(`wsel experiment: ${config.name}, ${selected.length} runs${p ? ` (part ${p.part}/${p.parts})` : ''} of ${all.length}, into ${root}\n`);
        const result = await runGrid({
          config, all, selected, root, failFast: Boolean(flags.failFast), rerunChanged: Boolean(flags.rerunChanged), shouldStop: () => stop,
          env: { OPENBLAS_NUM_THREADS: String(threads) },
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${result.ran.length} ran, ${result.skipped.length} already done, ${result.failed.length} failed, ${result.blocked.length} blocked; ${root}/results.jsonl\n`);
        if (result.stopped) {
          process.stderr.write('wsel experiment: stopped; run the same command again to continue\n');
          process.exitCode = 130;
        } else if (result.failed.length || result.blocked.length) {
          throw new ExperimentError(`failed: ${[...result.failed, ...result.blocked].join(', ')} (see each run's log.txt)`);
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
