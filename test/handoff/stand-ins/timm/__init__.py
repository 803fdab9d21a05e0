"""Stand-in for timm in the hand-off test (timm cannot be installed here).

create_model builds the plain-PyTorch ViT and ConvNeXt of test/parity/reference.py, whose parameter names are
timm's, from timm's registered sizes and the constructor arguments timm's classes take. An argument timm does
not take is a TypeError, as in timm; one timm takes but the reference modules do not implement is refused too.
"""
from reference import ConvNeXt, VisionTransformer

# timm's registered sizes (vision_transformer.py, convnext.py)
REGISTERED = {
    'vit_tiny_patch16_224': ('vit', dict(patch_size=16, embed_dim=192, depth=12, num_heads=3)),
    'vit_small_patch16_224': ('vit', dict(patch_size=16, embed_dim=384, depth=12, num_heads=6)),
    'vit_base_patch16_224': ('vit', dict(patch_size=16, embed_dim=768, depth=12, num_heads=12)),
    'convnext_atto': ('convnext', dict(depths=(2, 2, 6, 2), dims=(40, 80, 160, 320), conv_mlp=True)),
    'convnext_femto': ('convnext', dict(depths=(2, 2, 6, 2), dims=(48, 96, 192, 384), conv_mlp=True)),
    'convnext_pico': ('convnext', dict(depths=(2, 2, 6, 2), dims=(64, 128, 256, 512), conv_mlp=True)),
    'convnext_tiny': ('convnext', dict(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768))),
}

# The constructor defaults of timm's classes, for the arguments the reference modules implement.
DEFAULTS = {
    'vit': dict(img_size=224, patch_size=16, in_chans=3, num_classes=1000, global_pool='token', embed_dim=768, depth=12,
                num_heads=12, mlp_ratio=4.0, qkv_bias=True, init_values=None),
    'convnext': dict(in_chans=3, num_classes=1000, depths=(3, 3, 9, 3), dims=(96, 192, 384, 768), kernel_sizes=7,
                     ls_init_value=1e-6, patch_size=4, conv_mlp=False),
}

# Every other argument timm's constructors take (timm 1.x signatures).
TIMM_ONLY = {
    'vit': {'qk_norm', 'scale_attn_norm', 'scale_mlp_norm', 'proj_bias', 'class_token', 'pos_embed', 'no_embed_class',
            'reg_tokens', 'pre_norm', 'final_norm', 'fc_norm', 'pool_include_prefix', 'dynamic_img_size',
            'dynamic_img_pad', 'drop_rate', 'pos_drop_rate', 'patch_drop_rate', 'proj_drop_rate', 'attn_drop_rate',
            'drop_path_rate', 'weight_init', 'fix_init', 'embed_layer', 'embed_norm_layer', 'norm_layer', 'act_layer',
            'block_fn', 'mlp_layer', 'attn_layer'},
    'convnext': {'global_pool', 'output_stride', 'stem_type', 'head_init_scale', 'head_norm_first', 'head_hidden_size',
                 'conv_bias', 'use_grn', 'act_layer', 'norm_layer', 'norm_eps', 'drop_rate', 'drop_path_rate'},
}
# Regularization only: no effect on parameter names or shapes.
HARMLESS = {'drop_rate', 'drop_path_rate', 'pos_drop_rate', 'patch_drop_rate', 'proj_drop_rate', 'attn_drop_rate'}


def create_model(model_name, pretrained=False, **kwargs):
    if model_name not in REGISTERED:
        raise RuntimeError(f'Unknown model ({model_name})')
    if pretrained:
        raise RuntimeError('the stand-in has no pretrained weights')
    family, registered = REGISTERED[model_name]
    for name in kwargs:
        if name in DEFAULTS[family] or name in HARMLESS:
            continue
        if name in TIMM_ONLY[family]:
            raise NotImplementedError(f'{name}: taken by timm, not implemented by the reference modules')
        raise TypeError(f"__init__() got an unexpected keyword argument '{name}'")
    config = {**DEFAULTS[family], **registered, **{k: v for k, v in kwargs.items() if k not in HARMLESS}}
    if family == 'vit':
        return VisionTransformer(**config)
    if config.pop('conv_mlp'):
        raise NotImplementedError('conv_mlp=True (1x1-conv MLPs, weights [4C, C, 1, 1]): a Linear-MLP state dict does not fit it')
    config['kernel_size'] = config.pop('kernel_sizes')
    return ConvNeXt(**config)
