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
import sys
import time

import torch

from safetensors_torch import read_safetensors, write_safetensors


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
