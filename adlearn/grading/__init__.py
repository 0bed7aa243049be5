"""Graded exercises: checks with hints for learners, batch grading for instructors.

In a notebook's grading cell::

    from adlearn.grading import check
    check("finite_differences.central", central_difference)

Exercises declare their questions in ``adlearn/grading/exercises/<name>.py`` (see
``questions.py``); ``notebooks.py`` builds and validates the notebooks (nbgrader's cell
metadata) and ``batch.py`` grades a class's submissions in fresh kernels.
"""

from .check import check
from .questions import Exercise, Question, Wrong

__all__ = ["check", "Exercise", "Question", "Wrong"]
