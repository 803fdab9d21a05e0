// The two renderings of an analysis: an HTML page with inline SVG plots (Vega-Lite, rendered headless) and a
// RESULTS.md table. Both come from the same `Analysis`, so the numbers agree.
import fs from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { RULE, type Analysis, type Cell, type ClaimResult, type PairRow } from './analyze.js';
import { CHOICE_RULE, type ChoiceResult, type Headline, type HeadlineRow, type TeacherQualityResult } from './headline.js';

const pct = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : (100 * v).toFixed(digits));
// A standard deviation needs two seeds; one seed is said as such rather than shown as "± 0.00".
const cellText = (c: Cell | null): string => (!c ? 'not run' : c.accs.length < 2 ? `${pct(c.mean)} (1 seed)` : `${pct(c.mean)} ± ${pct(c.std)}`);
const seedsText = (c: Cell | null): string => (c ? c.seeds.slice().sort((a, b) => a - b).join(',') : '-');
const pText = (p: number | null): string => (p === null || Number.isNaN(p) ? '-' : p < 0.001 ? '<0.001' : p.toFixed(3));
const signed = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${pct(v)}`);

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Finished runs whose config changed are left out of every table and plot; say so. */
export function changedText(a: Analysis): string {
  return a.runtime.changed ? `; ${a.runtime.changed} finished run${a.runtime.changed > 1 ? 's' : ''} left out because the config changed since (\`wsel experiment --rerun-changed\` redoes them)` : '';
}

function verdictText(r: PairRow): string {
  return r.verdict === 'compared' ? 'compared' : `${r.verdict}${r.note ? ` (${r.note})` : ''}`;
}

/** Markdown table cell: no pipes or newlines. */
const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function pairTableMd(rows: PairRow[]): string[] {
  const out = ['| train set | A | B | A: acc % (mean ± std) | B: acc % (mean ± std) | seeds A / B | A − B (pts) | p (Welch, one-sided) | verdict |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    out.push(`| ${r.dataset} | ${md(r.betterLabel)} | ${md(r.worseLabel)} | ${cellText(r.better)} | ${cellText(r.worse)} | ${seedsText(r.better)} / ${seedsText(r.worse)} | ${signed(r.diff)} | ${pText(r.p)} | ${verdictText(r)} |`);
  }
  return out;
}

function claimMd(c: ClaimResult): string[] {
  const out = [`### Claim ${c.spec.id}: ${c.spec.title} — **${c.verdict}**`, ''];
  if (c.spec.claim) out.push(`> ${c.spec.claim}`, '');
  out.push(`${c.summary}.`, '');
  if (c.kind === 'compare') {
    if (c.pairs.length) for (const line of pairTableMd(c.pairs)) out.push(line);
    if (c.compared.length) {
      out.push('', c.pairs.length ? 'Compared too (no verdict):' : 'Compared (no verdict):', '');
      for (const line of pairTableMd(c.compared)) out.push(line);
    }
  } else if (c.kind === 'trend') {
    out.push('| train set | weight selection acc % | baseline acc % | gain (pts) ± s.e. | seeds |', '|---|---|---|---|---|');
    for (const t of c.trend) out.push(`| ${t.dataset} | ${cellText(t.better)} | ${cellText(t.worse)} | ${t.gain === null ? 'not run' : `${signed(t.gain)} ± ${pct(t.se)}`} | ${seedsText(t.better)} / ${seedsText(t.worse)} |`);
  } else {
    out.push('| train set | method | acc % (mean ± std) | seeds | training time (s, incl. pre-training) | time ratio | training images | image ratio | reaches target |', '|---|---|---|---|---|---|---|---|---|');
    for (const r of c.compute) {
      out.push(`| ${r.dataset} | ${md(r.label)} | ${r.mean === null ? 'not run' : `${pct(r.mean)} ± ${pct(r.std)}`} | ${r.n} | ${r.seconds === null ? '-' : r.seconds.toFixed(1)} | ${r.timeRatio === null ? '-' : `${r.timeRatio.toFixed(2)}x`} | ${r.images === null ? '-' : Math.round(r.images)} | ${r.imageRatio === null ? '-' : `${r.imageRatio.toFixed(2)}x`} | ${r.reaches === null ? '-' : r.reaches ? 'yes' : 'no'} |`);
    }
  }
  out.push('');
  return out;
}

