// `wsel report`: the claims of an experiment's results as an HTML page with plots and a RESULTS.md table.
import path from 'node:path';
import { Command } from 'commander';
import { UsageError } from './common.js';

interface ReportFlags {
  config?: string;
  headline?: string;
  html?: string;
  md?: string;
  json?: boolean;
}

export function reportCommand(): Command {
  return new Command('report')
    .summary('render the results of `wsel experiment` as HTML with plots and a RESULTS.md table')
    .description('Read DIR (the results folder of `wsel experiment`: its experiment.json and every run\'s summary.json and\n'
      + 'metrics.jsonl) and write an HTML page (accuracy curves per init method, final accuracy with error bars per\n'
      + 'claim, compute-to-accuracy; inline SVG) and a Markdown table of every claim: mean ± std over seeds, the\n'
      + 'seeds, the commands, and "reproduced" / "not reproduced" by a one-sided Welch t-test (p < 0.05).')
    .argument('<dir>', 'results folder')
    .option('--config <file>', 'experiment JSON (default: DIR/experiment.json, the copy the runner keeps)')
    .option('--headline <dir>', 'open the report with the headline of another results folder: the recipe its `choices` pick on validation, against the baselines on test (default: DIR\'s own, when its config declares choices)')
    .option('--html <file>', 'HTML output (default: DIR/report.html)')
    .option('--md <file>', 'Markdown output (default: DIR/RESULTS.md)')
    .option('--json', 'print the claims\' verdicts as JSON')
    .addHelpText('after', `
Examples:
  wsel report experiments/results/claims --headline experiments/results/recipes --html experiments/report/index.html --md experiments/RESULTS.md
  wsel report /tmp/smoke`)
    .action(async (dir: string, flags: ReportFlags) => {
      const { analyze, buildHeadline, writeReport, changedText } = await import('../experiment/index.js');
      const a = analyze(dir, flags.config);
      const source = flags.headline ? analyze(flags.headline) : a;
      const headline = source.config.choices?.length ? buildHeadline(source) : undefined;
      if (flags.headline && !headline) throw new UsageError(`--headline ${flags.headline}: its config declares no "choices"`);
      const out = await writeReport(a, flags.html ?? path.join(dir, 'report.html'), flags.md ?? path.join(dir, 'RESULTS.md'), headline);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(a.claims.map((c) => ({ id: c.spec.id, title: c.spec.title, verdict: c.verdict, summary: c.summary })), null, 2)}\n`);
        return;
      }
      for (const c of headline?.choices ?? []) process.stdout.write(`choice ${c.spec.id}: ${c.chosen ? `${c.chosen.method} (validation ${(100 * c.chosen.score!).toFixed(2)}%)` : 'not every candidate has run yet'}\n`);
      for (const c of a.claims) process.stdout.write(`claim ${c.spec.id} (${c.spec.title}): ${c.verdict} - ${c.summary}\n`);
      process.stdout.write(`${a.runtime.done} of ${a.runtime.runs} runs finished${changedText(a)}; wrote ${out.html} and ${out.markdown}\n`);
    });
}
