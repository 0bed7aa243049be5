"""The class report (adlearn report): what a class got wrong, from a grades CSV.

The aggregation is checked on hand-made CSVs whose counts are known; the page itself
in headless Chromium (the machinery of test_browser.py): it renders, its pictures load,
no request leaves it and axe-core finds no serious or critical violation. And every
question of every exercise names a tutorial section that exists.
"""

import json
import re
from pathlib import Path

import pytest

from adlearn.grading import course

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def section_headings(notebook):
    """The section headings of a tutorial notebook, without their '#' and number."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {re.sub(r"^#+\s*(\d+\.\s+)?", "", line).strip()
            for cell in cells if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("#")}


@pytest.mark.parametrize("name", course.names("exercises"))
def test_every_question_points_to_a_tutorial_section_that_exists(name):
    exercise = course.exercise(name, "exercises")
    without = [q.id for q in exercise.questions if not q.tutorial]
    assert not without, (f"exercise {name}: give each question its tutorial section "
                         f"(tutorial=\"NN_notebook.ipynb#Section heading\"); missing for "
                         f"{', '.join(without)}")
    for q in exercise.questions:
        notebook, heading = q.tutorial.split("#", 1)
        assert (NOTEBOOKS / notebook).is_file(), f"{name}.{q.id}: no notebook {notebook}"
        assert heading in section_headings(NOTEBOOKS / notebook), (
            f"{name}.{q.id}: {notebook} has no section {heading!r}")
