"""Drawing speed: the time to draw a computation graph and save it as a PNG.

Graphs of about 10, 100 and 500 nodes are drawn with ``ad.draw`` (labels on by default
up to 100 nodes, off above) and saved at 100 dpi, plain and with the chain-rule paths
of x1 highlighted (listed when few, shaded by gradient share when too many). Each time
is the best of a few runs, after one warm-up draw that loads fonts and caches; the CPU
time of the process is shown in brackets. Targets (issue 3): under 0.2 s, 1 s and 5 s
(wall clock) on the development machine.

The graphs are random but fixed (seeded): each node applies an operation to nodes made
shortly before it, the shape of a computation unrolled over time, so the layout has
many layers, shared subexpressions and edges that skip layers.

    python benchmarks/draw.py          # about half a minute
"""

import argparse
import io
import random
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.views.drawing import GraphDrawing  # noqa: E402
from adlearn.views.paths import count_paths  # noqa: E402

TARGETS = {10: 0.2, 100: 1.0, 500: 5.0}  # seconds, draw + save


def random_graph(nodes, seed=0):
    """A graph of about ``nodes`` nodes over inputs x1, x2, x3; returns (output, inputs).

    Each step applies a random operation to recent nodes (a window about the square root
    of the size), preferring nodes nothing uses yet; the ones left unused at the end are
    added up into the output, so every node reaches it.
    """
    rng = random.Random(seed)
    inputs = [ad.Var(rng.uniform(0.5, 1.5), name=f"x{i + 1}") for i in range(3)]
    made, unused, count = list(inputs), list(inputs), len(inputs)
    window = max(3, round(nodes ** 0.5))
    while count + len(unused) - 1 < nodes:  # then the sums below make it `nodes`
        a = unused.pop(0) if unused and rng.random() < 0.6 else rng.choice(made[-window:])
        b = rng.choice(made[-window:])
        op = rng.choice(("add", "mul", "sub", "sin", "tanh", "scale"))
        if op in ("sin", "tanh"):
            node = getattr(ad, op)(a)
        elif op == "scale":  # a constant: one more node
            node, count = 0.5 * a, count + 1
        else:
            node = {"add": a + b, "mul": a * b, "sub": a - b}[op]
            if b in unused:
                unused.remove(b)
        made.append(node)
        unused.append(node)
        count += 1
    output = unused.pop(0)
    for node in unused:  # everything still unused goes into the output
        output = output + node
    return output, inputs


def time_draw(output, inputs, highlight, repeats):
    """The best wall-clock and CPU times to draw and save a PNG, and the last drawing.

    CPU time (this process only) is printed too: on a machine busy with other work the
    wall clock also counts the time spent waiting for a core."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        ax = ad.draw(output, highlight=highlight, inputs=inputs)
        ax.figure.savefig(io.BytesIO(), format="png", dpi=100)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        drawing = GraphDrawing.of(ax)
        plt.close(ax.figure)
    return best, best_cpu, drawing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    output, inputs = random_graph(10)
    time_draw(output, inputs, "x1", 1)  # warm up: imports, fonts, caches
    print(f"{'nodes':>6} {'edges':>6} {'layers':>6} {'paths x1':>9} {'labels':>6} "
          f"{'plain (cpu)':>14} {'x1 paths (cpu)':>16} {'target':>7}  result")
    for size, target in TARGETS.items():
        output, inputs = random_graph(size)
        output.backward()
        plain, plain_cpu, drawing = time_draw(output, inputs, None, args.repeats)
        highlighted, highlighted_cpu, _ = time_draw(output, inputs, "x1", args.repeats)
        layers = 1 + max(x for x, _ in drawing.layout.position.values())
        paths = count_paths(output, inputs[0], inputs)
        slowest = max(plain, highlighted)
        print(f"{len(drawing.graph):>6} {drawing.graph.number_of_edges():>6} {layers:>6} "
              f"{paths:>9.3g} {'on' if drawing.labels else 'off':>6} "
              f"{plain:>6.2f}s ({plain_cpu:.2f}s) {highlighted:>8.2f}s ({highlighted_cpu:.2f}s) "
              f"{target:>6.1f}s  {'pass' if slowest < target else 'FAIL'}")


if __name__ == "__main__":
    main()
