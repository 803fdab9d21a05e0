"""The paper's reference weight selection, in PyTorch, for checking and benchmarking wsel.

Written from the method's description: first-N layer selection keeps the student's block names, and every
student tensor is the teacher tensor of the same name cut down by the uniform rule along each dimension
(every (n/m)-th index when m divides n, else torch.round(torch.linspace(0, n - 1, m))), using index_select.

Usage (Debian: /usr/bin/python3 with python3-torch):
  reference_selection.py compare --teacher T --student S.safetensors --out REF.safetensors
      Select from T every tensor that S has (same names and shapes) and write the result as safetensors,
      so the caller can compare it byte for byte with S.
  reference_selection.py pipeline --teacher T.pth --shapes SHAPES.json --out OUT.pth
      The reference pipeline end to end: torch.load the whole state dict, select (skipping names that
      contain "head", as the reference code does), torch.save. Prints the wall time of each stage as JSON.
"""
import argparse
import json
import struct
import sys
import time

import numpy as np
import torch

DTYPES = {
    "F32": (torch.float32, np.float32), "F64": (torch.float64, np.float64), "F16": (torch.float16, np.float16),
    "I64": (torch.int64, np.int64), "I32": (torch.int32, np.int32), "I16": (torch.int16, np.int16),
    "I8": (torch.int8, np.int8), "U8": (torch.uint8, np.uint8), "BOOL": (torch.bool, np.bool_),
}
NAMES = {torch_dtype: name for name, (torch_dtype, _) in DTYPES.items()}


def read_safetensors(path):
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
            raw = np.frombuffer(data[begin:end], dtype=np.int16).copy()
            t = torch.from_numpy(raw).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]][1]).copy())
        out[name] = t.reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": "BF16" if t.dtype == torch.bfloat16 else NAMES[t.dtype],
                        "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def load_any(path):
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    return torch.load(path, map_location="cpu")


def uniform_element_selection(wt, s_shape):
    ws = wt
    for dim in range(wt.dim()):
        n, m = wt.shape[dim], s_shape[dim]
        assert n >= m, f"teacher dimension {n} smaller than student {m}"
        if n % m == 0:
            indices = torch.arange(m) * (n // m)
        else:
            indices = torch.round(torch.linspace(0, n - 1, m)).long()
        ws = torch.index_select(ws, dim, indices)
    assert tuple(ws.shape) == tuple(s_shape)
    return ws


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["compare", "pipeline"])
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--student")
    parser.add_argument("--shapes")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)

    if args.mode == "compare":
        teacher = load_any(args.teacher)
        student = read_safetensors(args.student)
        ref = {name: uniform_element_selection(teacher[name], tuple(t.shape)) for name, t in student.items()}
        write_safetensors(args.out, ref)
        return

    t0 = time.perf_counter()
    teacher = torch.load(args.teacher, map_location="cpu")
    t1 = time.perf_counter()
    with open(args.shapes) as f:
        shapes = json.load(f)
    student = {name: uniform_element_selection(teacher[name], shape)
               for name, shape in shapes.items() if "head" not in name}
    t2 = time.perf_counter()
    torch.save(student, args.out)
    t3 = time.perf_counter()
    json.dump({"load_s": t1 - t0, "select_s": t2 - t1, "save_s": t3 - t2}, sys.stdout)


if __name__ == "__main__":
    main()
