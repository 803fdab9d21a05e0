"""Generate the reference index vectors for wsel's uniform element selection.

Run with a Python that has PyTorch (Debian: /usr/bin/python3 with python3-torch):
    /usr/bin/python3 scripts/make_index_vectors.py > test/fixtures/index-vectors.json

For each (n, m) the indices are exactly what the paper's reference code keeps along a dimension of size n
when the student's size is m: every (n / m)-th index when m divides n, otherwise
torch.round(torch.linspace(0, n - 1, m)).
"""
import json
import random
import torch


def reference_indices(n, m):
    if n % m == 0:
        return (torch.arange(m) * (n // m)).tolist()
    return torch.round(torch.linspace(0, n - 1, m)).long().tolist()


pairs = [(n, m) for n in range(1, 97) for m in range(1, n + 1)]
model_sizes = [(768, 384), (768, 512), (384, 192), (384, 256), (384, 288), (1152, 576), (1152, 768),
               (3072, 1536), (3072, 2048), (1536, 768), (1536, 1024), (4096, 2048), (4096, 2731),
               (11008, 5504), (14336, 7168), (197, 197), (96, 48), (768, 384), (2304, 1152), (1000, 10),
               (5120, 3072), (8192, 4096), (13824, 6912), (1280, 720), (3584, 1792), (18944, 9472)]
rng = random.Random(20231130)
random_pairs = []
while len(random_pairs) < 120:
    n = rng.randint(97, 6000)
    m = rng.randint(1, n)
    random_pairs.append((n, m))

vectors = [{"n": n, "m": m, "indices": reference_indices(n, m)} for n, m in pairs + model_sizes + random_pairs]
print(json.dumps({"torch": torch.__version__, "vectors": vectors}, separators=(",", ":")))
