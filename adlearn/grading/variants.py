"""Per-learner variants of an exercise: each learner answers it with numbers of their own.

An exercise's question table declares its variants (``Variants``: the source notebook's
numbers, how to draw another set, the questions and the notebook's text for a set). A
learner's variant follows from their student id (``variant_of``: the same id, the same
variant, wherever it is worked out), and the notebook they are given is the student
version with the variant's numbers in its text (``for_variant``), which the grader
rebuilds to restore its locked cells. Exercise (questions.py) gives a variant's numbers,
questions and text.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Callable

from ..errors import GradingError


def variant_of(name, count, student):
    """The variant of the exercise name (with count variants) for the learner with the id
    student: 1 to count, from a hash of the two (0 if the exercise has no variants). No
    learner is given variant 0, the numbers the source notebook and the tutorials show."""
    if not count:
        return 0
    if not str(student or "").strip():
        raise GradingError(f"the exercise {name!r} comes in a variant for each learner: "
                           "give the learner's student id (--student ID)")
    text = f"{name}\n{str(student).strip()}"  # an id from a file name may hold any byte
    key = hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(key[:8], "big") % count


def for_variant(nb, replacements):
    """A copy of a notebook (nbformat or plain JSON) with its text replaced for a variant
    (Exercise.replacements): what the learner of that variant was given."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for old, new in replacements.items():
            text = text.replace(old, new)
        cell["source"] = text
    return nb


@dataclass(frozen=True)
class Variants:
    """The per-learner variants of an exercise, declared in its question table.

    ``default`` holds the numbers of the source notebook (variant 0, which the source and
    the built-in student notebook show and no learner is given); ``draw(rng)`` draws
    another set (the same keys) from a ``random.Random``; ``questions(numbers)`` makes
    the exercise's questions for a set; ``text(numbers)`` maps each piece of the source
    notebook's text that shows variant 0's numbers (in the prose, a locked setup cell)
    to the variant's. ``count`` variants (besides 0) are built in advance."""

    default: dict
    draw: Callable
    questions: Callable
    text: Callable
    count: int = 64
