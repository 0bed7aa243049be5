"""Batch-grading speed: submissions graded per minute with 1 and 2 workers (-j 1, -j 2).

A class of submissions of the finite-differences exercise is made from its source:
right answers, blank notebooks and known wrong answers in turn (no timeouts, which would
measure the timeout rather than the grader). Each run grades them all as
``adlearn grade`` does: every submission in a fresh worker process and a fresh kernel.
The issue's reference points, measured on this machine: a prototype graded 8
submissions in 12 s with 4 workers; nbgrader took 28 s for 7 (serially).

    python benchmarks/grading.py            # about a minute
    python benchmarks/grading.py -n 16      # a bigger class
"""

import argparse
import tempfile
import time
from pathlib import Path

from adlearn.grading import batch, notebooks

NAME = "finite_differences"


def make_class(folder, size):
    """size submissions in folder: solution, blank and a wrong answer, in turn."""
    source = notebooks.read(notebooks.source_path("exercises", NAME))
    blank = notebooks.read(notebooks.student_path("exercises", NAME))
    wrong = notebooks.read(notebooks.source_path("exercises", NAME))
    for cell in wrong.cells:
        if notebooks.nbgrader(cell).get("grade_id") == "central_answer":
            cell.source = "def central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h"
    kinds = [source, blank, wrong]
    for i in range(size):
        notebooks.write(kinds[i % 3], Path(folder) / f"student{i:02}.ipynb")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=8, help="submissions in the class (default 8)")
    args = parser.parse_args()
    exercise, template = batch.find_template(NAME)
    with tempfile.TemporaryDirectory() as folder:
        make_class(folder, args.n)
        print(f"{args.n} submissions of {NAME}, each in a fresh worker and kernel")
        for jobs in (1, 2):
            start = time.perf_counter()
            grades = batch.grade(exercise, template, [folder], jobs=jobs)
            seconds = time.perf_counter() - start
            full = sum(g.total == exercise.possible for g in grades)
            assert full == len(range(0, args.n, 3)), "a solution did not score full marks"
            print(f"  -j {jobs}: {seconds:5.1f} s, {args.n / seconds * 60:5.1f} submissions "
                  f"per minute ({seconds / args.n:.2f} s each)")


if __name__ == "__main__":
    main()
