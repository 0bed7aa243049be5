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


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """As from a wheel: no exercises/ beside the package, and an empty working folder."""
    monkeypatch.setattr(course, "BUILT_IN", tmp_path / "site-packages" / "exercises")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    return home


def solution_submission(folder, name="alice"):
    path = folder / "submissions" / name / f"{NAME}.ipynb"
    notebooks.write(source(), path)
    return path


@pytest.mark.parametrize("argv", [["grade", NAME, "x.ipynb", "-o", "g.csv"],
                                  ["exercises", "build"], ["exercises", "build", "--check"],
                                  ["report", "g.csv"]])
def test_from_a_wheel_the_grading_commands_say_where_the_course_folder_is_had(
        installed, argv, capsys):
    from adlearn.grading.writers import csv_header

    (installed / "x.ipynb").write_text("{}")
    header = csv_header(course.exercise(NAME, EXERCISES))
    (installed / "g.csv").write_text(",".join(header) + "\n")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "site-packages" not in err
    assert "--course DIR" in err and "exercises/ folder of adlearn's repository" in err


def test_from_a_wheel_the_learners_check_works_from_the_package_alone(installed, capsys):
    from adlearn.grading import check

    check("finite_differences.central",
          lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h))
    assert "passed" in capsys.readouterr().out
    with pytest.raises(Exception, match="Hint"):
        check("finite_differences.central", lambda f, x, h: (f(x + h) - f(x)) / h)


def test_the_record_names_the_course_so_report_and_resume_need_no_course(installed, capsys):
    submission = solution_submission(installed)
    out = installed / "g.csv"
    assert main(["grade", NAME, str(submission), "-o", str(out), "--course",
                 str(EXERCISES)]) == 0
    assert json.loads((installed / "g.jsonl").read_text().splitlines()[0]) == {
        "exercise": NAME, "course": str(EXERCISES)}
    os.chdir(installed.parent)  # elsewhere, without --course
    assert main(["report", str(out)]) == 0
    assert "1 submission of finite_differences" in capsys.readouterr().out
    assert main(["grade", NAME, str(submission), "-o", str(out), "--resume"]) == 0
    assert "resumed: 1 graded before, 0 to grade" in capsys.readouterr().out


def copy_of_the_course(folder, names=(NAME,)):
    """A course folder of its own with the named exercises of adlearn's, built."""
    import shutil

    root = folder / "course"
    for name in names:
        shutil.copytree(EXERCISES / "source" / name, root / "source" / name)
    assert main(["exercises", "build", "--course", str(root)]) == 0
    return root


def test_a_changed_reference_makes_the_check_data_stale_and_resume_regrades(tmp_path, capsys):
    root = copy_of_the_course(tmp_path)
    for name in ("alice", "bob"):
        solution_submission(tmp_path, name)
    out = tmp_path / "g.csv"
    argv = ["grade", NAME, str(tmp_path / "submissions"), "-o", str(out), "--course", str(root)]
    assert main(argv) == 0
    assert "stale" not in capsys.readouterr().err
    table = course.table_path(root, NAME)
    text = table.read_text()
    assert "reference=100, tolerance=0.05" in text  # the order question's
    table.write_text(text.replace("reference=100, tolerance=0.05", "reference=50, tolerance=0.05"))
    assert main(argv + ["--resume"]) == 0
    said = capsys.readouterr()
    assert "the check data of finite_differences is stale" in said.err
    assert f"exercises build --course {root}" in said.err
    assert "resumed: 0 graded before, 2 to grade, 2 of them again: the question table " \
           "changed since they were graded" in said.out
    full = course.exercise(NAME, EXERCISES).possible
    assert [line.split(",")[1] for line in out.read_text().splitlines()[1:]] == [
        f"{full - 2:g}"] * 2  # the order question's 2 points, now wrong
