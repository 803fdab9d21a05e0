#!/usr/bin/env python3
"""PyTorch reference for optimizer parity: torch.optim.AdamW / SGD on fixed gradients.

Usage: /usr/bin/python3 optim_reference.py DIR
DIR/manifest.json: {"optimizer": "adamw" | "sgd", "options": {...}, "groups": [{"params": [names],
"weight_decay": wd}], "shapes": {name: shape}, "steps": n}. Initial values DIR/param.<name>.f32 and one
gradient per step DIR/grad<step>.<name>.f32 (raw float32). Writes DIR/ref/after.<name>.f32.
"""
import json
import os
import sys

import torch


def read(path, shape):
    with open(path, 'rb') as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape).clone()


def main():
    d = sys.argv[1]
    man = json.load(open(os.path.join(d, 'manifest.json')))
    params = {n: torch.nn.Parameter(read(os.path.join(d, f'param.{n}.f32'), s)) for n, s in man['shapes'].items()}
    groups = [{'params': [params[n] for n in g['params']], 'weight_decay': g['weight_decay']} for g in man['groups']]
    o = man['options']
    if man['optimizer'] == 'adamw':
        opt = torch.optim.AdamW(groups, lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'])
    else:
        opt = torch.optim.SGD(groups, lr=o['lr'], momentum=o['momentum'], dampening=o['dampening'], nesterov=o['nesterov'])
    for step in range(man['steps']):
        for n, p in params.items():
            p.grad = read(os.path.join(d, f'grad{step}.{n}.f32'), man['shapes'][n])
        opt.step()
    os.makedirs(os.path.join(d, 'ref'), exist_ok=True)
    for n, p in params.items():
        with open(os.path.join(d, 'ref', f'after.{n}.f32'), 'wb') as f:
            f.write(p.detach().numpy().tobytes())


if __name__ == '__main__':
    main()
