"""safetensors files as dicts of torch tensors, for the project's PyTorch reference scripts.

Debian's python3-torch comes without the `safetensors` package, so the format (an 8-byte little-endian header
length, a JSON header, raw little-endian data) is read and written here, once, for every script.
"""
import json
import os
import struct

import numpy as np
import torch

NUMPY = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}
TORCH_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
    torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def read_safetensors(path):
    """All tensors of a safetensors file, by name (bf16 stays bf16)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(data[begin:end], dtype=np.int16).copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(data[begin:end], dtype=NUMPY[info["dtype"]]).copy())
        out[name] = t.reshape(info["shape"])
    return out


def write_safetensors(path, tensors, fsync=False):
    """Write tensors (sorted by name) as a safetensors file; fsync=True makes it durable before returning."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": TORCH_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
