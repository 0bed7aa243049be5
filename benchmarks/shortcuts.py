"""What the ways around the work score: for every built-in exercise, graded by ``adlearn
grade``'s own path in the sandbox, in one run, as four learners of one class:

- alice hands in the honest solution (goal: every autograded point);
- bob answers each question a library call would answer by that call (tests/shortcuts.py;
  goal: 0 on those questions);
- carol types in the tutorials' numbers (variant 0's) for every question whose numbers
  differ between learners, and a tutorial's code where it prints a function question's
  answer (goal: 0 on those);
- dave types in what he recovered from his own check data in the time given (the
  nice numbers first, each tried through the slow hash; goal: 0 on the sealed value
  questions), and the tutorials' numbers where it holds no hash.

    python benchmarks/shortcuts.py [--crack-seconds S]   # a minute or two per exercise
"""

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from adlearn.grading import batch, course, notebooks, probe, sealed, submissions  # noqa: E402
from adlearn.grading.check import CHECKS  # noqa: E402
from adlearn.grading.limits import Limits  # noqa: E402
from shortcuts import (SHORTCUTS, TUTORIAL_CODE, copied, literal,  # noqa: E402
                       submission, variant_questions)

ROOT = HERE.parent / "exercises"
CLASS = ("alice", "bob", "carol", "dave")


def filled(form, numbers):
    """The form (numbers as "#") with the numbers put in, in order."""
    numbers = iter(numbers)

    def fill(f):
        if f == "#":
            return next(numbers)
        if isinstance(f, list):
            return [fill(x) for x in f]
        if isinstance(f, dict):
            return {k: fill(f[k]) for k in sorted(f)}
        return f
    return fill(form)


def crack(data, form, seconds):
    """The value recovered from one sealed question's check data within seconds of CPU
    (the nice numbers in every place, in order), or None."""
    count, end = len(sealed.numbers(filled(form, itertools.repeat(0.0)))), (
        time.process_time() + seconds)
    for guess in itertools.product(sealed.NICE, repeat=count):
        value = filled(form, guess)
        if sealed.matches(value, data["accepted"], data["salt"], data["tolerance"]):
            return value
        if time.process_time() > end:
            return None
    return None


def cracked(name, student, seconds):
    """Dave's notebook: each value question answered by what cracking his check data
    recovered, else by the tutorials' numbers; (the notebook, the sealed questions,
    how many were recovered)."""
    exercise = course.exercise(name, ROOT)
    k = exercise.variant_of(student)
    data = json.loads((CHECKS / f"{name}.json").read_text(encoding="utf-8"))
    mine = {**data["questions"], **(data["variants"][k - 1]["questions"] if k else {})}
    answers, sealed_ids, recovered = {}, [], 0
    for q in exercise.questions:
        if q.kind != "value":
            continue
        value = q.reference  # the tutorials' (variant 0's) numbers
        if "accepted" in mine[q.id]:
            sealed_ids.append(q.id)
            mine_q = exercise.variant(k).question(q.id)
            form = sealed.form(probe.output(mine_q.probe_kind, mine_q.reference,
                                            mine_q.public_cases()[0][1]))
            found = crack(mine[q.id], form, seconds)
            recovered += found is not None
            value = found if found is not None else value
        answers[q.id] = f"{q.answer} = {literal(value)}"
    return submission(name, ROOT, answers), sealed_ids, recovered


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crack-seconds", type=float, default=20.0,
                        help="CPU seconds dave spends on each sealed question (default 20)")
    args = parser.parse_args()
    print(f"{'exercise':26} {'possible':>8} {'honest':>6} {'library':>11} "
          f"{'tutorial numbers':>16} {'cracked data':>12}   (points on the questions aimed at)")
    with tempfile.TemporaryDirectory() as folder:
        for name in course.names(ROOT):
            exercise, template, root = submissions.find_template(name, ROOT)
            place = Path(folder) / name
            for student in CLASS:
                (place / student).mkdir(parents=True)
            notebooks.write(notebooks.read(course.source_path(ROOT, name)),
                            place / "alice" / f"{name}.ipynb")
            aimed = {"bob": list(SHORTCUTS.get(name, {})),
                     "carol": (variant_questions(exercise, exercise.variant_of("carol"),
                                                 ("value",))
                               + list(TUTORIAL_CODE.get(name, {})))
                     if exercise.variant_count else []}
            notebooks.write(submission(name, ROOT, SHORTCUTS.get(name, {})),
                            place / "bob" / f"{name}.ipynb")
            notebooks.write(copied(name, exercise.variant_of("carol"), root=ROOT),
                            place / "carol" / f"{name}.ipynb")
            dave, aimed["dave"], recovered = cracked(name, "dave", args.crack_seconds)
            notebooks.write(dave, place / "dave" / f"{name}.ipynb")
            grades = batch.grade(exercise, template, root, [place], jobs=2,
                                 limits=Limits(timeout=60), say=lambda line: None)
            by = {Path(g.submission).parent.name: g for g in grades}

            def on(student):
                qs = aimed[student]
                if not qs:
                    return "-"
                got = sum(by[student].marks[q].points for q in qs)
                return f"{got:g} of {sum(exercise.question(q).points for q in qs):g}"

            print(f"{name:26} {exercise.possible:8g} {by['alice'].total:6g} "
                  f"{on('bob'):>11} {on('carol'):>16} {on('dave'):>12}"
                  + (f"   ({recovered} recovered)" if recovered else ""), flush=True)


if __name__ == "__main__":
    main()
