"""Reverse mode, adlearn against micrograd: time per operation and memory, in one run.

Both engines build the same graph of about 300,000 operations, the shape of a wide
layer followed by a sum: for each i, ``relu(w_i * x_i)``, then a balanced tree of sums
over all the terms. The script prints the forward pass (building the graph) and the
backward sweep in microseconds per operation, the peak memory per operation, and the
ratios adlearn / micrograd. Targets (issue 2): time at most 1/3, memory at most 1/2.

Each measurement runs in a fresh subprocess, so one engine's garbage never slows the
other, and the timings are the best of a few repetitions. Memory is measured in a
separate run with tracemalloc (which slows code down, so it is never timed).

    pip install micrograd          # a benchmark-only dependency
    python benchmarks/engine.py    # about a minute
"""

import argparse
import json
import subprocess
import sys

TERMS = 100_000  # 2 operations per term (mul, relu) + TERMS - 1 sums = ~300,000 operations

# Runs in a subprocess: build and differentiate the graph with one engine, print JSON.
CHILD = r"""
import gc, json, sys, time, tracemalloc

engine, terms, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if engine == "adlearn":
    from adlearn import Var as Node
    relu = Node.relu
    value = lambda node: node.value
else:
    from micrograd.engine import Value as Node
    relu = Node.relu
    value = lambda node: node.data


def build(xs, ws):
    layer = [relu(w * x) for w, x in zip(ws, xs)]
    while len(layer) > 1:  # a balanced tree of sums
        pairs = [layer[i] + layer[i + 1] for i in range(0, len(layer) - 1, 2)]
        layer = pairs + layer[len(layer) - len(layer) % 2:]
    return layer[0]


xs = [Node(1.0 + (i % 7) / 10) for i in range(terms)]
ws = [Node((i % 5) / 2 - 1.0) for i in range(terms)]
if what == "memory":
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    out = build(xs, ws)
    out.backward()
    peak = tracemalloc.get_traced_memory()[1] - before
    print(json.dumps({"peak_bytes": peak}))
else:
    start = time.perf_counter()
    out = build(xs, ws)
    middle = time.perf_counter()
    out.backward()
    end = time.perf_counter()
    expected = sum(x.grad for x in xs) + sum(w.grad for w in ws)
    print(json.dumps({"forward": middle - start, "backward": end - middle,
                      "value": value(out), "check": expected}))
"""


def run(engine, what, terms):
    done = subprocess.run([sys.executable, "-c", CHILD, engine, str(terms), what],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def chain_depth_ok(engine, depth):
    """Whether a chain of ``depth`` operations differentiates (micrograd's walk recurses)."""
    code = (
        "import sys\n"
        + ("from adlearn import Var as N\n" if engine == "adlearn"
           else "from micrograd.engine import Value as N\n")
        + f"x = N(1.0)\ny = x\nfor _ in range({depth}):\n    y = y * 1.0\ny.backward()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=TERMS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ops = 3 * args.terms - 1
    us = 1e6 / ops

    engines = ("adlearn", "micrograd")
    runs_of = {engine: [] for engine in engines}
    for _ in range(args.repeat):  # interleaved, so a busy moment hurts both alike
        for engine in engines:
            runs_of[engine].append(run(engine, "time", args.terms))
    results = {}
    for engine in engines:
        runs = runs_of[engine]
        results[engine] = {
            "forward": min(r["forward"] for r in runs) * us,
            "backward": min(r["backward"] for r in runs) * us,
            "bytes": run(engine, "memory", args.terms)["peak_bytes"] / ops,
            "value": runs[0]["value"], "check": runs[0]["check"],
        }
    a, m = results["adlearn"], results["micrograd"]
    if abs(a["value"] - m["value"]) > 1e-6 * max(1.0, abs(m["value"])) or \
            abs(a["check"] - m["check"]) > 1e-6 * max(1.0, abs(m["check"])):
        sys.exit(f"the engines disagree: {a} vs {m}")

    print(f"graph: {ops:,} operations (relu(w*x) for {args.terms:,} terms, then a tree of sums);"
          f" best of {args.repeat} interleaved runs, Python {sys.version.split()[0]}")
    print(f"{'':24}{'adlearn':>12}{'micrograd':>12}{'ratio':>9}  target")
    for label, key in (("forward (µs/op)", "forward"), ("backward (µs/op)", "backward")):
        print(f"{label:24}{a[key]:12.2f}{m[key]:12.2f}{a[key] / m[key]:9.2f}")
    total_a, total_m = a["forward"] + a["backward"], m["forward"] + m["backward"]
    print(f"{'forward+backward (µs/op)':24}{total_a:12.2f}{total_m:12.2f}"
          f"{total_a / total_m:9.2f}  ≤ 0.33  {'met' if total_a <= total_m / 3 else 'MISSED'}")
    print(f"{'peak memory (bytes/op)':24}{a['bytes']:12.0f}{m['bytes']:12.0f}"
          f"{a['bytes'] / m['bytes']:9.2f}  ≤ 0.50  "
          f"{'met' if a['bytes'] <= m['bytes'] / 2 else 'MISSED'}")
    for depth in (1_000, 100_000):
        verdict = {e: "ok" if chain_depth_ok(e, depth) else "fails" for e in results}
        print(f"a chain of {depth:,} operations: adlearn {verdict['adlearn']}, "
              f"micrograd {verdict['micrograd']}")


if __name__ == "__main__":
    main()
