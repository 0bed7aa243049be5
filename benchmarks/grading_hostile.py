"""What a hostile class costs the grader: the same class size, all honest or a tenth hostile.

Two classes of the finite-differences exercise, each of n submissions, are graded with
``-j 2`` at the default limits (a 30 s cell timeout, so a submission's budget is 20 s +
30 s for each of the exercise's 9 code cells: 290 s), in this process through the same
``batch.grade`` the command runs, so that each submission's time in its grading slot is
measured:

- all honest: right answers, blank notebooks and known wrong answers in turn;
- a tenth hostile: the same, with every tenth submission replaced by an attack, in turn:
  slow cells (a thousand cells of ``time.sleep(29)``, each within the cell timeout), a
  disk filler (1 MB files until no space is left), a fork bomb (processes until the
  process limit, then trying on; they sleep rather than spin, to spare the machine's
  other users), a memory hog and an endless loop.

It reports each class's time and the honest submissions' throughput (honest submissions
per minute, until the last honest one is graded), and what each hostile submission cost
in grading-slot seconds against its budget (goal: none over it). The rounds alternate
the two classes' order; the figures are the median with the lowest and highest.

    python benchmarks/grading_hostile.py              # 50 submissions, 2 rounds: about 15 minutes
    python benchmarks/grading_hostile.py -n 20 --rounds 1
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from engine import machine, spread  # benchmarks/engine.py

from adlearn.grading import batch, course, notebooks
from adlearn.grading.limits import Limits, budget
from adlearn.grading.submissions import find_template

NAME = "finite_differences"
ATTACKS = {
    "slow cells": ["import time\ntime.sleep(29)"] * 1000,
    "disk filler": ["import os\ni = 0\nwhile True:\n    with open(f'fill{i}', 'wb') as f:\n"
                    "        f.write(b'x' * 2**20)\n    i += 1"],
    "fork bomb": ["import subprocess\nwhile True:\n    try:\n"
                  "        subprocess.Popen(['sleep', '600'])\n    except OSError:\n        pass"],
    "memory hog": ["blocks = []\nwhile True:\n    blocks.append(bytearray(10**8))"],
    "endless loop": ["while True:\n    pass"],
}


def honest(i):
    """The i-th honest submission: the solution, the blank notebook or a wrong answer."""
    root = course.default_root()
    if i % 3 == 1:
        return notebooks.read(course.student_path(root, NAME))
    nb = notebooks.read(course.source_path(root, NAME))
    if i % 3 == 2:
        for cell in nb.cells:
            if notebooks.nbgrader(cell).get("grade_id") == "central_answer":
                cell.source = "def central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h"
    return nb


def attack(kind):
    """The solution with the attack's cells after its first question's grading cell."""
    nb = notebooks.read(course.source_path(course.default_root(), NAME))
    at = next(i for i, c in enumerate(nb.cells)
              if notebooks.nbgrader(c).get("grade_id") == "central")
    nb.cells[at + 1:at + 1] = [nbformat.v4.new_code_cell(c) for c in ATTACKS[kind]]
    return nb


def make_class(folder, n, hostile):
    """n submissions in folder; {path: attack} of the hostile ones."""
    kinds, attacks = list(ATTACKS), {}
    for i in range(n):
        path = Path(folder) / f"student{i:03}.ipynb"
        if hostile and i % 10 == 9:
            attacks[str(path)] = kinds[(i // 10) % len(kinds)]
            notebooks.write(attack(attacks[str(path)]), path)
        else:
            notebooks.write(honest(i), path)
    return attacks


class Timed:
    """A pool whose tasks note when they ended and how long each took in its slot."""

    def __init__(self, pool):
        self.pool, self.seconds, self.ended = pool, {}, {}

    def submit(self, fn, path, *args):
        def timed():
            began = time.monotonic()
            try:
                return fn(path, *args)
            finally:
                self.ended[str(path)] = time.monotonic()
                self.seconds[str(path)] = self.ended[str(path)] - began
        return self.pool.submit(timed)


def run(folder, attacks, limits):
    """Grade the class; its seconds, the honest ones' rate a minute, each attack's cost."""
    exercise, template, root = find_template(NAME)
    began = time.monotonic()
    batch.start_workers(2, exercise, template, root, limits)
    with batch.executor(jobs=2) as pool:
        timed = Timed(pool)
        grades = batch.grade(exercise, template, root, [folder], limits=limits, pool=timed,
                             say=lambda line: None)
    seconds = time.monotonic() - began
    full = [g.total for g in grades if g.submission not in attacks and
            int(Path(g.submission).stem[-3:]) % 3 == 0]
    assert all(t == exercise.possible for t in full), "a solution lost points"
    honest_end = max(t for p, t in timed.ended.items() if p not in attacks) - began
    rate = (len(grades) - len(attacks)) / honest_end * 60
    costs = {attacks[p]: (timed.seconds[p], {m.status for m in g.marks.values()})
             for g in grades for p in [g.submission] if p in attacks}
    return seconds, rate, costs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="submissions in a class (default 50)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both (default 2)")
    args = parser.parse_args()
    limits = Limits()
    _, template, _ = find_template(NAME)
    allowed = budget(nbformat.writes(template), limits)
    print(f"machine: {machine()}")
    print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.n} submissions "
          f"of {NAME} a class, -j 2, default limits (budget {allowed:g} s), {args.rounds} rounds")
    rates = {"all honest": [], "a tenth hostile": []}
    costs = {kind: [] for kind in ATTACKS}
    for r in range(args.rounds):
        order = list(rates) if r % 2 == 0 else list(rates)[::-1]
        for name in order:
            with tempfile.TemporaryDirectory(prefix="adlearn-bench-") as folder:
                attacks = make_class(folder, args.n, name != "all honest")
                seconds, rate, found = run(folder, attacks, limits)
            rates[name].append(rate)
            for kind, (cost, statuses) in found.items():
                costs[kind].append(cost)
                print(f"    {kind:12}: {cost:6.1f} slot-seconds, {', '.join(sorted(statuses))}")
            print(f"  round {r + 1}, {name:15}: {seconds:6.1f} s, honest submissions "
                  f"{rate:5.1f} a minute")
    print("honest submissions a minute, median (lowest–highest):")
    for name, values in rates.items():
        print(f"  {name:15}: {spread(values, 1)}")
    ratios = [h / a for h, a in zip(rates["a tenth hostile"], rates["all honest"])]
    print(f"a tenth hostile / all honest: {spread(ratios)}")
    print(f"each hostile submission's cost in grading-slot seconds (budget {allowed:g} s):")
    for kind, values in costs.items():
        if not values:
            continue
        worst = max(values, default=0)
        print(f"  {kind:12}: {spread(values, 1)}; {'within' if worst <= allowed else 'OVER'} "
              "its budget")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    sys.exit(main())
