"""A Llama-style forward pass in plain PyTorch, written from config.json (no transformers), to check students.

Usage (Debian: /usr/bin/python3 with python3-torch):
  llama_reference.py heads --teacher T --student S
      S has the teacher's hidden size and layers but fewer heads / key-value groups (whole-head selection).
      Runs the teacher on a fixed token sequence, feeds every teacher layer's input to the same student layer,
      and checks that each student head's attention output (RMSNorm, q/k/v, optional q_norm/k_norm, rotary with
      rotate_half, grouped-query repeat_kv, causal softmax) equals the output of the teacher head it was taken
      from, and that the student's o_proj output equals the teacher's o_proj restricted to the kept heads.
  llama_reference.py logits --teacher T --student S
      Full forward of both models; their logits must be equal (identity selection).
Prints a JSON summary; exits 1 when a check fails. Computes in float64, so differences are rounding only.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from safetensors_torch import read_safetensors  # noqa: E402


def read_weights(path):
    return {name: t.double() for name, t in read_safetensors(path).items()}


def load_folder(folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    index = os.path.join(folder, "model.safetensors.index.json")
    weights = {}
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        for shard in shards:
            weights.update(read_weights(os.path.join(folder, shard)))
    else:
        weights = read_weights(os.path.join(folder, "model.safetensors"))
    return config, weights


class Model:
    def __init__(self, folder):
        self.config, self.w = load_folder(folder)
        c = self.config
        self.heads = c["num_attention_heads"]
        self.kv = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or c["hidden_size"] // self.heads
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.theta = c.get("rope_theta", 10000.0)
        self.layers = c["num_hidden_layers"]

    def get(self, name):
        return self.w.get(name)

    def rmsnorm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def linear(self, x, prefix):
        y = x @ self.w[prefix + ".weight"].T
        bias = self.get(prefix + ".bias")
        return y if bias is None else y + bias

    def rotary(self, x):
        # x: (heads, T, D); HF convention: dimension j rotates with j + D/2 (rotate_half).
        d = x.shape[-1]
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        freqs = torch.arange(x.shape[1], dtype=torch.float64)[:, None] * inv_freq[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        return x * emb.cos() + torch.cat([-x2, x1], dim=-1) * emb.sin()

    def attention(self, x, i):
        """Per-head outputs (heads, T, D) and the o_proj output (T, hidden) of layer i for input x (T, hidden)."""
        p = f"model.layers.{i}"
        h = self.rmsnorm(x, self.w[f"{p}.input_layernorm.weight"])
        T = x.shape[0]
        q = self.linear(h, f"{p}.self_attn.q_proj").view(T, self.heads, self.head_dim).transpose(0, 1)
        k = self.linear(h, f"{p}.self_attn.k_proj").view(T, self.kv, self.head_dim).transpose(0, 1)
        v = self.linear(h, f"{p}.self_attn.v_proj").view(T, self.kv, self.head_dim).transpose(0, 1)
        q_norm = self.get(f"{p}.self_attn.q_norm.weight")
        if q_norm is not None:
            q = self.rmsnorm(q, q_norm)
            k = self.rmsnorm(k, self.w[f"{p}.self_attn.k_norm.weight"])
        q, k = self.rotary(q), self.rotary(k)
        rep = self.heads // self.kv
        k = k.repeat_interleave(rep, dim=0)  # repeat_kv: query head h reads key/value head h // rep
        v = v.repeat_interleave(rep, dim=0)
        scores = q @ k.transpose(1, 2) / self.head_dim ** 0.5
        scores = scores + torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
        heads = torch.softmax(scores, dim=-1) @ v
        out = self.linear(heads.transpose(0, 1).reshape(T, self.heads * self.head_dim), f"{p}.self_attn.o_proj")
        return heads, out

    def mlp(self, x, i):
        p = f"model.layers.{i}"
        h = self.rmsnorm(x, self.w[f"{p}.post_attention_layernorm.weight"])
        gate = self.linear(h, f"{p}.mlp.gate_proj")
        return self.linear(torch.nn.functional.silu(gate) * self.linear(h, f"{p}.mlp.up_proj"), f"{p}.mlp.down_proj")

    def forward(self, tokens):
        """Logits, and every layer's input hidden states."""
        x = self.w["model.embed_tokens.weight"][tokens]
        inputs = []
        for i in range(self.layers):
            inputs.append(x)
            x = x + self.attention(x, i)[1]
            x = x + self.mlp(x, i)
        x = self.rmsnorm(x, self.w["model.norm.weight"])
        head = self.get("lm_head.weight")
        return x @ (self.w["model.embed_tokens.weight"] if head is None else head).T, inputs


