// Preloaded (node --import) into the `wsel` processes that robustness tests and benchmarks measure: on exit,
// writes the process's peak resident memory (KiB) and CPU time (microseconds) as JSON to WSEL_MAX_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.WSEL_MAX_RSS_FILE;
  if (!file) return;
  const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
  writeFileSync(file, JSON.stringify({ maxRSS, cpu: userCPUTime + systemCPUTime }));
});
