"""Arrays: one training step of a small MLP in adlearn's Tensor, in PyTorch, and on Vars.

The step is what a training loop repeats: the forward pass of a tanh MLP with a softmax
cross-entropy loss on a batch of 64, the backward sweep, and a gradient-descent update
of every parameter, all in float64. The script prints the time per step of adlearn's
array engine and of PyTorch (CPU, both on one thread: NumPy's BLAS and torch are
limited to one), their ratio, and the same step on adlearn's scalar engine (a Var per
number), whose loss must equal the array engine's.

Each measurement runs in a fresh process, which times short blocks of steps and keeps
its fastest block (the one least disturbed by other work on the machine). The engines
take turns, process after process; the figure is each engine's best process, with the
median of its processes beside it, and the ratio's spread over the pairs of turns.
Targets (issue 12): adlearn at most 1.5 × PyTorch's time per step on the 64-32-10
net; the array engine at least 100 × faster than the scalar one. A 256-wide net
(64-256-10) shows where the arithmetic on arrays, not Python, takes the time.

    pip install torch==2.13.0      # a benchmark-only dependency (a CPU wheel)
    python benchmarks/arrays.py    # under a minute on a quiet machine, 2-3 when loaded
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

BATCH, INPUTS, CLASSES = 64, 64, 10

# Runs in a subprocess: time the step with one engine, print JSON.
CHILD = r"""
import json, sys, time
import numpy as np

engine, hidden, steps, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
BATCH, INPUTS, CLASSES, RATE = 64, 64, 10, 0.1
rng = np.random.default_rng(0)
x = rng.normal(size=(BATCH, INPUTS))
labels = rng.integers(0, CLASSES, size=BATCH)
start = [rng.normal(size=(INPUTS, hidden)) / INPUTS ** 0.5, np.zeros(hidden),
         rng.normal(size=(hidden, CLASSES)) / hidden ** 0.5, np.zeros(CLASSES)]

if engine == "adlearn":
    import adlearn as ad
    params = [ad.Tensor(p) for p in start]

    def step():
        W1, b1, W2, b2 = params
        loss = ad.cross_entropy(ad.tanh(x @ W1 + b1) @ W2 + b2, labels)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.value = p.value - RATE * p.grad
        return loss.value.item()

elif engine == "torch":
    import torch
    torch.set_num_threads(1)
    tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)
    params = [torch.tensor(p, requires_grad=True) for p in start]

    def step():
        W1, b1, W2, b2 = params
        loss = torch.nn.functional.cross_entropy(torch.tanh(tx @ W1 + b1) @ W2 + b2, tlabels)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= RATE * p.grad
        return loss.item()

else:  # the scalar engine: one Var per number, the same formulas written out
    import math
    import adlearn as ad
    params = [[ad.Var(float(v)) for v in np.ravel(p)] for p in start]
    rows = x.tolist()

    def step():
        W1, b1, W2, b2 = params
        loss = 0.0
        for row, label in zip(rows, labels.tolist()):
            h = [ad.tanh(sum((row[k] * W1[k * hidden + j] for k in range(INPUTS)), b1[j]))
                 for j in range(hidden)]
            logits = [sum((h[j] * W2[j * CLASSES + c] for j in range(hidden)), b2[c])
                      for c in range(CLASSES)]
            top = max(l.value for l in logits)  # a constant shift, as in log_softmax
            log_total = ad.log(sum(ad.exp(l - top) for l in logits))
            loss = loss + (log_total - (logits[label] - top))
        loss = loss / BATCH
        for p in W1 + b1 + W2 + b2:
            p.grad = 0.0
        loss.backward()
        for p in W1 + b1 + W2 + b2:
            p.value = p.value - RATE * p.grad
        return loss.value

first_loss = step()  # also the warm-up
times = []
for _ in range(repeats):
    begin = time.perf_counter()
    for _ in range(steps):
        step()
    times.append((time.perf_counter() - begin) / steps)
print(json.dumps({"per_step": min(times), "first_loss": first_loss}))
"""


def run(engine, hidden, steps, repeats):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", CHILD, engine, str(hidden), str(steps),
                           str(repeats)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per engine")
    parser.add_argument("--steps", type=int, default=20, help="steps timed per block")
    parser.add_argument("--blocks", type=int, default=30, help="timed blocks per process")
    args = parser.parse_args()
    print(f"one training step (forward, backward, update), batch {BATCH}, float64, one "
          f"thread; best and median of {args.runs} fresh processes per engine, alternated")
    for hidden in (32, 256):
        results = {"adlearn": [], "torch": []}
        for _ in range(args.runs):
            for engine in results:
                results[engine].append(run(engine, hidden, args.steps, args.blocks))
        best = {e: min(r["per_step"] for r in rs) for e, rs in results.items()}
        median = {e: statistics.median(r["per_step"] for r in rs) for e, rs in results.items()}
        ratios = sorted(a["per_step"] / t["per_step"]
                        for a, t in zip(results["adlearn"], results["torch"]))
        print(f"\n{INPUTS}-{hidden}-{CLASSES} tanh MLP")
        for engine in results:
            print(f"  {engine:8s} {best[engine] * 1e6:8.1f} µs per step "
                  f"(median {median[engine] * 1e6:.1f})")
        print(f"  adlearn / torch: {best['adlearn'] / best['torch']:.2f} (best against best; "
              f"run by run from {ratios[0]:.2f} to {ratios[-1]:.2f}); target ≤ 1.5")
        if hidden == 32:
            scalar = run("scalar", hidden, 1, 1)
            print(f"  scalar engine (Var) {scalar['per_step']:.2f} s per step: the array "
                  f"engine is {scalar['per_step'] / best['adlearn']:,.0f} × faster "
                  "(target ≥ 100)")
            losses = [results["adlearn"][0]["first_loss"], results["torch"][0]["first_loss"],
                      scalar["first_loss"]]
            print(f"  first loss: adlearn {losses[0]!r}, torch {losses[1]!r}, "
                  f"Var {losses[2]!r}")


if __name__ == "__main__":
    main()
