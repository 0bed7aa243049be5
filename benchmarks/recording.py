"""Record once, sweep once: how often the views sort and name a graph, and how long an
explorer slider move takes, beside the code before the Recording (commit 6af3f0a).

Counted, on the textbook example ``log(x1) + x1*x2 - sin(x2)``: the topological sorts
(calls of the engine's ``topological_order``) and the namings (calls of the function
that names a graph's nodes: ``node_names`` before, the Recording's ``_names`` now) per
``ad.draw(y, highlight="x1")``, per explorer slider move, and per click of the reverse
sweep's stepper. Timed: a slider move on the 50-node graph of ``benchmarks/widgets.py``,
in CPU milliseconds of the process (the machine is shared: wall time would measure the
other processes), the median of several moves, in the two versions alternately in one
run (each version in a process of its own, several rounds), with the spread.

    python benchmarks/recording.py                  # makes /work/wt/record-before if missing
    python benchmarks/recording.py --before PATH    # PATH: a checkout of commit 6af3f0a

The older checkout is made with ``git worktree add --detach PATH 6af3f0a``.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

BEFORE = "6af3f0a"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r'''
import importlib, json, pkgutil, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import matplotlib
matplotlib.use("Agg")
import adlearn as ad

for info in pkgutil.walk_packages(ad.__path__, "adlearn."):  # load every module to patch it
    if ".grading" not in info.name and not info.name.endswith("cli"):
        importlib.import_module(info.name)

counts = {"sorts": 0, "namings": 0}
NAMES = {"topological_order": "sorts", "node_names": "namings", "_names": "namings"}


def counting(kind, original):
    def wrapper(*args, **kwargs):
        counts[kind] += 1
        return original(*args, **kwargs)
    return wrapper


originals = {}
for module in [m for name, m in sys.modules.items() if name.startswith("adlearn")]:
    for attribute, kind in NAMES.items():
        value = getattr(module, attribute, None)
        if callable(value) and getattr(value, "__module__", "").startswith("adlearn"):
            wrapped = originals.setdefault(value, counting(kind, value))
            setattr(module, attribute, wrapped)


def counted(action):
    counts.update(sorts=0, namings=0)
    action()
    return dict(counts)


def textbook(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def fifty(x1, x2):
    v = x1
    for _ in range(16):
        v = ad.sin(v * x1 + x2)
    return v


x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
y = textbook(x1, x2)
y.backward()
draw = counted(lambda: ad.draw(y, highlight="x1"))
matplotlib.pyplot.close("all")
explorer = ad.explore(textbook, x1=2.0, x2=5.0)
slider = explorer.sliders["x1"]
move = counted(lambda: setattr(slider, "value", 2.5))
explorer.tabs.selected_index = 1
click = counted(lambda: setattr(explorer.reverse, "step", 2))
explorer.close()

explorer = ad.explore(fifty, x1=2.0, x2=0.5)
slider = explorer.sliders["x1"]
times = []
for k in range(int(sys.argv[2])):
    value = 2.0 + slider.step * (1 + k % 2)
    start = time.process_time()  # CPU time: on a shared machine, wall time is the load's
    slider.value = value
    times.append((time.process_time() - start) * 1000)
explorer.close()
print(json.dumps({"draw": draw, "move": move, "click": click, "times": times[2:]}))
'''


def run(checkout, moves):
    out = subprocess.run([sys.executable, "-c", CHILD, checkout, str(moves)], check=True,
                         capture_output=True, text=True, cwd=checkout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine():
    """The processor's name, as Linux tells it (else the platform's)."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="/work/wt/record-before",
                        help=f"a checkout of commit {BEFORE} (made if missing)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per version")
    parser.add_argument("--moves", type=int, default=12, help="slider moves per process")
    args = parser.parse_args()
    if not os.path.isdir(args.before):
        subprocess.run(["git", "-C", HERE, "worktree", "add", "--detach", args.before, BEFORE],
                       check=True)
    versions = {"before (6af3f0a)": args.before, "now": HERE}
    results = {name: [] for name in versions}
    for _ in range(args.rounds):  # alternately, so both see the same load
        for name, checkout in versions.items():
            results[name].append(run(checkout, args.moves))
    print(f"{_machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d')}")
    print(f"{'version':<18} {'draw: sorts/namings':>20} {'slider move':>12} {'stepper click':>14}"
          f" {'50-node move, median CPU ms (min-max of rounds)':>48}")
    medians = {}
    for name, rounds in results.items():
        first = rounds[0]
        per_round = [statistics.median(r["times"]) for r in rounds]
        medians[name] = statistics.median(per_round)
        cells = [f"{first[k]['sorts']}/{first[k]['namings']}" for k in ("draw", "move", "click")]
        print(f"{name:<18} {cells[0]:>20} {cells[1]:>12} {cells[2]:>14} "
              f"{medians[name]:>26.1f} ({min(per_round):.1f}-{max(per_round):.1f})")
    before, now = medians.values()
    print(f"slider move on the 50-node graph: now / before = {now / before:.2f}")


if __name__ == "__main__":
    main()
