"""Checkpointing against the plain reverse sweep: peak memory and time, in one run.

The loop is Euler's method for dx/dt = sin x in n steps (4 recorded nodes per step);
the checkpointed version runs it in √n pieces of √n steps, each through
``ad.checkpoint``. For each n the script prints the peak memory of one gradient
(tracemalloc, in a run of its own, never timed), the nodes stored at the peak, and the
time of one gradient: the median and the spread of interleaved runs, each in a fresh
subprocess, so that one side's garbage never slows the other. It also checks that both
sides give the same value and gradient, to the last bit.

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
    value, gradient = ad.value_and_grad(simulate, 0)(1.0)
    peak = tracemalloc.get_traced_memory()[1]
    x = ad.Var(1.0)
    nodes = len(ad.topological_order(simulate(x)))
    if checkpointed:  # the checkpoints, and one piece recomputed in the sweep
        nodes += len(ad.topological_order(steps(x, k)))
    # json writes a float as its repr, which reads back as the same float, bit for bit
    print(json.dumps({"peak_bytes": peak, "nodes": nodes, "value": value, "gradient": gradient}))
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
        print(f"{'':>7} checkpointed / plain: time {ratio:.2f} (pairwise {ratios[0]:.2f} to "
              f"{ratios[-1]:.2f}), memory "
              f"{memory[True]['peak_bytes'] / memory[False]['peak_bytes']:.3f}; "
              f"{agreement(memory[False], memory[True])}")


def agreement(plain, checkpointed):
    """Whether the two sides' value and gradient are the same floats, in words."""
    texts = []
    for what in ("value", "gradient"):
        a, b = plain[what], checkpointed[what]
        texts.append(f"{what}s equal" if a == b else
                     f"{what}s differ by {abs(b - a) / abs(a):.1e} (relative)")
    return ", ".join(texts)


if __name__ == "__main__":
    main()
