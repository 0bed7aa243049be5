"""Reverse mode, adlearn against micrograd: time per operation and memory, in one run.

Both engines build the same graph of about 300,000 operations, the shape of a wide
layer followed by a sum: for each i, ``relu(w_i * x_i)``, then a balanced tree of sums
over all the terms. The script prints the forward pass (building the graph) and the
backward sweep in microseconds per operation, with Python's garbage collector on (as a
learner runs it) and off (the engines' own work), the ratios adlearn / micrograd, the
peak memory per operation, and what the collector has to walk in the forward pass: the
objects it tracks per operation, and its full collections. Targets (issues 2 and 9):
forward + backward at most 1/3 of micrograd's time with the collector on, the forward
pass no slower than micrograd's with it off, memory at most 1/2.

Times are the CPU time of the process (``time.process_time``), which the other
processes of a shared machine disturb less than the wall clock. Each measurement runs in
a fresh subprocess, so one engine's garbage never slows the other. The runs are interleaved (adlearn, micrograd, adlearn, ...), so a busy moment on
a shared machine hurts both alike; each figure is the median over the repetitions with
the lowest and highest in brackets, and each ratio is the median (and range) of the
ratios within a repetition. Memory is measured in a separate run with tracemalloc
(which slows code down, so it is never timed). The machine (CPU, cores, load average,
Python) is printed with the figures.

    pip install -e ".[bench]"      # the peers, pinned (micrograd 0.1.0 here)
    python benchmarks/engine.py    # about two minutes
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

TERMS = 100_000  # 2 operations per term (mul, relu) + TERMS - 1 sums = ~300,000 operations
ENGINES = ("adlearn", "micrograd")

# Runs in a subprocess: build and differentiate the graph with one engine, print JSON.
CHILD = r"""
import gc, json, sys, time, tracemalloc

engine, terms, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if engine == "adlearn":
    from adlearn import Var as Node
    value = lambda node: node.value
else:
    from micrograd.engine import Value as Node
    value = lambda node: node.data


def build(xs, ws):
    layer = [(w * x).relu() for w, x in zip(ws, xs)]
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
    if what == "gc off":
        gc.disable()
    tracked, full = len(gc.get_objects()), gc.get_stats()[2]["collections"]
    start = time.process_time()  # CPU time: other processes on the machine count less
    out = build(xs, ws)
    middle = time.process_time()
    full = gc.get_stats()[2]["collections"] - full  # full collections in the forward pass
    tracked = len(gc.get_objects()) - tracked  # objects the collector walks, once it has looked
    out.backward()
    end = time.process_time()
    expected = sum(x.grad for x in xs) + sum(w.grad for w in ws)
    print(json.dumps({"forward": middle - start, "backward": end - middle,
                      "value": value(out), "check": expected,
                      "full collections": full, "tracked": tracked}))
"""


def run(engine, what, terms):
    done = subprocess.run([sys.executable, "-c", CHILD, engine, str(terms), what],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def chain_depth_ok(engine, depth):
    """Whether a chain of ``depth`` operations differentiates (micrograd's walk recurses)."""
    code = (
        ("from adlearn import Var as N\n" if engine == "adlearn"
         else "from micrograd.engine import Value as N\n")
        + f"x = N(1.0)\ny = x\nfor _ in range({depth}):\n    y = y * 1.0\ny.backward()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def machine():
    """The CPU model, cores, load average and Python version, for the figures' caption."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {os.cpu_count()} cores, load average {load} (1/5/15 min), "
            f"Python {platform.python_version()}")


def spread(numbers, digits=2):
    """The median with the lowest and highest in brackets: 2.18 (2.05–2.40)."""
    return (f"{statistics.median(numbers):.{digits}f} "
            f"({min(numbers):.{digits}f}–{max(numbers):.{digits}f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=TERMS)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    ops = 3 * args.terms - 1
    us = 1e6 / ops

    print(f"machine: {machine()}")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    runs = {(engine, gc): [] for engine in ENGINES for gc in ("gc on", "gc off")}
    for _ in range(args.repeat):  # interleaved, so a busy moment hurts both alike
        for gc in ("gc on", "gc off"):
            for engine in ENGINES:
                r = run(engine, gc, args.terms)
                r["forward+backward"] = r["forward"] + r["backward"]
                runs[engine, gc].append(r)
    first = {engine: runs[engine, "gc on"][0] for engine in ENGINES}
    a, m = first["adlearn"], first["micrograd"]
    for key in ("value", "check"):
        if abs(a[key] - m[key]) > 1e-6 * max(1.0, abs(m[key])):
            sys.exit(f"the engines disagree: {a} vs {m}")
    memory = {engine: run(engine, "memory", args.terms)["peak_bytes"] / ops for engine in ENGINES}

    print(f"graph: {ops:,} operations (relu(w*x) for {args.terms:,} terms, then a tree of sums);"
          f" {started}, {args.repeat} interleaved runs in fresh processes,"
          " median (lowest–highest)")
    print(f"{'':30}{'adlearn':>20}{'micrograd':>20}{'ratio':>20}  target")
    targets = {("gc on", "forward+backward"): 1 / 3, ("gc off", "forward"): 1.0}
    for gc in ("gc on", "gc off"):
        for key in ("forward", "backward", "forward+backward"):
            ours = [r[key] * us for r in runs["adlearn", gc]]
            theirs = [r[key] * us for r in runs["micrograd", gc]]
            ratios = [x / y for x, y in zip(ours, theirs)]
            line = f"{key + ' µs/op, ' + gc:30}{spread(ours):>20}{spread(theirs):>20}"
            line += f"{spread(ratios):>20}"
            target = targets.get((gc, key))
            if target is not None:
                met = statistics.median(ratios) <= target
                line += f"  ≤ {target:.2f} {'met' if met else 'MISSED'}"
                line += f" in {sum(r <= target for r in ratios)} of {len(ratios)} runs"
            print(line)
    collector = {e: runs[e, "gc on"][0] for e in ENGINES}  # the same in every run
    print(f"{'objects gc tracks per op':30}"
          + "".join(f"{collector[e]['tracked'] / ops:20.2f}" for e in ENGINES))
    print(f"{'full collections, forward':30}"
          + "".join(f"{collector[e]['full collections']:20d}" for e in ENGINES))
    ratio = memory["adlearn"] / memory["micrograd"]
    print(f"{'peak memory bytes/op':30}{memory['adlearn']:20.0f}{memory['micrograd']:20.0f}"
          f"{ratio:20.2f}  ≤ 0.50 {'met' if ratio <= 0.5 else 'MISSED'}")
    for depth in (1_000, 100_000):
        verdict = {e: "ok" if chain_depth_ok(e, depth) else "fails" for e in ENGINES}
        print(f"a chain of {depth:,} operations: adlearn {verdict['adlearn']}, "
              f"micrograd {verdict['micrograd']}")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
