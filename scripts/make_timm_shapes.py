#!/usr/bin/env python3
"""Expected tensor names and shapes of timm models, for test/fixtures/timm-shapes.json.

Usage: /usr/bin/python3 scripts/make_timm_shapes.py > test/fixtures/timm-shapes.json

timm itself is not needed: the models are built from the plain-PyTorch mirrors of timm's modules in
test/parity/reference.py, with each name's constructor arguments transcribed here from timm's source
(`model_args` of the registered function in vision_transformer.py, deit.py, convnext.py, mlp_mixer.py, and the
input size of its default pretrained config). Parameters are allocated, never initialized. Each entry keeps
the total parameter and tensor counts, the depth of every layer stack, and the shapes of every tensor outside
a stack plus those of the first block of each stack (the other blocks repeat them); num_classes is 1000.
"""
import json
import os
import re
import sys

import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'parity'))
import reference  # noqa: E402

# Allocation only: the shapes are what matters, and initializing ViT-L's 300M parameters is slow.
for layer in (nn.Linear, nn.Conv2d, nn.LayerNorm):
    layer.reset_parameters = lambda self: None

TI = dict(embed_dim=192, depth=12, num_heads=3)
S = dict(embed_dim=384, depth=12, num_heads=6)
M = dict(embed_dim=512, depth=12, num_heads=8)
B = dict(embed_dim=768, depth=12, num_heads=12)
L = dict(embed_dim=1024, depth=24, num_heads=16)
DINOV2 = dict(patch_size=14, img_size=518, init_values=1e-5)
DEIT3 = dict(no_embed_class=True, init_values=1e-6)
REG_GAP = dict(class_token=False, no_embed_class=True, global_pool='avg', init_values=1e-5, img_size=256)


def vit(**kw):
    return ('vit', dict(dict(img_size=224, patch_size=16, in_chans=3), **kw))


def convnext(depths, dims, conv_mlp=False):
    return ('convnext', dict(in_chans=3, depths=depths, dims=dims, conv_mlp=conv_mlp))


def mixer(patch_size, num_blocks, embed_dim):
    return ('mixer', dict(patch_size=patch_size, num_blocks=num_blocks, embed_dim=embed_dim))


