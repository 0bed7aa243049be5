"""A course folder: the exercises of a course and their question tables (the instructor's side).

A course folder holds, for each exercise ``<name>``:

- ``source/<name>/<name>.ipynb``: the notebook with the solutions (nbgrader metadata);
- ``source/<name>/questions.py``: its question table, defining ``EXERCISE`` (references,
  hidden cases, known wrong answers and their hints);
- ``<name>.ipynb``: the student version that ``adlearn exercises build`` writes;
- ``checks/<name>.json``: the data the learner's ``check`` works from, which the build
  writes too (see check.py for why it sits beside the student versions).

The exercises that ship with adlearn (``exercises/`` in the repository) are one such
folder, with one difference: their check data is written into the package
(``adlearn/grading/checks/``), so ``check`` works wherever a built-in notebook is opened,
from an installed package alone. Their sources are not installed (learners install the
same package): an installed adlearn grades from a course folder given with ``--course``
(the repository's ``exercises/``, or an instructor's own).
An instructor's own course is any other folder; ``adlearn exercises new NAME --course
DIR`` starts an exercise in it from a small working example (``scaffold/``).

The question tables are trusted code read by the grader only: they are never installed
with the package and never enter a learner's kernel.
"""

import hashlib
import importlib.machinery
import importlib.util
import json
import random
import sys
import traceback
from pathlib import Path

from ..errors import GradingError
from .check import CHECKS, CHECKS_FOLDER

BUILT_IN = Path(__file__).resolve().parents[2] / "exercises"  # in a clone of adlearn
SCAFFOLD = Path(__file__).parent / "scaffold"


NO_COURSE = ("no course folder: give one with --course DIR. The sources of adlearn's own "
             "exercises (their reference answers) are not installed with it: they are "
             "the exercises/ folder of adlearn's repository; or start a course of your own "
             "with: adlearn exercises new NAME --course DIR")


def default_root():
    """The course folder when none is given: ./exercises if there is one, else the
    built-in exercises in a clone of adlearn. An installed adlearn (a wheel) holds no
    reference answer, so there it is a GradingError saying where a course folder is to be
    had and how to pass it."""
    for here in (Path("exercises"), BUILT_IN):
        if here.is_dir():
            return here
    raise GradingError(NO_COURSE)


def source_path(root, name):
    return Path(root) / "source" / name / f"{name}.ipynb"


def table_path(root, name):
    return Path(root) / "source" / name / "questions.py"


def table_hash(root, name):
    """The hash of an exercise's question table as it is now: a grade records the one
    that judged it, and the check data's salt is made from it."""
    return hashlib.sha256(table_path(root, name).read_bytes()).hexdigest()


def stale_check_data(root, name):
    """Whether an exercise's check data was built from another question table than the
    one there now (changed since the build: the learners' check judges by the old one)."""
    try:
        built = json.loads(checks_path(root, name).read_text(encoding="utf-8")).get("table")
    except (OSError, ValueError, AttributeError):
        return True
    return built != table_hash(root, name)[:16]


def student_path(root, name):
    return Path(root) / f"{name}.ipynb"


def checks_path(root, name):
    """Where the build writes an exercise's check data (and where check() finds it)."""
    if Path(root).resolve() == BUILT_IN:
        return CHECKS / f"{name}.json"
    return Path(root) / CHECKS_FOLDER / f"{name}.json"


def handout_path(root, name):
    """The student version that ``adlearn exercises start`` copies for a learner: the
    built-in exercises' is kept in the package beside its check data (so that an
    installed adlearn can start one), a course's is its student version."""
    if Path(root).resolve() == BUILT_IN:
        return CHECKS / f"{name}.ipynb"
    return student_path(root, name)


def names(root=None):
    """The names of the exercises that have a source notebook under root, sorted."""
    root = Path(root or default_root())
    return sorted(p.parent.name for p in root.glob("source/*/*.ipynb")
                  if p.stem == p.parent.name)


def folder(root):
    """root as a Path, if it is a course folder that exists (else GradingError)."""
    root = Path(root)
    if not root.is_dir():
        raise GradingError(f"no such course folder: {root}")
    return root


