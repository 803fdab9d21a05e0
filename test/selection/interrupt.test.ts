// Ctrl-C (SIGINT) and SIGTERM during `wsel select`: the command stops between reads, removes every file it was
// writing (temp files, the temporary student folder) and exits 130; the output folder is left as it was.
// The teachers are sparse files (their tensors are holes), so they are large to read but cheap to make.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llama } from '../../src/arch/index.js';
import { tensorShape } from '../../src/arch/types.js';
import { encodeHeader, writeOrder } from '../../src/checkpoint/safetensors-writer.js';
import { byteLengthOf, type TensorHeader } from '../../src/checkpoint/index.js';
import { llamaJson } from '../llm/helpers.js';
import { makeTmpDir, REPO_ROOT } from '../helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

/** A safetensors file whose data region is a hole of zeros. */
function writeSparse(file: string, headers: readonly TensorHeader[]): void {
  const order = writeOrder(headers);
  const header = encodeHeader(order, [['format', 'pt']]);
  fs.writeFileSync(file, header);
  fs.truncateSync(file, header.length + order.reduce((s, h) => s + byteLengthOf(h.dtype, h.shape), 0));
}

/** Run `wsel select`, send `signal` as soon as a temp file or folder appears in `watch`; resolves with the outcome. */
function selectAndSignal(args: string[], watch: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/wsel.js'), 'select', '--no-progress', ...args], { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    let signalled = false;
    const poll = setInterval(() => {
      if (!signalled && fs.readdirSync(watch).some((n) => n.includes('.tmp-'))) {
        signalled = true;
        child.kill(signal);
      }
    }, 2);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stderr, signalled });
    });
  });
}

describe('wsel select stopped by a signal', () => {
  it('SIGINT while writing a safetensors file: exit 130, nothing left in the output folder', async () => {
    const teacher = tmp.file('big.safetensors');
    writeSparse(teacher, [{ name: 'w', dtype: 'F32', shape: [4096, 65536] }]); // 1 GiB of holes
    const template = tmp.file('template.safetensors');
    writeSparse(template, [{ name: 'w', dtype: 'F32', shape: [2048, 8192] }]);
    const out = tmp.file('out-int');
    fs.mkdirSync(out);
    const r = await selectAndSignal(['--arch', 'generic', '--teacher', teacher, '--student-template', template, '--out', path.join(out, 'student.safetensors')], out, 'SIGINT');
    expect(r.signalled).toBe(true);
    expect(r.stderr).toBe('wsel: select interrupted; nothing was written\n');
    expect(r.code).toBe(130);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('SIGTERM while assembling a model folder: exit 130, no temporary folder left', async () => {
    const json = llamaJson({ vocab_size: 65536, hidden_size: 1024, intermediate_size: 1024, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 64, num_hidden_layers: 2 });
    const decl = llama.declare(llama.fromHf(json, null));
    const teacher = tmp.file('llama-big');
    fs.mkdirSync(teacher);
    fs.writeFileSync(path.join(teacher, 'config.json'), JSON.stringify(json));
    writeSparse(path.join(teacher, 'model.safetensors'), decl.tensors.filter((t) => !t.optional).map((t) => ({ name: t.name, dtype: 'BF16', shape: tensorShape(decl, t) })));
    const parent = tmp.file('out-term');
    fs.mkdirSync(parent);
    const r = await selectAndSignal(['--teacher', teacher, '--student', '{"hidden_size":512}', '--out', path.join(parent, 'small')], parent, 'SIGTERM');
    expect(r.signalled).toBe(true);
    expect(r.stderr).toBe('wsel: select interrupted; nothing was written\n');
    expect(r.code).toBe(130);
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});