function commandsMd(a: Analysis): string[] {
  const out = ['## Commands', '', 'Every run is these commands with its own seed and folder (all of them, as run, are in `results.jsonl` and each run\'s `run.json`). One example per method:', ''];
  const seen = new Set<string>();
  for (const r of a.records) {
    if (seen.has(r.method)) continue;
    seen.add(r.method);
    out.push(`**${md(r.method)}** (${r.id}):`, '', '```sh');
    for (const command of r.commands) out.push(command);
    out.push('```', '');
  }
  return out;
}

export function renderMarkdown(a: Analysis, headline?: Headline): string {
  const rt = a.runtime;
  const out = [
    `# Results: ${a.config.name}`,
    '',
    ...(headline ? [...headlineMd(headline), `## The ${a.config.name} grid`, ''] : []),
    a.config.description ?? '',
    '',
    `Generated by \`wsel report\` from \`${a.root}\` (${rt.done} of ${rt.runs} runs finished${rt.failed ? `, ${rt.failed} failed` : ''}${changedText(a)}). Accuracies are final test accuracies in percent, mean ± sample standard deviation over seeds.`,
    '',
    '## Decision rule',
    '',
    RULE,
    '',
    '## Claims',
    '',
    '| claim | verdict | summary |',
    '|---|---|---|',
    ...a.claims.map((c) => `| ${md(c.spec.id)}: ${md(c.spec.title)} | ${c.verdict} | ${md(c.summary)} |`),
    '',
    ...a.claims.flatMap(claimMd),
    '## All results',
    '',
    '| train set | method | acc % (mean ± std) | seeds | train s / run |',
    '|---|---|---|---|---|',
    ...[...a.cells.values()].map((c) => `| ${c.dataset} | ${md(c.label)} | ${cellText(c)} | ${seedsText(c)} | ${c.trainSeconds.toFixed(1)} |`),
    '',
    '## Runtime',
    '',
    `Measured wall time of the finished runs (one process each, start-up, selection, training and evaluation): ${formatDuration(rt.measuredSeconds)}. `
      + `Estimated for the ${rt.runs - rt.done} runs not finished, from the measured time per step of similar runs: ${formatDuration(rt.estimatedRemainingSeconds)}. `
      + `Whole grid: about ${formatDuration(rt.estimatedTotalSeconds)} in one process, about ${formatDuration(rt.estimatedTotalSeconds / 2)} as two parts at once on two cores.`,
    '',
    '| train set | runs | finished | measured | estimated rest |',
    '|---|---|---|---|---|',
    ...rt.byDataset.map((d) => `| ${d.dataset} | ${d.runs} | ${d.done} | ${formatDuration(d.seconds)} | ${formatDuration(d.estimated)} |`),
    '',
    ...commandsMd(a),
  ];
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

// ---- the headline: the recipe chosen on validation, confirmed on test ----

const headlineVerdictText = (r: HeadlineRow): string => (r.verdict === 'not run' ? 'not run yet' : r.verdict);

function choiceSummary(c: ChoiceResult): string {
  if (!c.chosen) return 'Not every candidate has a validation result on every train set yet.';
  const sep = c.separation;
  const noise = !sep ? '' : sep.withinNoise
    ? ` The runner-up (${c.runnerUp!.label}) is within noise of it on validation (${signed(sep.diff)} pts over seeds ${sep.seeds.join(',')}, p = ${pText(sep.p)}).`
    : ` It separates from the runner-up (${c.runnerUp!.label}) on validation (${signed(sep.diff)} pts over seeds ${sep.seeds.join(',')}, p = ${pText(sep.p)}).`;
  return `Chosen: **${c.chosen.label}** (\`${c.chosen.method}\`), validation accuracy ${pct(c.chosen.score)}% averaged over ${c.datasets.join(', ')}.${noise}`;
}

function headlineTableMd(rows: HeadlineRow[], chosenLabel: string): string[] {
  const out = [`| train set | ${md(chosenLabel)}: test acc % | against | its test acc % | seeds | difference (pts) | p (Welch, one-sided) | verdict |`, '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    out.push(`| ${r.dataset} | ${cellText(r.chosen)} | ${md(r.baselineLabel)} | ${cellText(r.other)} | ${seedsText(r.chosen)} / ${seedsText(r.other)} | ${signed(r.diff)} | ${pText(r.p)} | ${headlineVerdictText(r)} |`);
  }
  return out;
}

function candidatesMd(c: ChoiceResult): string[] {
  const out = [`| recipe | validation: mean of train sets | ${c.datasets.map((d) => `${d} val`).join(' | ')} | ${c.datasets.map((d) => `${d} test`).join(' | ')} |`,
    `|---|---|${c.datasets.map(() => '---|').join('')}${c.datasets.map(() => '---|').join('')}`];
  for (const r of c.candidates) {
    const mark = r === c.chosen ? ' (chosen)' : '';
    out.push(`| ${md(r.label)}${mark} | ${pct(r.score)} | ${r.val.map(cellText).join(' | ')} | ${r.test.map(cellText).join(' | ')} |`);
  }
  return out;
}

function teacherQualityMd(t: TeacherQualityResult): string[] {
  const out = [`### ${md(t.spec.title)}`, '', '| train set | teacher | teacher test acc % | student test acc % | random init acc % | gain (pts) ± s.e. | seeds |', '|---|---|---|---|---|---|---|'];
  for (const p of t.points) {
    out.push(`| ${p.dataset} | ${md(p.teacher)} | ${pct(p.teacherAccuracy)} | ${cellText(p.student)} | ${cellText(p.baseline)} | ${p.gain === null ? 'not run' : `${signed(p.gain)} ± ${pct(p.se)}`} | ${seedsText(p.student)} / ${seedsText(p.baseline)} |`);
  }
  return [...out, ''];
}

/** How much of the grid ran, and its measured run time (summed over runs; parts run side by side). */
const headlineRunsText = (h: Headline): string =>
  `${h.runtime.done} of ${h.runtime.runs} runs finished, ${(h.runtime.measuredSeconds / 3600).toFixed(1)} h of measured run time summed over runs`;

export function headlineMd(h: Headline): string[] {
  const choices = h.choices.flatMap((c) => [
    `### ${md(c.spec.title)}`, '', choiceSummary(c), '',
    ...(c.chosen ? ['The chosen recipe on the test split (mean ± std over seeds):', '', ...headlineTableMd(c.rows, c.chosen.label), ''] : []),
    'Every candidate (final accuracy %, mean ± std over seeds; best validation score first):', '', ...candidatesMd(c), '',
  ]);
  return ['## Headline: which selection recipe to use', '', `From \`${h.root}\` (${headlineRunsText(h)}). ${CHOICE_RULE}`, '',
    ...choices, ...h.teacherQuality.flatMap(teacherQualityMd)];
}

function headlineHtml(h: Headline): string[] {
  const parts = ['<h2 id="headline">Headline: which selection recipe to use</h2>', `<p>From <code>${esc(h.root)}</code> (${esc(headlineRunsText(h))}). ${inline(CHOICE_RULE)}</p>`];
  for (const c of h.choices) {
    parts.push(`<h3>${esc(c.spec.title)}</h3>`, `<p>${inline(choiceSummary(c))}</p>`);
    if (c.chosen) {
      parts.push(`<table><tr><th>train set</th><th>${esc(c.chosen.label)}: test acc %</th><th>against</th><th>its test acc %</th><th>seeds</th><th>difference (pts)</th><th>p</th><th>verdict</th></tr>\n`
        + c.rows.map((r) => `<tr class="${r.verdict.replace(/ /g, '-')}"><td>${esc(r.dataset)}</td><td>${cellText(r.chosen)}</td><td>${esc(r.baselineLabel)}</td><td>${cellText(r.other)}</td>`
          + `<td>${seedsText(r.chosen)} / ${seedsText(r.other)}</td><td>${signed(r.diff)}</td><td>${pText(r.p)}</td><td>${esc(headlineVerdictText(r))}</td></tr>`).join('\n') + '</table>');
    }
    parts.push(`<details><summary>Every candidate (validation and test accuracy)</summary><table><tr><th>recipe</th><th>validation: mean of train sets</th>${c.datasets.map((d) => `<th>${esc(d)} val</th>`).join('')}${c.datasets.map((d) => `<th>${esc(d)} test</th>`).join('')}</tr>\n`
      + c.candidates.map((r) => `<tr><td>${esc(r.label)}${r === c.chosen ? ' <b>(chosen)</b>' : ''}</td><td>${pct(r.score)}</td>${r.val.map((x) => `<td>${cellText(x)}</td>`).join('')}${r.test.map((x) => `<td>${cellText(x)}</td>`).join('')}</tr>`).join('\n')
      + '</table></details>');
  }
  for (const t of h.teacherQuality) {
    parts.push(`<h3>${esc(t.spec.title)}</h3><table><tr><th>train set</th><th>teacher</th><th>teacher test acc %</th><th>student acc %</th><th>random init acc %</th><th>gain (pts) ± s.e.</th></tr>\n`
      + t.points.map((p) => `<tr><td>${esc(p.dataset)}</td><td>${esc(p.teacher)}</td><td>${pct(p.teacherAccuracy)}</td><td>${cellText(p.student)}</td><td>${cellText(p.baseline)}</td><td>${p.gain === null ? 'not run' : `${signed(p.gain)} ± ${pct(p.se)}`}</td></tr>`).join('\n') + '</table>');
  }
  return parts;
}

// ---- plots ----

/**
 * Method names are long (Vega-Lite truncates labels at 180 px by default). Legend symbols are drawn opaque and
 * large: they otherwise inherit the faint opacity of the error bands, and 6-7 curves cannot be told apart.
 */
const LONG_LABELS = { axis: { labelLimit: 460 }, legend: { labelLimit: 400, symbolOpacity: 1, symbolSize: 160, symbolStrokeWidth: 3 } };
/** Epochs are whole numbers: integer ticks, never a lone "1.000000" when a run has one epoch. */
const EPOCH_AXIS = { format: 'd', tickMinStep: 1 };

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function curveSpec(title: string, points: Analysis['curves'][number]['points']): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: LONG_LABELS,
    title, width: 520, height: 300,
    data: { values: points.map((p) => ({ ...p, mean: 100 * p.mean, lo: 100 * p.lo, hi: 100 * p.hi })) },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: EPOCH_AXIS },
      color: { field: 'label', type: 'nominal', title: 'init', legend: { symbolType: 'stroke' } },
    },
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } }, y2: { field: 'hi' } } },
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

