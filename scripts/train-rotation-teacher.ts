// Trains the label-free ViT teacher: the supervised teacher's architecture (teachers/vit_fmnist.config.json)
// on rotation prediction over Fashion-MNIST's train images (4 classes: 0/90/180/270 degrees; the clothing labels
// are never read), with the same recipe, then ships it as teachers/vit_fmnist_rotation.* (f16).
//
//   npx tsx scripts/train-rotation-teacher.ts [--steps 3750] [--out runs/teacher-vit-fmnist-rotation] [--resume]
import fs from 'node:fs';
import path from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { rotationDataset } from '../src/experiment/rotation.js';
import { train } from '../src/training/index.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const steps = Number(arg('steps', '3750'));
const out = arg('out', 'runs/teacher-vit-fmnist-rotation');
const config = { ...JSON.parse(fs.readFileSync('teachers/vit_fmnist.config.json', 'utf8')), num_classes: 4 };
fs.writeFileSync('teachers/vit_fmnist_rotation.config.json', `${JSON.stringify(config)}\n`);
const data = rotationDataset(loadDataset('fashion-mnist'));
const r = await train({
  family: 'vit', config, data, steps, batchSize: 64, lr: 1e-3, minLr: 1e-6, warmupSteps: Math.round(steps / 12), weightDecay: 0.05,
  // No flips: a mirrored garment rotated by 90 degrees looks like one rotated by 270.
  augment: { flip: false, cropPad: 2 }, evalSize: 4000, seed: 0, logEvery: 100, saveEvery: 250, saveDtype: 'F16', out,
  resume: process.argv.includes('--resume'), log: (l) => console.error(l),
  onEpoch: (e) => console.error(`epoch ${e.epoch}: eval acc ${e.eval_acc}`),
});
if (r.interrupted) process.exit(130);
for (const [from, to] of [['final.safetensors', 'vit_fmnist_rotation.safetensors'], ['metrics.jsonl', 'vit_fmnist_rotation.metrics.jsonl'], ['summary.json', 'vit_fmnist_rotation.summary.json']]) {
  fs.copyFileSync(path.join(out, from!), path.join('teachers', to!));
}
console.log(`rotation teacher: ${r.summary.parameters} parameters, rotation accuracy ${(100 * r.summary.final_acc!).toFixed(2)}% on ${r.summary.eval_size} rotated test images`);