def source_head(teacher, student, i, s):
    """The teacher head whose q_proj rows student head s carries (found by value, not from the record)."""
    d = student.head_dim
    rows = student.w[f"model.layers.{i}.self_attn.q_proj.weight"][s * d:(s + 1) * d]
    tq = teacher.w[f"model.layers.{i}.self_attn.q_proj.weight"]
    found = [h for h in range(teacher.heads) if torch.equal(tq[h * d:(h + 1) * d], rows)]
    if len(found) != 1:
        raise SystemExit(f"layer {i}: student head {s} matches {len(found)} teacher heads")
    return found[0]


def check_heads(teacher, student, tokens):
    assert student.config["hidden_size"] == teacher.config["hidden_size"], "heads mode needs the teacher's hidden size"
    assert student.head_dim == teacher.head_dim, "heads mode needs whole heads (the teacher's head_dim)"
    _, inputs = teacher.forward(tokens)
    worst_head, worst_out, kept = 0.0, 0.0, []
    t_rep, s_rep = teacher.heads // teacher.kv, student.heads // student.kv
    for i in range(student.layers):
        x = inputs[i]
        t_heads, _ = teacher.attention(x, i)
        s_heads, s_out = student.attention(x, i)
        heads = [source_head(teacher, student, i, s) for s in range(student.heads)]
        for s, h in enumerate(heads):
            # Grouped-query attention: student heads sharing a key/value group came from one teacher group.
            if heads[(s // s_rep) * s_rep] // t_rep != h // t_rep:
                raise SystemExit(f"layer {i}: student heads of group {s // s_rep} come from different teacher groups")
            worst_head = max(worst_head, (s_heads[s] - t_heads[h]).abs().max().item())
        d = teacher.head_dim
        cols = torch.tensor([h * d + j for h in heads for j in range(d)])
        o = teacher.w[f"model.layers.{i}.self_attn.o_proj.weight"][:, cols]
        expected = t_heads[heads].transpose(0, 1).reshape(x.shape[0], -1) @ o.T
        bias = teacher.get(f"model.layers.{i}.self_attn.o_proj.bias")
        if bias is not None:
            expected = expected + bias
        worst_out = max(worst_out, (s_out - expected).abs().max().item())
        kept.append(heads)
    scale = max(t.abs().max().item() for t in inputs)
    ok = worst_head <= 1e-9 * max(1.0, scale) and worst_out <= 1e-9 * max(1.0, scale)
    return ok, {"kept_heads": kept, "max_abs_diff_heads": worst_head, "max_abs_diff_o_proj": worst_out}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["heads", "logits"])
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--student", required=True)
    parser.add_argument("--tokens", type=int, default=11)
    args = parser.parse_args()
    teacher, student = Model(args.teacher), Model(args.student)
    tokens = torch.randint(0, teacher.config["vocab_size"], (args.tokens,), generator=torch.Generator().manual_seed(0))
    if args.mode == "heads":
        ok, summary = check_heads(teacher, student, tokens)
    else:
        a, _ = teacher.forward(tokens)
        b, _ = student.forward(tokens)
        ok = bool(torch.equal(a, b))
        summary = {"max_abs_diff_logits": (a - b).abs().max().item()}
    summary["ok"] = ok
    print(json.dumps(summary))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
