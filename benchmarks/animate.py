"""Animation speed: the time to animate a sweep over the textbook example and write it.

The classic survey example ``ln(x1) + x1*x2 - sin(x2)`` has 7 nodes; its reverse sweep
is 6 frames (one per node, after the seed). Each run builds ``ad.animate`` and writes a
GIF (at 80 dpi, the default), or makes the notebook's inline player (``to_jshtml``).
The median and the spread (fastest, slowest) of several runs are printed, wall clock
and this process's CPU time. Target (issue 15): under 10 s.

    python benchmarks/animate.py          # about half a minute
"""

import argparse
import io
import os
import statistics
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import adlearn as ad  # noqa: E402

TARGET = 10.0  # seconds


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    return [x1, x2], ad.log(x1) + x1 * x2 - ad.sin(x2)


def gif(folder):
    inputs, y = classic()
    ad.animate(y, inputs=inputs).save(os.path.join(folder, "sweep.gif"))


def inline(folder):
    inputs, y = classic()
    io.StringIO(ad.animate(y, inputs=inputs).to_jshtml())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        gif(folder)  # warm up: imports, fonts
        times = {"GIF": [], "inline": []}
        for _ in range(args.repeats):  # interleaved, so a burst of load hits both alike
            for name, run in (("GIF", gif), ("inline", inline)):
                start, cpu = time.perf_counter(), time.process_time()
                run(folder)
                times[name].append((time.perf_counter() - start, time.process_time() - cpu))
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'7 nodes, 6 frames':<18} {'median (range)':>22} {'cpu median':>11} {'target':>7}")
    for name, runs in times.items():
        wall, cpu = zip(*runs)
        median = statistics.median(wall)
        print(f"{name:<18} {median:>8.2f}s ({min(wall):.2f}-{max(wall):.2f}s) "
              f"{statistics.median(cpu):>10.2f}s {TARGET:>6.0f}s  "
              f"{'pass' if median < TARGET else 'FAIL'}")


if __name__ == "__main__":
    main()
