"""The exercises' question tables, one module per exercise.

The module ``<name>.py`` defines ``EXERCISE``, an ``Exercise`` whose name is ``<name>``:
the same name as its notebooks, ``exercises/source/<name>/<name>.ipynb`` (with the
solutions) and ``exercises/<name>.ipynb`` (the student version). The tables live in the
package, so ``check(...)`` works wherever a notebook is opened.
"""

import importlib
import pkgutil

from ...errors import GradingError


def names():
    """The names of all exercises, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def exercise(name):
    """The ``Exercise`` called name."""
    if name not in names():
        raise GradingError(f"there is no exercise {name!r} (the exercises: {', '.join(names())})")
    return importlib.import_module(f".{name}", __name__).EXERCISE


def question(question_id):
    """The ``Question`` with the id ``"<exercise>.<question>"``."""
    name, dot, qid = question_id.partition(".")
    if not dot:
        raise GradingError(f"a question id looks like 'exercise.question', not {question_id!r}")
    return exercise(name).question(qid)