def exercise(name, root=None):
    """The ``Exercise`` called name, from its question table under root."""
    root = folder(root or default_root())
    path = table_path(root, name)
    if name not in names(root) or not path.is_file():
        raise GradingError(f"there is no exercise {name!r} in the course folder {root} "
                           f"(its exercises: {', '.join(names(root)) or 'none'}; an "
                           f"exercise needs {source_path('', name)} and "
                           f"{table_path('', name)})")
    # one module per table's text, so a table edited since is read again
    module_name = f"adlearn_course_{name}_{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            module_name, path, loader=_TableLoader(module_name, str(path)))
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise GradingError(_import_error(path, exc)) from None
        except BaseException:
            del sys.modules[module_name]
            raise
    found = getattr(sys.modules[module_name], "EXERCISE", None)
    if not hasattr(found, "questions") or getattr(found, "name", None) != name:
        raise GradingError(f"{path} must define EXERCISE, an Exercise named {name!r}")
    return found


def judge_known_mistakes(exercise, where):
    """Each known mistake of each autograded question must fail its question, with its
    own hint (an earlier one that matches it too, or one equal to the reference, would
    never let its hint fire); else GradingError naming the question."""
    for q in exercise.questions:
        for number, wrong in enumerate(q.wrong if q.autograded else (), 1):
            verdict = q.judge(wrong.answer, random.Random(number))
            if verdict.passed or verdict.mistake != number:
                got = ("passes the question" if verdict.passed else
                       f"earns the hint of known mistake {verdict.mistake}" if verdict.mistake
                       else "earns the question's generic hint")
                raise GradingError(f"{where}: question {q.id}: its known mistake {number} "
                                   f"({wrong.answer!r}) {got}, so its own hint can never "
                                   "fire; nothing written")


def judge_solutions(root, sources):
    """Grade each exercise's source notebook (sources: {name: (source text, student
    version text)}) as a submission of variant 0 (the source's numbers), the way
    ``adlearn grade`` does (in a kernel, not sandboxed: the sources are the
    instructor's): every autograded question must earn
    all its points, else GradingError naming the question."""
    from concurrent.futures import ThreadPoolExecutor

    from .batch import grade_submission
    from .limits import Limits
    from .workers import close_workers, expect

    if not sources:
        return
    expect(len(sources))  # no kernel started ahead for a source that never comes
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            grades = dict(zip(sources, pool.map(
                lambda name: grade_submission(source_path(root, name), name,
                                              sources[name][1], root, Limits(),
                                              sandboxed=False, text=sources[name][0],
                                              variant=0),
                sources)))
    finally:
        expect(None)
        close_workers()
    for name, grade in grades.items():
        for q in exercise(name, root).questions:
            mark = grade.marks[q.id]
            if q.autograded and mark.points < q.points:
                raise GradingError(f"{source_path(root, name)}: the solution of question "
                                   f"{q.id} does not earn its points with its question "
                                   f"table ({mark.status}"
                                   + (f": {mark.detail}" if mark.detail else "")
                                   + "); nothing written")


class _TableLoader(importlib.machinery.SourceFileLoader):
    """Imports a question table without writing __pycache__ into the course folder."""

    def set_data(self, path, data, *, _mode=0o666):
        pass


def _import_error(path, exc):
    """Why a question table did not import, at its own line (not the importer's)."""
    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    if line is None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if Path(f.filename).resolve() == path.resolve()]
        line = frames[-1].lineno if frames else None
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    where = f", line {line}" if line else ""
    return f"the question table {path} does not import ({type(exc).__name__}{where}: {message})"


def scaffold(root, name):
    """Start the exercise name in the course folder root from the scaffold: a source
    notebook and a question table that build and grade as they are. Writes nothing if
    the exercise (or anything at its place) is there already; returns the paths written."""
    if not (name.isidentifier() and name.isascii()):
        raise GradingError(f"the exercise's name {name!r} must be a Python name "
                           "(letters, digits and _, not starting with a digit): the "
                           "grading cells call check(\"<name>.<question>\")")
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise GradingError(f"--course {root}: is a file, not a course folder")
    place = source_path(root, name).parent
    if place.exists() or student_path(root, name).exists():
        raise GradingError(f"the course folder {root} already has an exercise {name!r} "
                           f"({place}); nothing written")
    title = name.replace("_", " ").capitalize()
    written = []
    for template, target in (("exercise.ipynb.in", source_path(root, name)),
                             ("questions.py.in", table_path(root, name))):
        text = (SCAFFOLD / template).read_text(encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("{{name}}", name).replace("{{title}}", title),
                          encoding="utf-8")
        written.append(target)
    return written
