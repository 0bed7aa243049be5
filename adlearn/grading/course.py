"""The exercises of a course folder and their question tables (the instructor's side).

A course folder (``exercises/``) holds, for each exercise ``<name>``:

- ``source/<name>/<name>.ipynb``: the notebook with the solutions (nbgrader metadata);
- ``source/<name>/questions.py``: its question table, defining ``EXERCISE`` (references,
  hidden cases, known wrong answers and their hints);
- ``<name>.ipynb``: the student version that ``adlearn exercises build`` writes.

The question tables are trusted code read by the grader only: they are never installed
with the package and never enter a learner's kernel.
"""

import importlib.util
import sys
from pathlib import Path

from ..errors import GradingError


def default_root():
    """The exercises folder: ./exercises if there is one, else the one beside the package."""
    here = Path("exercises")
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "exercises"


def source_path(root, name):
    return Path(root) / "source" / name / f"{name}.ipynb"


def table_path(root, name):
    return Path(root) / "source" / name / "questions.py"


def student_path(root, name):
    return Path(root) / f"{name}.ipynb"


def names(root=None):
    """The names of the exercises that have a source notebook under root, sorted."""
    root = Path(root or default_root())
    return sorted(p.parent.name for p in root.glob("source/*/*.ipynb")
                  if p.stem == p.parent.name)


def exercise(name, root=None):
    """The ``Exercise`` called name, from its question table under root."""
    root = Path(root or default_root())
    path = table_path(root, name)
    if name not in names(root) or not path.is_file():
        raise GradingError(f"there is no exercise {name!r} in {root} (the exercises: "
                           f"{', '.join(names(root)) or 'none'})")
    module_name = f"adlearn_course_{name}_{abs(hash(str(path.resolve())))}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    found = getattr(sys.modules[module_name], "EXERCISE", None)
    if found is None or found.name != name:
        raise GradingError(f"{path} must define EXERCISE, an Exercise named {name!r}")
    return found
