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
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from safetensors_torch import read_safetensors, write_safetensors  # noqa: E402


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
        teacher.update(read_safetensors(os.path.join(args.teacher, shard)))
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
    write_safetensors(args.out, student, fsync=True)
    t3 = time.perf_counter()
    print(json.dumps({"load_s": t1 - t0, "select_s": t2 - t1, "save_s": t3 - t2, "tensors": len(student)}))


if __name__ == "__main__":
    main()
