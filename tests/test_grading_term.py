"""An instructor's term with adlearn installed as users install it: what the course folder,
the submissions, the record and the build must get right (issue 23, "Broken").
"""

import json
import os
from pathlib import Path

import nbformat
import pytest

from adlearn.cli import main
from adlearn.grading import batch, course, notebooks
from adlearn.grading.submissions import find_template

NAME = "finite_differences"
EXERCISES = Path("exercises").resolve()


def source():
    return notebooks.read(course.source_path(EXERCISES, NAME))


def another_courses_notebook():
    """A notebook with nbgrader metadata whose grade_ids are none of this course's."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"grade_id": "q1_answer", "solution": True, "grade": False,
                                 "locked": False, "schema_version": 3}
    nb.cells = [cell]
    return nb


def test_a_notebook_of_another_course_is_skipped_with_a_line(tmp_path):
    notebooks.write(another_courses_notebook(), tmp_path / "theirs.ipynb")
    exercise, template, root = find_template(NAME, EXERCISES)
    said = []
    assert batch.grade(exercise, template, root, [tmp_path], say=said.append) == []
    assert said == [f"skipped {tmp_path}/theirs.ipynb: a notebook of another course (its "
                    "nbgrader metadata names none of this exercise's questions), not "
                    f"{NAME}"]
