#!/usr/bin/env python3
"""PyTorch reference for the TypeScript engine's parity tests (plain torch, no timm).

Usage: /usr/bin/python3 reference.py DIR

DIR/manifest.json (written by the TS test) describes one case:
  {"kind": "vit_block" | "convnext_block" | "vit" | "convnext" | "mixer", "config": {...},
   "params": {name: shape}, "input": shape, "labels": [...] (whole models) ,
   "adamw": {"lr", "betas", "eps", "weight_decay", "skip": [...], "steps": 3}}
Tensors are raw little-endian float32 files DIR/<name>.f32 (params as param.<name>.f32, the input as
input.f32, the block-loss weights as probe.f32). The loss is cross-entropy on logits for whole models
and sum(output * probe) for blocks. Writes DIR/ref/: output.f32, grad.<name>.f32, grad_input.f32,
after.<name>.f32 (parameters after the AdamW steps) and result.json with the loss.
The modules mirror timm's (vision_transformer.py, convnext.py) so parameter names match: class and register
tokens, no_embed_class, token or average pooling, layer scale; ConvNeXt Linear or 1x1-conv MLPs and timm's
stage-stride rule (a downsample in every stage after the first, whatever the widths).
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F



# ---------------------------------------------------------------- ViT (timm vision_transformer.py)
class Attention(nn.Module):
    def __init__(self, dim, num_heads, qkv_bias):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class LayerScale(nn.Module):
    def __init__(self, dim, init_values):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, qkv_bias, init_values):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, in_chans, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, num_classes, embed_dim, depth, num_heads,
                 mlp_ratio=4.0, qkv_bias=True, global_pool='token', init_values=None, class_token=True,
                 reg_tokens=0, no_embed_class=False, **_):
        super().__init__()
        self.global_pool = global_pool
        self.num_prefix_tokens = (1 if class_token else 0) + reg_tokens
        self.no_embed_class = no_embed_class
        n = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.reg_token = nn.Parameter(torch.zeros(1, reg_tokens, embed_dim)) if reg_tokens else None
        # no_embed_class: position embeddings for the patches only (DeiT III, register ViTs)
        self.pos_embed = nn.Parameter(torch.zeros(1, n if no_embed_class else n + self.num_prefix_tokens, embed_dim))
        self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_size)
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio, qkv_bias, init_values) for _ in range(depth)])
        use_fc_norm = global_pool == 'avg'
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6) if not use_fc_norm else nn.Identity()
        self.fc_norm = nn.LayerNorm(embed_dim, eps=1e-6) if use_fc_norm else nn.Identity()
        self.head = nn.Linear(embed_dim, num_classes)

    def _pos_embed(self, x):
        to_cat = []
        if self.cls_token is not None:
            to_cat.append(self.cls_token.expand(x.shape[0], -1, -1))
        if self.reg_token is not None:
            to_cat.append(self.reg_token.expand(x.shape[0], -1, -1))
        if self.no_embed_class:
            x = x + self.pos_embed
            return torch.cat(to_cat + [x], dim=1) if to_cat else x
        if to_cat:
            x = torch.cat(to_cat + [x], dim=1)
        return x + self.pos_embed

    def forward(self, x):
        x = self.norm(self.blocks(self._pos_embed(self.patch_embed(x))))
        x = x[:, self.num_prefix_tokens:].mean(dim=1) if self.global_pool == 'avg' else x[:, 0]
        return self.head(self.fc_norm(x))


# ---------------------------------------------------------------- ConvNeXt (timm convnext.py)
class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvMlp(nn.Module):
    """timm Mlp(use_conv=True): 1x1 convolutions on NCHW."""
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, ls_init_value=1e-6, kernel_size=7, conv_mlp=False, mlp_ratio=4):
        super().__init__()
        self.use_conv_mlp = conv_mlp
        self.conv_dw = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = LayerNorm2d(dim, eps=1e-6) if conv_mlp else nn.LayerNorm(dim, eps=1e-6)
        self.mlp = (ConvMlp if conv_mlp else Mlp)(dim, int(mlp_ratio * dim))
        self.gamma = nn.Parameter(ls_init_value * torch.ones(dim)) if ls_init_value is not None else None

    def forward(self, x):
        shortcut = x
        x = self.conv_dw(x)
        if self.use_conv_mlp:
            x = self.mlp(self.norm(x))
        else:
            x = x.permute(0, 2, 3, 1)
            x = self.mlp(self.norm(x))
            x = x.permute(0, 3, 1, 2)
        if self.gamma is not None:
            x = x.mul(self.gamma.reshape(1, -1, 1, 1))
        return x + shortcut


class ConvNeXtStage(nn.Module):
    def __init__(self, in_chs, out_chs, stride, depth, ls_init_value, kernel_size, conv_mlp, mlp_ratio):
        super().__init__()
        # timm: a downsample whenever the widths differ or the stage has stride 2, equal widths or not
        if in_chs != out_chs or stride > 1:
            ks = 2 if stride > 1 else 1
            self.downsample = nn.Sequential(LayerNorm2d(in_chs, eps=1e-6), nn.Conv2d(in_chs, out_chs, ks, stride=stride))
        else:
            self.downsample = nn.Identity()
        self.blocks = nn.Sequential(*[ConvNeXtBlock(out_chs, ls_init_value, kernel_size, conv_mlp, mlp_ratio) for _ in range(depth)])

    def forward(self, x):
        return self.blocks(self.downsample(x))


class Head(nn.Module):
    def __init__(self, dim, num_classes):
        super().__init__()
        self.norm = LayerNorm2d(dim, eps=1e-6)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = x.mean((2, 3), keepdim=True)
        return self.fc(self.norm(x).flatten(1))


class ConvNeXt(nn.Module):
    def __init__(self, in_chans, num_classes, depths, dims, patch_size=4, ls_init_value=1e-6, kernel_size=7,
                 conv_mlp=False, mlp_ratio=4, **_):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_chans, dims[0], patch_size, stride=patch_size), LayerNorm2d(dims[0], eps=1e-6))
        stages = []
        prev = dims[0]
        curr_stride = patch_size
        for i, (d, c) in enumerate(zip(depths, dims)):
            stride = 2 if curr_stride == 2 or i > 0 else 1  # timm's rule (no dilation: output stride <= 32)
            assert curr_stride * stride <= 32 or stride == 1
            curr_stride *= stride
            stages.append(ConvNeXtStage(prev, c, stride, d, ls_init_value, kernel_size, conv_mlp, mlp_ratio))
            prev = c
        self.stages = nn.Sequential(*stages)
        self.head = Head(prev, num_classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


# ---------------------------------------------------------------- MLP-Mixer (timm mlp_mixer.py)
class MixerBlock(nn.Module):
    def __init__(self, dim, seq_len, mlp_ratio=(0.5, 4.0)):
        super().__init__()
        tokens_dim, channels_dim = [int(x * dim) for x in mlp_ratio]
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp_tokens = Mlp(seq_len, tokens_dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp_channels = Mlp(dim, channels_dim)

    def forward(self, x):
        x = x + self.mlp_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.mlp_channels(self.norm2(x))


class MlpMixer(nn.Module):
    def __init__(self, num_classes=1000, img_size=224, in_chans=3, patch_size=16, num_blocks=8, embed_dim=512,
                 mlp_ratio=(0.5, 4.0), **_):
        super().__init__()
        self.stem = PatchEmbed(in_chans, embed_dim, patch_size)
        seq_len = (img_size // patch_size) ** 2
        self.blocks = nn.Sequential(*[MixerBlock(embed_dim, seq_len, mlp_ratio) for _ in range(num_blocks)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.norm(self.blocks(self.stem(x)))
        return self.head(x.mean(dim=1))


# ---------------------------------------------------------------- I/O and the run
def read(path, shape):
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    return torch.frombuffer(data, dtype=torch.float32).reshape(shape).clone()


def write(path, t):
    with open(path, 'wb') as f:
        f.write(t.detach().contiguous().to(torch.float32).numpy().tobytes())


def build(kind, cfg):
    if kind == 'vit_block':
        return Block(cfg['dim'], cfg['num_heads'], cfg.get('mlp_ratio', 4.0), cfg.get('qkv_bias', True), cfg.get('init_values'))
    if kind == 'convnext_block':
        return ConvNeXtBlock(cfg['dim'], cfg.get('ls_init_value', 1e-6), cfg.get('kernel_size', 7), cfg.get('conv_mlp', False))
    if kind == 'vit':
        return VisionTransformer(**cfg)
    if kind == 'convnext':
        return ConvNeXt(**cfg)
    if kind == 'mixer':
        return MlpMixer(**cfg)
    raise SystemExit(f'unknown kind {kind}')


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    d = sys.argv[1]
    man = json.load(open(os.path.join(d, 'manifest.json')))
    model = build(man['kind'], man['config']).to(torch.float32)
    names = dict(model.named_parameters())
    if set(names) != set(man['params']):
        raise SystemExit(f'parameter names differ: torch-only {sorted(set(names) - set(man["params"]))}, '
                         f'ts-only {sorted(set(man["params"]) - set(names))}')
    with torch.no_grad():
        for n, shape in man['params'].items():
            if list(names[n].shape) != shape:
                raise SystemExit(f'{n}: torch shape {list(names[n].shape)} vs ts {shape}')
            names[n].copy_(read(os.path.join(d, f'param.{n}.f32'), shape))
    x = read(os.path.join(d, 'input.f32'), man['input']).requires_grad_(True)
    whole = man['kind'] in ('vit', 'convnext', 'mixer')
    labels = torch.tensor(man['labels'], dtype=torch.long) if whole else None
    probe = None if whole else read(os.path.join(d, 'probe.f32'), man['output'])

    def loss_fn():
        out = model(x)
        return out, (F.cross_entropy(out, labels) if whole else (out * probe).sum())

    o = man['adamw']
    skip = set(o.get('skip', []))
    decay = [p for n, p in model.named_parameters() if not (p.ndim <= 1 or n.endswith('.bias') or n in skip)]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1 or n.endswith('.bias') or n in skip]
    opt = torch.optim.AdamW([{'params': no_decay, 'weight_decay': 0.0}, {'params': decay, 'weight_decay': o['weight_decay']}],
                            lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'])
    out_dir = os.path.join(d, 'ref')
    os.makedirs(out_dir, exist_ok=True)
    result = {}
    for step in range(o['steps']):
        opt.zero_grad()
        if x.grad is not None:
            x.grad = None
        out, loss = loss_fn()
        loss.backward()
        if step == 0:
            result['loss'] = loss.item()
            write(os.path.join(out_dir, 'output.f32'), out)
            write(os.path.join(out_dir, 'grad_input.f32'), x.grad)
            for n, p in model.named_parameters():
                write(os.path.join(out_dir, f'grad.{n}.f32'), p.grad)
        opt.step()
    for n, p in model.named_parameters():
        write(os.path.join(out_dir, f'after.{n}.f32'), p)
    json.dump(result, open(os.path.join(out_dir, 'result.json'), 'w'))


if __name__ == '__main__':
    main()
