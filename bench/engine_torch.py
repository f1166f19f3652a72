#!/usr/bin/python3
"""PyTorch peer for bench/engine.ts.

Reads a case written by engine.ts (<case>.json metadata + <case>.bin raw little-endian data: initial
weights, optimizer settings, a pool of batches and the schedule), trains the same model with the same
AdamW on the CPU with one thread, and prints one JSON object: per-repetition wall times and the loss of
every step (warm-up included), so the caller can compare loss curves step by step.

Run it with Debian's /usr/bin/python3 (python3-torch 1.13 + libopenblas0-openmp). Thread counts are
pinned to 1 before torch is imported.
"""
import json
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except Exception as e:  # the caller reports this loudly
    print(json.dumps({"error": f"cannot import torch/numpy: {e!r}"}))
    sys.exit(3)

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64}


def load(path_json):
    with open(path_json) as f:
        meta = json.load(f)
    raw = open(path_json[: -len(".json")] + ".bin", "rb").read()

    def arr(entry):
        dt = DTYPES[entry["dtype"]]
        n = int(np.prod(entry["shape"])) if entry["shape"] else 1
        a = np.frombuffer(raw, dtype=dt, count=n, offset=entry["offset"]).reshape(entry["shape"])
        return torch.from_numpy(a.copy())

    params = {p["name"]: arr(p) for p in meta["params"]}
    batches = {b["name"]: arr(b) for b in meta["batches"]}
    return meta, params, batches


def linear(fin, fout, w, b=None):
    """nn.Linear holding w ([in, out] in the file, stored [out, in] the PyTorch way) and bias b."""
    lin = torch.nn.Linear(fin, fout, bias=b is not None)
    with torch.no_grad():
        lin.weight.copy_(w.t())
        if b is not None:
            lin.bias.copy_(b)
    return lin


class MLP(torch.nn.Module):
    """src/models/toy.ts mlpSpec: inputs -> hidden (ReLU) -> classes, mean softmax cross-entropy."""

    def __init__(self, cfg, p):
        super().__init__()
        self.fc1 = linear(cfg["inputs"], cfg["hidden"], p["w1"], p["b1"])
        self.fc2 = linear(cfg["hidden"], cfg["classes"], p["w2"], p["b2"])

    def loss(self, batch):
        return F.cross_entropy(self.fc2(F.relu(self.fc1(batch["x"]))), batch["y"])


class Block(torch.nn.Module):
    """src/models/toy.ts transformerBlockSpec: token embedding + learned positions, pre-LN block
    (multi-head self-attention without q/k/v biases, exact-GELU MLP, both residual), final LayerNorm,
    unembedding, mean cross-entropy over every position."""

    def __init__(self, cfg, p):
        super().__init__()
        d, f, v = cfg["d"], cfg["ffn"], cfg["vocab"]
        self.heads, eps = cfg["heads"], cfg["eps"]
        self.embed = torch.nn.Embedding(v, d)
        self.pos = torch.nn.Parameter(p["pos"].clone())
        with torch.no_grad():
            self.embed.weight.copy_(p["embed"])

        def ln(name):
            m = torch.nn.LayerNorm(d, eps=eps)
            with torch.no_grad():
                m.weight.copy_(p[f"{name}_s"])
                m.bias.copy_(p[f"{name}_b"])
            return m

        self.ln1, self.ln2, self.lnf = ln("ln1"), ln("ln2"), ln("lnf")
        self.q = linear(d, d, p["wq"])
        self.k = linear(d, d, p["wk"])
        self.v = linear(d, d, p["wv"])
        self.o = linear(d, d, p["wo"], p["bo"])
        self.fc1 = linear(d, f, p["w1"], p["b1"])
        self.fc2 = linear(f, d, p["w2"], p["b2"])
        self.unembed = linear(d, v, p["unembed"], p["bu"])

    def loss(self, batch):
        tokens, targets = batch["tokens"], batch["targets"]
        b, s = tokens.shape
        h = self.heads
        x = self.embed(tokens) + self.pos  # [b, s, d]
        d = x.shape[-1]
        hd = d // h
        a = self.ln1(x).reshape(b * s, d)

        def split(t):
            return t.view(b, s, h, hd).transpose(1, 2)  # [b, h, s, hd]

        q, k, v = split(self.q(a)), split(self.k(a)), split(self.v(a))
        att = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / hd**0.5), dim=-1)
        merged = (att @ v).transpose(1, 2).reshape(b * s, d)
        x1 = x + self.o(merged).view(b, s, d)
        m = self.fc2(F.gelu(self.fc1(self.ln2(x1).reshape(b * s, d)))).view(b, s, d)
        x2 = x1 + m
        logits = self.unembed(self.lnf(x2).reshape(b * s, d))
        return F.cross_entropy(logits, targets.reshape(-1))


def main():
    meta, params, pool = load(sys.argv[1])
    cfg = meta["model"]
    torch.manual_seed(0)
    if meta.get("dtype") == "float64":  # semantics check: float64 on both sides
        torch.set_default_dtype(torch.float64)
    if cfg["kind"] == "mlp":
        model = MLP(cfg, params)
    elif cfg["kind"] == "transformer":
        model = Block(cfg, params)
    else:
        raise SystemExit(f"unknown model kind {cfg['kind']}")
    o = meta["optimizer"]
    foreach = os.environ.get("BENCH_TORCH_FOREACH") == "1"
    opt = torch.optim.AdamW(model.parameters(), lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"],
                            weight_decay=o["weightDecay"], foreach=foreach)
    n_pool = meta["poolSize"]
    batches = [{k: v[i] for k, v in pool.items()} for i in range(n_pool)]
    sched = meta["schedule"]
    losses = []

    def step(s):
        opt.zero_grad(set_to_none=True)
        loss = model.loss(batches[s % n_pool])
        loss.backward()
        opt.step()
        losses.append(loss.item())

    s = 0
    for _ in range(sched["warmup"]):
        step(s)
        s += 1
    rep_ms, rep_cpu = [], []
    for _ in range(sched["reps"]):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(sched["steps"]):
            step(s)
            s += 1
        rep_ms.append((time.perf_counter() - t0) * 1000 / sched["steps"])
        rep_cpu.append((time.process_time() - c0) * 1000 / sched["steps"])
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "foreach": foreach,
        "repMsPerStep": rep_ms,
        "repCpuMsPerStep": rep_cpu,
        "losses": losses,
    }))


if __name__ == "__main__":
    main()
