"""The explorer's responsiveness: time from a slider change to a finished redraw.

Setting a slider's value runs the explorer's observers at once (no kernel needed): it
recomputes the graph, the sweeps, the paths and the trace table, updates the drawing
in place and saves it as SVG for the browser. That whole round on the Python side is
timed, for the textbook example and for a 50-node graph, as the median of several
changes (the slider moves back and forth). Targets (issue 4): median under 150 ms and
500 ms on the development machine. The browser adds its own rendering on top.

    python benchmarks/widgets.py          # a few seconds
"""

import argparse
import statistics
import time

import adlearn as ad
from adlearn.views.recording import Recording

TEXTBOOK = "log(x1) + x1*x2 - sin(x2)"


def fifty(x1, x2):
    """A 50-node graph: 2 inputs and 16 rounds of v = sin(v × x1 + x2)."""
    v = x1
    for _ in range(16):
        v = ad.sin(v * x1 + x2)
    return v


CASES = [("textbook example", TEXTBOOK, 150), ("50-node graph", fifty, 500)]


def time_redraws(f, changes):
    """Milliseconds per slider change, one per change, and the explorer's node count."""
    explorer = ad.explore(f, x1=2.0, x2=0.5)
    slider = explorer.sliders["x1"]
    nodes = sum(1 for node in Recording(explorer.output, explorer.inputs).ids if not node.is_constant)
    times = []
    for k in range(changes):
        value = 2.0 + slider.step * (1 + k % 2)  # back and forth between two values
        start = time.perf_counter()
        slider.value = value
        times.append((time.perf_counter() - start) * 1000)
    explorer.close()
    return times, nodes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=21, help="slider changes per graph")
    args = parser.parse_args()
    print(f"{'graph':<18} {'nodes':>5} {'median ms':>10} {'min ms':>8} {'max ms':>8} "
          f"{'target ms':>10}  ok")
    for name, f, target in CASES:
        time_redraws(f, 2)  # warm up: imports, first layout, font cache
        times, nodes = time_redraws(f, args.changes)
        median = statistics.median(times)
        print(f"{name:<18} {nodes:>5} {median:>10.1f} {min(times):>8.1f} {max(times):>8.1f} "
              f"{target:>10}  {'yes' if median < target else 'NO'}")


if __name__ == "__main__":
    main()