MODELS = {
    'vit_tiny_patch16_224': vit(**TI),
    'vit_tiny_patch16_384': vit(**TI, img_size=384),
    'vit_small_patch32_224': vit(**S, patch_size=32),
    'vit_small_patch32_384': vit(**S, patch_size=32, img_size=384),
    'vit_small_patch16_224': vit(**S),
    'vit_small_patch16_384': vit(**S, img_size=384),
    'vit_small_patch8_224': vit(**S, patch_size=8),
    'vit_base_patch32_224': vit(**B, patch_size=32),
    'vit_base_patch32_384': vit(**B, patch_size=32, img_size=384),
    'vit_base_patch16_224': vit(**B),
    'vit_base_patch16_384': vit(**B, img_size=384),
    'vit_base_patch8_224': vit(**B, patch_size=8),
    'vit_base_patch16_224_miil': vit(**B, qkv_bias=False),
    'vit_large_patch32_224': vit(**L, patch_size=32),
    'vit_large_patch32_384': vit(**L, patch_size=32, img_size=384),
    'vit_large_patch16_224': vit(**L),
    'vit_large_patch16_384': vit(**L, img_size=384),
    'vit_large_patch14_224': vit(**L, patch_size=14),
    'vit_small_patch14_dinov2': vit(**S, **DINOV2),
    'vit_base_patch14_dinov2': vit(**B, **DINOV2),
    'vit_large_patch14_dinov2': vit(**L, **DINOV2),
    'vit_small_patch14_reg4_dinov2': vit(**S, **DINOV2, reg_tokens=4, no_embed_class=True),
    'vit_base_patch14_reg4_dinov2': vit(**B, **DINOV2, reg_tokens=4, no_embed_class=True),
    'vit_large_patch14_reg4_dinov2': vit(**L, **DINOV2, reg_tokens=4, no_embed_class=True),
    'vit_wee_patch16_reg1_gap_256': vit(**REG_GAP, embed_dim=256, depth=14, num_heads=4, mlp_ratio=5, reg_tokens=1),
    'vit_little_patch16_reg1_gap_256': vit(**REG_GAP, embed_dim=320, depth=14, num_heads=5, mlp_ratio=5.6, reg_tokens=1),
    'vit_little_patch16_reg4_gap_256': vit(**REG_GAP, embed_dim=320, depth=14, num_heads=5, mlp_ratio=5.6, reg_tokens=4),
    'vit_medium_patch16_reg1_gap_256': vit(**REG_GAP, **M, reg_tokens=1),
    'vit_medium_patch16_reg4_gap_256': vit(**REG_GAP, **M, reg_tokens=4),
    'vit_mediumd_patch16_reg4_gap_256': vit(**dict(REG_GAP, **dict(M, depth=20)), reg_tokens=4),
    'vit_mediumd_patch16_reg4_gap_384': vit(**dict(REG_GAP, img_size=384), **dict(M, depth=20), reg_tokens=4),
    'vit_betwixt_patch16_reg1_gap_256': vit(**REG_GAP, embed_dim=640, depth=12, num_heads=10, reg_tokens=1),
    'vit_betwixt_patch16_reg4_gap_256': vit(**REG_GAP, embed_dim=640, depth=12, num_heads=10, reg_tokens=4),
    'vit_betwixt_patch16_reg4_gap_384': vit(**dict(REG_GAP, img_size=384), embed_dim=640, depth=12, num_heads=10, reg_tokens=4),
    'vit_base_patch16_reg4_gap_256': vit(**dict(REG_GAP, init_values=None), **B, reg_tokens=4),
    'deit_tiny_patch16_224': vit(**TI),
    'deit_small_patch16_224': vit(**S),
    'deit_base_patch16_224': vit(**B),
    'deit_base_patch16_384': vit(**B, img_size=384),
    'deit3_small_patch16_224': vit(**S, **DEIT3),
    'deit3_small_patch16_384': vit(**S, **DEIT3, img_size=384),
    'deit3_medium_patch16_224': vit(**M, **DEIT3),
    'deit3_base_patch16_224': vit(**B, **DEIT3),
    'deit3_base_patch16_384': vit(**B, **DEIT3, img_size=384),
    'deit3_large_patch16_224': vit(**L, **DEIT3),
    'deit3_large_patch16_384': vit(**L, **DEIT3, img_size=384),
    'convnext_atto': convnext([2, 2, 6, 2], [40, 80, 160, 320], conv_mlp=True),
    'convnext_femto': convnext([2, 2, 6, 2], [48, 96, 192, 384], conv_mlp=True),
    'convnext_pico': convnext([2, 2, 6, 2], [64, 128, 256, 512], conv_mlp=True),
    'convnext_nano': convnext([2, 2, 8, 2], [80, 160, 320, 640], conv_mlp=True),
    'convnext_tiny': convnext([3, 3, 9, 3], [96, 192, 384, 768]),
    'convnext_small': convnext([3, 3, 27, 3], [96, 192, 384, 768]),
    'convnext_base': convnext([3, 3, 27, 3], [128, 256, 512, 1024]),
    'convnext_large': convnext([3, 3, 27, 3], [192, 384, 768, 1536]),
    'convnext_xlarge': convnext([3, 3, 27, 3], [256, 512, 1024, 2048]),
    'mixer_s32_224': mixer(32, 8, 512),
    'mixer_s16_224': mixer(16, 8, 512),
    'mixer_b32_224': mixer(32, 12, 768),
    'mixer_b16_224': mixer(16, 12, 768),
    'mixer_l32_224': mixer(32, 24, 1024),
    'mixer_l16_224': mixer(16, 24, 1024),
}

STACK = re.compile(r'^((?:stages\.\d+\.)?blocks)\.(\d+)\.')


def describe(kind, cfg):
    model = reference.build(kind, dict(cfg, num_classes=1000))
    shapes = {n: list(p.shape) for n, p in model.named_parameters()}
    stacks = {}
    kept = {}
    for name, shape in shapes.items():
        m = STACK.match(name)
        if m:
            stacks[m.group(1)] = max(stacks.get(m.group(1), 0), int(m.group(2)) + 1)
            if m.group(2) != '0':
                continue
        kept[name] = shape
    params = sum(p.numel() for p in model.parameters())
    return {'parameters': params, 'tensors': len(shapes), 'stacks': stacks, 'shapes': kept}


def main():
    out = {name: describe(kind, cfg) for name, (kind, cfg) in MODELS.items()}
    json.dump(out, sys.stdout, indent=None, separators=(',', ':'))
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
