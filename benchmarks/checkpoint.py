"""Checkpointing against the plain reverse sweep: peak memory and time, in one run.

The loop is Euler's method for dx/dt = sin x in n steps (4 recorded nodes per step);
the checkpointed version runs it in √n pieces of √n steps, each through
``ad.checkpoint``. For each n the script prints the peak memory of one gradient
(tracemalloc, in a run of its own, never timed), the nodes stored at the peak, and the
time of one gradient: the median and the spread of interleaved runs, each in a fresh
subprocess, so that one side's garbage never slows the other.

    python benchmarks/checkpoint.py            # about a minute
"""

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, math, sys, time, tracemalloc
import adlearn as ad

n, checkpointed, what = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3]
k = math.isqrt(n)


def steps(x, count):
    for _ in range(count):
        x = x + (1 / n) * ad.sin(x)
    return x


def simulate(x):
    if not checkpointed:
        return steps(x, n)
    piece = ad.checkpoint(lambda x: steps(x, k))
    for _ in range(n // k):
        x = piece(x)
    return x


if what == "memory":
    tracemalloc.start()
    gradient = ad.grad(simulate, 0)(1.0)
    peak = tracemalloc.get_traced_memory()[1]
    x = ad.Var(1.0)
    nodes = len(ad.topological_order(simulate(x)))
    if checkpointed:  # the checkpoints, and one piece recomputed in the sweep
        nodes += len(ad.topological_order(steps(x, k)))
    print(json.dumps({"peak_bytes": peak, "nodes": nodes, "gradient": gradient}))
else:
    start = time.perf_counter()
    ad.grad(simulate, 0)(1.0)
    print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def child(n, checkpointed, what):
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(int(checkpointed)), what],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_500, 10_000, 40_000],
                        help="loop lengths n (squares)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side")
    args = parser.parse_args()
    print(f"{'n':>7} {'side':>13} {'nodes at peak':>14} {'peak KiB':>9} "
          f"{'median ms':>10} {'spread ms':>14}")
    for n in args.sizes:
        memory = {side: child(n, side, "memory") for side in (False, True)}
        times = {False: [], True: []}
        for _ in range(args.runs):  # interleaved: both sides see the same load
            for side in (False, True):
                times[side].append(child(n, side, "time")["seconds"] * 1000)
        for side in (False, True):
            t = times[side]
            print(f"{n:>7} {'checkpointed' if side else 'plain':>13} "
                  f"{memory[side]['nodes']:>14} {memory[side]['peak_bytes'] / 1024:>9.0f} "
                  f"{statistics.median(t):>10.0f} {min(t):>6.0f} to {max(t):<6.0f}")
        ratio = statistics.median(times[True]) / statistics.median(times[False])
        ratios = sorted(c / p for c, p in zip(times[True], times[False]))
        difference = abs(memory[True]["gradient"] - memory[False]["gradient"])
        print(f"{'':>7} checkpointed / plain: time {ratio:.2f} (pairwise {ratios[0]:.2f} to "
              f"{ratios[-1]:.2f}), memory "
              f"{memory[True]['peak_bytes'] / memory[False]['peak_bytes']:.3f}; gradients "
              f"differ by {difference / abs(memory[False]['gradient']):.1e} (relative)")


if __name__ == "__main__":
    main()
