"""What the library shortcuts score: for every built-in exercise, the points of its
honest solution (goal: every autograded point) and of a submission that answers each
question a library call would answer by that call (tests/shortcuts.py; goal: 0 on those
questions), both graded by ``adlearn grade``'s own path in the sandbox, in one run.

    python benchmarks/shortcuts.py            # about a minute per exercise under load
"""

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from adlearn.grading import batch, course, notebooks, submissions  # noqa: E402
from adlearn.grading.limits import Limits  # noqa: E402
from shortcuts import SHORTCUTS, submission  # noqa: E402

ROOT = HERE.parent / "exercises"


def main():
    print(f"{'exercise':26} {'possible':>8} {'solution':>8} {'shortcut':>8} "
          f"{'on the ruled questions':>22}")
    with tempfile.TemporaryDirectory() as folder:
        for name in course.names(ROOT):
            exercise, template, root = submissions.find_template(name, ROOT)
            paths = [course.source_path(ROOT, name)]
            if name in SHORTCUTS:
                paths.append(Path(folder) / f"{name}.ipynb")
                notebooks.write(submission(name, ROOT), paths[-1])
            grades = batch.grade(exercise, template, root, paths, jobs=2,
                                 limits=Limits(timeout=60))
            solution = grades[0].total
            if name in SHORTCUTS:
                cut = grades[1]
                ruled = sum(cut.marks[q].points for q in SHORTCUTS[name])
                possible = sum(exercise.question(q).points for q in SHORTCUTS[name])
                shown = f"{cut.total:8g} {f'{ruled:g} of {possible:g}':>22}"
            else:
                shown = f"{'-':>8} {'(no shortcut)':>22}"
            print(f"{name:26} {exercise.possible:8g} {solution:8g} {shown}", flush=True)


if __name__ == "__main__":
    main()
