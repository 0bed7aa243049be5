"""Graded exercises: checks with hints for learners, batch grading for instructors.

In a notebook's grading cell::

    from adlearn.grading import check
    check("finite_differences.central")

An exercise's question table (references, hidden cases, known wrong answers and their
hints) lives with the instructor's sources, ``exercises/source/<name>/questions.py``
(see ``questions.py`` and ``course.py``); ``notebooks.py`` builds the student notebooks
and the data the learner's ``check`` works from, and ``batch.py`` grades a class's
submissions in sandboxed kernels, judging their outputs outside them.
"""

from .check import check
from .questions import Exercise, Question, Wrong

__all__ = ["check", "Exercise", "Question", "Wrong"]
