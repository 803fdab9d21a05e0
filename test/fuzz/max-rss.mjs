// Preloaded (node --import) into the `wsel` processes the robustness tests run: on exit, writes the process's
// peak resident memory in KiB to the file named by WSEL_MAX_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.WSEL_MAX_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
