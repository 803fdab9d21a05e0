#!/usr/bin/env python3
"""PyTorch side of `npm run bench:select-llm`: the plain pipeline users write by hand. Load every teacher shard
into memory, index_select each student tensor from its teacher tensor along every axis, save the student as
safetensors. The indices come from the selection record wsel wrote, so both sides produce the same tensors.
Prints one JSON line with the time of each stage.

Usage: /usr/bin/python3 bench/select_llm_reference.py --teacher DIR --record wsel_selection.json --out OUT.safetensors
"""
import argparse
import json
import os
import struct
import time

import numpy as np
import torch

NP = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def load_shard(path):
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
            t = torch.from_numpy(np.frombuffer(data[begin:end], dtype=NP[info["dtype"]]).copy())
        out[name] = t.reshape(info["shape"])
    return out


def save(path, tensors):
    header, offset = {}, 0
    for name, t in tensors.items():
        size = t.numel() * t.element_size()
        header[name] = {"dtype": "BF16" if t.dtype == torch.bfloat16 else str(t.dtype), "shape": list(t.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for t in tensors.values():
            t = t.contiguous()
            f.write((t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes())
        f.flush()
        os.fsync(f.fileno())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.record) as f:
        record = json.load(f)
    spaces = record["spaces"]
    t0 = time.perf_counter()
    with open(os.path.join(args.teacher, "model.safetensors.index.json")) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    teacher = {}
    for shard in shards:
        teacher.update(load_shard(os.path.join(args.teacher, shard)))
    t1 = time.perf_counter()
    student = {}
    for t in record["tensors"]:
        w = teacher[t["source"]]
        for dim, axis in enumerate(t["axes"]):
            indices = axis["indices"] if "indices" in axis else spaces[axis["space"]]["indices"]
            if indices is not None:
                w = w.index_select(dim, torch.tensor(indices, dtype=torch.long))
        student[t["name"]] = w
    t2 = time.perf_counter()
    save(args.out, student)
    t3 = time.perf_counter()
    print(json.dumps({"load_s": t1 - t0, "select_s": t2 - t1, "save_s": t3 - t2, "tensors": len(student)}))


if __name__ == "__main__":
    main()