function claimSpec(c: ClaimResult): TopLevelSpec | null {
  const cells = new Map<string, Cell>();
  for (const r of [...c.pairs, ...c.compared]) for (const x of [r.better, r.worse]) if (x) cells.set(`${x.dataset}|${x.method}`, x);
  for (const t of c.trend) for (const x of [t.better, t.worse]) if (x) cells.set(`${x.dataset}|${x.method}`, x);
  const values = [...cells.values()].map((x) => ({
    row: `${x.dataset} · ${x.label}`, dataset: x.dataset, mean: 100 * x.mean, lo: 100 * (x.mean - x.std), hi: 100 * (x.mean + x.std), n: x.accs.length,
  }));
  if (values.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: LONG_LABELS,
    title: `Claim ${c.spec.id}: final accuracy (mean ± std over seeds)`, width: 420, height: { step: 18 },
    data: { values },
    encoding: { y: { field: 'row', type: 'nominal', title: null, sort: null }, color: { field: 'dataset', type: 'nominal', title: 'train set' } },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lo', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { x: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

function computeSpec(c: ClaimResult): TopLevelSpec | null {
  const values = c.compute.filter((r) => r.mean !== null && r.seconds !== null).map((r) => ({
    label: r.label, dataset: r.dataset, seconds: r.seconds, mean: 100 * r.mean!, lo: 100 * (r.mean! - (r.std ?? 0)), hi: 100 * (r.mean! + (r.std ?? 0)),
  }));
  if (values.length === 0) return null;
  // One panel per train set: their accuracies and run times differ too much to share axes.
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: LONG_LABELS,
    title: `Claim ${c.spec.id}: accuracy vs training compute`,
    data: { values },
    // Two panels a row, so three train sets still fit a 1200 px page.
    facet: { field: 'dataset', type: 'nominal', title: 'train set', sort: [...new Set(values.map((v) => v.dataset))] },
    columns: 2,
    spec: {
      width: 260, height: 220,
      encoding: {
        x: { field: 'seconds', type: 'quantitative', scale: { type: 'log' }, title: 'training time per run, incl. pre-training (s, log)' },
        color: { field: 'label', type: 'nominal', title: 'method' },
      },
      layer: [
        { mark: { type: 'rule' }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } }, y2: { field: 'hi' } } },
        { mark: { type: 'point', filled: true, size: 70 }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as TopLevelSpec;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The bit of Markdown the generated text uses (bold) as HTML. */
/** The Markdown the report's prose uses (bold, code) as HTML. */
const inline = (s: string): string => esc(s).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/`([^`]+)`/g, '<code>$1</code>');

function pairTableHtml(rows: PairRow[]): string {
  const head = '<tr><th>train set</th><th>A</th><th>B</th><th>A acc %</th><th>B acc %</th><th>seeds A / B</th><th>A − B</th><th>p</th><th>verdict</th></tr>';
  const body = rows.map((r) => `<tr class="${r.verdict.replace(/ /g, '-')}"><td>${esc(r.dataset)}</td><td>${esc(r.betterLabel)}</td><td>${esc(r.worseLabel)}</td>`
    + `<td>${cellText(r.better)}</td><td>${cellText(r.worse)}</td><td>${seedsText(r.better)} / ${seedsText(r.worse)}</td><td>${signed(r.diff)}</td><td>${pText(r.p)}</td><td>${esc(verdictText(r))}</td></tr>`).join('\n');
  return `<table>${head}\n${body}</table>`;
}

export async function renderHtml(a: Analysis, headline?: Headline): Promise<string> {
  const parts: string[] = [];
  parts.push(`<h1>Weight selection: ${esc(a.config.name)}</h1>`);
  if (headline) {
    for (const part of headlineHtml(headline)) parts.push(part);
    parts.push(`<h2>The ${esc(a.config.name)} grid</h2>`);
  }
  if (a.config.description) parts.push(`<p>${esc(a.config.description)}</p>`);
  parts.push(`<p>${a.runtime.done} of ${a.runtime.runs} runs finished${esc(changedText(a))}. Generated ${esc(a.generated)} by <code>wsel report</code>.</p>`);
  parts.push(`<h2>Decision rule</h2><p>${inline(RULE)}</p>`);
  parts.push('<h2>Claims</h2><table><tr><th>claim</th><th>verdict</th><th>summary</th></tr>'
    + a.claims.map((c) => `<tr class="${c.verdict.replace(/ /g, '-')}"><td><a href="#claim-${esc(c.spec.id)}">${esc(c.spec.id)}</a>: ${esc(c.spec.title)}</td><td>${c.verdict}</td><td>${esc(c.summary)}</td></tr>`).join('\n')
    + '</table>');
  if (a.curves.length) {
    parts.push('<h2>Accuracy during training</h2>');
    for (const c of a.curves) parts.push(`<figure>${await toSvg(curveSpec(c.title, c.points))}</figure>`);
  }
  for (const c of a.claims) {
    parts.push(`<h2 id="claim-${esc(c.spec.id)}">Claim ${esc(c.spec.id)}: ${esc(c.spec.title)} — ${c.verdict}</h2>`);
    if (c.spec.claim) parts.push(`<blockquote>${esc(c.spec.claim)}</blockquote>`);
    parts.push(`<p>${esc(c.summary)}.</p>`);
    if (c.kind === 'compare') {
      if (c.pairs.length) parts.push(pairTableHtml(c.pairs));
      if (c.compared.length) parts.push(`<p>${c.pairs.length ? 'Compared too' : 'Compared'} (no verdict):</p>`, pairTableHtml(c.compared));
    } else if (c.kind === 'trend') {
      parts.push('<table><tr><th>train set</th><th>weight selection</th><th>baseline</th><th>gain (pts) ± s.e.</th></tr>'
        + c.trend.map((t) => `<tr><td>${esc(t.dataset)}</td><td>${cellText(t.better)}</td><td>${cellText(t.worse)}</td><td>${t.gain === null ? 'not run' : `${signed(t.gain)} ± ${pct(t.se)}`}</td></tr>`).join('\n') + '</table>');
    } else {
      parts.push('<table><tr><th>train set</th><th>method</th><th>acc %</th><th>seeds</th><th>training s</th><th>time ratio</th><th>image ratio</th><th>reaches target</th></tr>'
        + c.compute.map((r) => `<tr><td>${esc(r.dataset)}</td><td>${esc(r.label)}</td><td>${r.mean === null ? 'not run' : `${pct(r.mean)} ± ${pct(r.std)}`}</td><td>${r.n}</td><td>${r.seconds?.toFixed(1) ?? '-'}</td>`
          + `<td>${r.timeRatio === null ? '-' : `${r.timeRatio.toFixed(2)}x`}</td><td>${r.imageRatio === null ? '-' : `${r.imageRatio.toFixed(2)}x`}</td><td>${r.reaches === null ? '-' : r.reaches ? 'yes' : 'no'}</td></tr>`).join('\n') + '</table>');
      const spec = computeSpec(c);
      if (spec) parts.push(`<figure>${await toSvg(spec)}</figure>`);
    }
    const spec = claimSpec(c);
    if (spec) parts.push(`<figure>${await toSvg(spec)}</figure>`);
  }
  const rt = a.runtime;
  parts.push(`<h2>Runtime</h2><p>Measured: ${formatDuration(rt.measuredSeconds)} for ${rt.done} runs. Estimated for the rest: ${formatDuration(rt.estimatedRemainingSeconds)}. `
    + `Whole grid: about ${formatDuration(rt.estimatedTotalSeconds)} in one process (about ${formatDuration(rt.estimatedTotalSeconds / 2)} as two parts on two cores).</p>`);
  parts.push('<h2>Commands</h2><p>Every run, with its commands, is in <code>results.jsonl</code>.</p>');
  const seen = new Set<string>();
  for (const r of a.records) {
    if (seen.has(r.method)) continue;
    seen.add(r.method);
    parts.push(`<details><summary>${esc(r.method)} (${esc(r.id)})</summary><pre>${esc(r.commands.join('\n'))}</pre></details>`);
  }
  const css = 'body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}'
    + 'table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}'
    + 'tr.reproduced td:last-child,tr.better td:last-child{color:#0a6b2a}tr.not-reproduced td:last-child,tr.worse td:last-child{color:#a31515}figure{margin:1em 0}'
    + 'figure svg{max-width:100%;height:auto}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}blockquote{color:#555;border-left:3px solid #ccc;margin:.5em 0;padding-left:.8em}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>wsel results: ${esc(a.config.name)}</title><style>${css}</style></head>\n<body>\n${parts.join('\n')}\n</body></html>\n`;
}

export interface WriteReportResult {
  html: string;
  markdown: string;
}

export async function writeReport(a: Analysis, htmlFile: string, mdFile: string, headline?: Headline): Promise<WriteReportResult> {
  const html = await renderHtml(a, headline);
  const markdown = renderMarkdown(a, headline);
  for (const [f, text] of [[htmlFile, html], [mdFile, markdown]] as const) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
  return { html: htmlFile, markdown: mdFile };
}
