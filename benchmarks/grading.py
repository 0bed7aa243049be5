"""Batch-grading speed: submissions graded per minute with and without the sandbox,
side by side in one run, and what starting a kernel in a sandbox costs.

A class of submissions of the finite-differences exercise is made from its source:
right answers, blank notebooks and known wrong answers in turn (no timeouts, which would
measure the timeout rather than the grader). Each round grades the whole class as
``adlearn grade`` does (every submission in a fresh worker process and a fresh kernel),
once in bubblewrap sandboxes and once without (``--no-sandbox``), in alternating order;
the figures are medians over the rounds with their range. Then kernels are started and
stopped, alternately with and without a sandbox, timing each until it answers.

    python benchmarks/grading.py                  # 12 submissions, -j 2, 3 rounds: about 2 minutes
    python benchmarks/grading.py -n 24 --rounds 5
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from adlearn.grading import batch, course, notebooks
from adlearn.grading.limits import Limits
from adlearn.grading.worker import Run

NAME = "finite_differences"
MODES = {"sandbox": True, "no sandbox": False}


def make_class(folder, size):
    """size submissions in folder: solution, blank and a wrong answer, in turn."""
    source = notebooks.read(course.source_path("exercises", NAME))
    blank = notebooks.read(course.student_path("exercises", NAME))
    wrong = notebooks.read(course.source_path("exercises", NAME))
    for cell in wrong.cells:
        if notebooks.nbgrader(cell).get("grade_id") == "central_answer":
            cell.source = "def central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h"
    kinds = [source, blank, wrong]
    for i in range(size):
        notebooks.write(kinds[i % 3], Path(folder) / f"student{i:02}.ipynb")


def grading_minutes(folder, size, jobs, sandboxed):
    """Seconds to grade the class once, checking that every solution got full marks."""
    exercise, template, root = batch.find_template(NAME)
    start = time.perf_counter()
    grades = batch.grade(exercise, template, root, [folder], jobs=jobs, sandboxed=sandboxed)
    seconds = time.perf_counter() - start
    full = sum(g.total == exercise.possible for g in grades)
    assert full == len(range(0, size, 3)), "a solution did not score full marks"
    return seconds


def kernel_start(sandboxed):
    """Seconds from starting a kernel until it answers (then it is stopped)."""
    nb = nbformat.v4.new_notebook(cells=[])
    with tempfile.TemporaryDirectory(prefix="adlearn-grade-") as folder:
        run = Run(nb, Limits(), folder, sandboxed)
        start = time.perf_counter()
        with run.client.setup_kernel(cleanup_kc=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL):
            seconds = time.perf_counter() - start
    return seconds


def spread(values):
    return f"{min(values):.1f} to {max(values):.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=12, help="submissions in the class (default 12)")
    parser.add_argument("-j", type=int, default=2, help="submissions at a time (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both modes (default 3)")
    parser.add_argument("--starts", type=int, default=7, help="kernel starts per mode (default 7)")
    args = parser.parse_args()
    rates = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as folder:
        make_class(folder, args.n)
        print(f"{args.n} submissions of {NAME} with -j {args.j}, each in a fresh worker and "
              f"kernel; {args.rounds} rounds, the modes in alternating order")
        for r in range(args.rounds):
            for mode in (list(MODES) if r % 2 == 0 else list(MODES)[::-1]):
                seconds = grading_minutes(folder, args.n, args.j, MODES[mode])
                rates[mode].append(args.n / seconds * 60)
                print(f"  round {r + 1}, {mode:10}: {seconds:5.1f} s, "
                      f"{rates[mode][-1]:5.1f} submissions per minute")
    ratios = [s / n for s, n in zip(rates["sandbox"], rates["no sandbox"])]
    for mode, values in rates.items():
        print(f"{mode:10}: median {statistics.median(values):5.1f} submissions per minute "
              f"({spread(values)})")
    print(f"sandbox / no sandbox: median {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f} to {max(ratios):.2f})")
    starts = {mode: [] for mode in MODES}
    for i in range(args.starts):
        for mode in (list(MODES) if i % 2 == 0 else list(MODES)[::-1]):
            starts[mode].append(kernel_start(MODES[mode]))
    for mode, values in starts.items():
        print(f"kernel ready, {mode:10}: median {statistics.median(values):.2f} s "
              f"({min(values):.2f} to {max(values):.2f})")
    extra = [s - n for s, n in zip(starts["sandbox"], starts["no sandbox"])]
    print(f"the sandbox's start costs: median {statistics.median(extra):+.2f} s "
          f"({min(extra):+.2f} to {max(extra):+.2f}), pairs of starts in a row")


if __name__ == "__main__":
    main()
