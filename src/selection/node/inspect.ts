// What `wsel inspect` reports for a checkpoint file, sharded index or model folder on disk: the portable
// describeCheckpoint over the file's reader. The modules load on first use, so `wsel --help` stays fast.
import type { InspectReport } from '../describe.js';

export type { HfReport, InspectReport } from '../describe.js';

export async function inspectCheckpoint(file: string): Promise<InspectReport> {
  const [{ describeCheckpoint }, { openCheckpoint }, { isHfFolder, folderFiles }, { readHfConfig, companionFiles }] = await Promise.all([
    import('../describe.js'), import('../../checkpoint/node/open.js'), import('./hf-files.js'), import('../hf-folder.js'),
  ]);
  const reader = openCheckpoint(file);
  try {
    const files = isHfFolder(file) ? folderFiles(file) : null;
    const hf = files ? { json: readHfConfig(file, files), companions: [...companionFiles(files).keys()] } : null;
    return describeCheckpoint(reader, file, hf);
  } finally {
    reader.close();
  }
}
