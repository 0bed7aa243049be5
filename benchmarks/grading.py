"""Grading throughput: nbgrader's autograde against ``adlearn grade``, side by side in one run.

The same class of submissions of the finite-differences exercise (right answers, blank
notebooks and known wrong answers in turn; no timeouts, which would measure the timeout
rather than the grader) is graded by three commands, each run whole as an instructor
runs it, in rounds whose order rotates so that a busy moment on a shared machine hurts
all three alike:

- ``nbgrader autograde`` on a course folder laid out as nbgrader wants (``source/``, a
  gradebook made by ``nbgrader generate_assignment``, ``submitted/<student>/<exercise>/``).
  Per submission it restores the locked cells from the gradebook, runs the notebook once
  top to bottom in a fresh kernel (the grading cells call ``check``, which raises on a
  wrong answer), and writes the scores into its sqlite gradebook; one submission at a time.
- ``adlearn grade -j 2``: two worker processes, each grading its submissions in turn:
  per submission it restores the locked cells, runs the learner's cells in a fresh
  kernel in a bubblewrap sandbox of its own (its limits, its user, a tmpfs folder,
  started while the submission before is graded) and, at each grading cell, probes the
  answer on public, hidden and random cases and judges the outputs outside the kernel.
- ``adlearn grade --scheduler local:2``: the same per-submission function on a dask
  LocalCluster of two workers, which the command starts and stops.

Both tools run IPython's kernel (ipykernel) of this environment, with a cell timeout of
30 s (nbgrader's default, and adlearn's); adlearn starts it without the debugger and the
history file, which grading does not use (see grading_profile.md). The figures are submissions per minute of the whole
command (start-up included), the median over the rounds with the lowest and highest,
and the ratios within each round. Every round's grades are checked: each solution scores
full marks, and both tools give each submission the same autograded points.

    pip install -e ".[test,bench]"     # nbgrader is a benchmark-only dependency
    python benchmarks/grading.py       # 20 submissions, 3 rounds: about 4 minutes on a quiet machine
    python benchmarks/grading.py -n 40 --rounds 5
"""

import argparse
import csv
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine import machine  # benchmarks/engine.py: the machine and its load

from adlearn.grading import course, notebooks

NAME = "finite_differences"
COMMANDS = ("nbgrader autograde", "adlearn grade -j 2", "adlearn grade --scheduler local:2")
TARGETS = {("adlearn grade -j 2", "nbgrader autograde"): 4.0,  # the ratio of rates, at least
           ("adlearn grade --scheduler local:2", "adlearn grade -j 2"): 0.85}


def kinds():
    """The class's three kinds of submission, in turn: the solution, the blank student
    version and a known wrong answer."""
    root = course.default_root()
    source = notebooks.read(course.source_path(root, NAME))
    blank = notebooks.read(course.student_path(root, NAME))
    wrong = notebooks.read(course.source_path(root, NAME))
    for cell in wrong.cells:
        if notebooks.nbgrader(cell).get("grade_id") == "central_answer":
            cell.source = "def central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h"
    return [source, blank, wrong]


def make_class(course_folder, size):
    """A course folder for nbgrader holding size submissions: solution, blank, wrong."""
    root, made = course.default_root(), kinds()
    folder = Path(course_folder)
    (folder / "source" / NAME).mkdir(parents=True)
    shutil.copy(course.source_path(root, NAME), folder / "source" / NAME)
    (folder / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "adlearn-benchmark"\n')
    for i in range(size):
        notebooks.write(made[i % 3], folder / "submitted" / f"student{i:02}" / NAME / f"{NAME}.ipynb")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"],
                   cwd=folder, check=True, capture_output=True)


def command(name, output):
    if name == "nbgrader autograde":
        return [sys.executable, "-m", "nbgrader", "autograde", NAME, "--force"]
    how = ["-j", "2"] if name.endswith("-j 2") else ["--scheduler", "local:2"]
    return [sys.executable, "-m", "adlearn.cli", "grade", NAME, "submitted", "-o", str(output),
            *how]


def points(name, course_folder, output):
    """Each submission's autograded points, by student, from the command's output."""
    if name == "nbgrader autograde":
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course_folder}/gradebook.db") as gradebook:
            return {s.id: gradebook.find_submission(NAME, s.id).score
                    for s in gradebook.students}
    with open(output, newline="") as f:
        return {Path(row["submission"]).parts[1]: float(row["total"]) for row in csv.DictReader(f)}


def run(name, course_folder, output):
    """Seconds the command takes to grade the class, and its points by student."""
    start = time.perf_counter()
    done = subprocess.run(command(name, output), cwd=course_folder,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{name} failed:\n{done.stderr[-2000:]}")
    return seconds, points(name, course_folder, output)


def spread(values, digits=1):
    """The median with the lowest and highest in brackets: 44.1 (40.2–46.0)."""
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}–{max(values):.{digits}f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="submissions in the class (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all three (default 3)")
    args = parser.parse_args()
    if importlib.util.find_spec("nbgrader") is None:
        sys.exit("this benchmark needs nbgrader: pip install -e \".[test,bench]\"")
    print(f"machine: {machine()}")
    print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.n} submissions "
          f"of {NAME}, {args.rounds} rounds, the commands' order rotating")
    rates = {name: [] for name in COMMANDS}
    exercise = course.exercise(NAME)
    with tempfile.TemporaryDirectory(prefix="adlearn-bench-") as folder:
        make_class(folder, args.n)
        output, reference = Path(folder) / "grades.csv", None
        for r in range(args.rounds):
            for name in COMMANDS[r % 3:] + COMMANDS[:r % 3]:
                seconds, got = run(name, folder, output)
                solutions = [got[f"student{i:02}"] for i in range(0, args.n, 3)]
                assert all(p == exercise.possible for p in solutions), f"{name}: {got}"
                reference = reference or got
                assert got == reference, f"the tools disagree: {reference} and {got}"
                rates[name].append(args.n / seconds * 60)
                print(f"  round {r + 1}, {name:34}: {seconds:5.1f} s, "
                      f"{rates[name][-1]:5.1f} submissions per minute")
    print("submissions per minute, median (lowest–highest):")
    for name, values in rates.items():
        print(f"  {name:34}: {spread(values)}")
    for (ours, theirs), target in TARGETS.items():
        ratios = [a / b for a, b in zip(rates[ours], rates[theirs])]
        met = statistics.median(ratios) >= target
        print(f"{ours} / {theirs}: {spread(ratios, 2)}; target ≥ {target:.2f} "
              f"{'met' if met else 'MISSED'} in {sum(x >= target for x in ratios)} of "
              f"{len(ratios)} rounds")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
