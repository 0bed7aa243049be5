"""The learner's working folder: ``adlearn exercises start``, ``reset`` and ``status``.

``start NAME --student ID`` copies the exercise's student notebook into the folder, with
the numbers of the learner's own variant in its text (see questions.Variants), and notes
the exercise, the id and the variant in ``adlearn-learner.json`` there. ``check`` finds
that file (from the kernel's working directory up, as it finds the check data), judges
the learner's variant, and records each question's outcome in it; ``status`` reads what
``check`` recorded, without running any notebook. Everything here needs only the
standard library and the package's own data, so it works from an installed adlearn.
"""

import json
import os
from pathlib import Path

from ..errors import GradingError
from . import course
from .check import CHECKS_FOLDER, data_path
from .variants import for_variant, variant_of

FILE = "adlearn-learner.json"  # {"student": id, "exercises": {name: {"variant", "checks"}}}
PASSED, FAILED, FORM = "passed", "failed", "form only"  # what a check recorded
MARKS = {PASSED: "✓", FAILED: "✗", FORM: "?"}


def find(start=None):
    """The nearest learner file from start (the working directory) up, or None."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / FILE).is_file():
            return folder / FILE
    return None


def _read(path):
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"exercises": {}}
    return found if isinstance(found, dict) and isinstance(found.get("exercises"), dict) \
        else {"exercises": {}}


def _write(path, state):
    """Write the learner file whole (a new file moved into place)."""
    temporary = Path(path).with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def variant(name):
    """The variant of the exercise name that the learner here started (0: none)."""
    path = find()
    entry = _read(path)["exercises"].get(name) if path else None
    return entry.get("variant", 0) if isinstance(entry, dict) else 0


def record(name, qid, outcome):
    """Note what the learner's check of a question gave (if they started the exercise)."""
    path = find()
    if path is None:
        return
    state = _read(path)
    entry = state["exercises"].get(name)
    if not isinstance(entry, dict):
        return
    entry.setdefault("checks", {})[qid] = outcome
    try:
        _write(path, state)
    except OSError:  # a read-only folder: the check itself still answers
        pass


def _check_data(name, course_root):
    """The check data of name (JSON) and the student notebook to copy."""
    if course_root:
        root = course.folder(course_root)
        path, handout = course.checks_path(root, name), course.student_path(root, name)
    else:
        path, handout = data_path(name), course.CHECKS / f"{name}.ipynb"
    if path is None or not Path(path).is_file() or not handout.is_file():
        known = sorted(p.stem for p in course.CHECKS.glob("*.json"))
        raise GradingError(f"there is no exercise {name!r} to start" + (
            f" in the course folder {course_root} (run: adlearn exercises build --course "
            f"{course_root})" if course_root else f" (adlearn's exercises: {', '.join(known)})"))
    return json.loads(Path(path).read_text(encoding="utf-8")), handout, path


def start(name, student, folder=".", course_root=None, keep_old=False):
    """Write the learner's notebook of the exercise name (their variant) into folder and
    note it in the learner file; returns the notebook's path and the variant. An
    existing notebook is kept (GradingError), unless keep_old moves it aside first."""
    data, handout, checks = _check_data(name, course_root)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = _read(folder / FILE) if (folder / FILE).is_file() else {"exercises": {}}
    student = student if student is not None else state.get("student")
    count = len(data.get("variants", []))
    number = variant_of(name, count, student)
    if student is not None and state.get("student") not in (None, str(student)):
        raise GradingError(f"{folder} is the working folder of the student "
                           f"{state['student']!r}, not {student!r}: start in another folder")
    target = folder / f"{name}.ipynb"
    if target.exists() and not keep_old:
        raise GradingError(f"{target} is there already: to start again from a fresh copy, "
                           f"run: adlearn exercises reset {name}")
    if target.exists():
        target.replace(_aside(target))
    notebook = json.loads(handout.read_text(encoding="utf-8"))
    replacements = data["variants"][number - 1]["text"] if number else {}
    target.write_text(json.dumps(for_variant(notebook, replacements), indent=1,
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    if course_root:  # check() finds a course's data in checks/ beside the notebook
        (folder / CHECKS_FOLDER).mkdir(exist_ok=True)
        (folder / CHECKS_FOLDER / f"{name}.json").write_bytes(Path(checks).read_bytes())
    if student is not None:
        state["student"] = str(student)
    state["exercises"][name] = {"variant": number, "checks": {},
                                "questions": sorted(data["questions"]),
                                **({"course": str(course_root)} if course_root else {})}
    _write(folder / FILE, state)
    return target, number


def _aside(path):
    """A free name beside path for the old copy: name.old.ipynb, name.old2.ipynb, ..."""
    for n in range(1, 10_000):
        candidate = path.with_name(f"{path.stem}.old{n if n > 1 else ''}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise GradingError(f"too many old copies of {path} beside it")


def reset(name, folder="."):
    """A fresh copy of the exercise name in folder, for the same learner and variant;
    the old notebook is kept beside it. Returns the new and the old path."""
    path = Path(folder) / FILE
    entry = _read(path)["exercises"].get(name) if path.is_file() else None
    if not isinstance(entry, dict):
        raise GradingError(f"the exercise {name!r} was not started in {Path(folder)} "
                           f"(run: adlearn exercises start {name} --student ID)")
    old = Path(folder) / f"{name}.ipynb"
    kept = _aside(old) if old.exists() else None
    target, _ = start(name, None, folder, entry.get("course"), keep_old=True)
    return target, kept


def status(folder="."):
    """Per exercise started in folder: its variant and each autograded question's last
    check (passed, failed, form only, not checked yet), as lines."""
    path = Path(folder) / FILE
    if not path.is_file():
        raise GradingError(f"no exercise was started in {Path(folder)} (run: adlearn "
                           "exercises start NAME --student ID)")
    state = _read(path)
    lines = [f"student {state.get('student', '(none)')}"]
    for name, entry in sorted(state["exercises"].items()):
        entry = entry if isinstance(entry, dict) else {}
        checks = entry.get("checks", {})
        questions = entry.get("questions") or sorted(checks)
        passed = sum(checks.get(q) == PASSED for q in questions)
        lines.append(f"{name} (variant {entry.get('variant', 0)}): {passed} of "
                     f"{len(questions)} questions passed your last check")
        lines += [f"  {MARKS.get(checks.get(q), '·')} {q}: {checks.get(q, 'not checked yet')}"
                  for q in questions]
    return lines
