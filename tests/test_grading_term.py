"""An instructor's term with adlearn installed as users install it: what the course folder,
the submissions, the record and the build must get right (issue 23, "Broken").
"""

import csv
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
    assert "reference=c ** 2, tolerance=0.05" in text  # the order question's
    table.write_text(text.replace("reference=c ** 2, tolerance=0.05",
                                  "reference=c ** 2 / 2, tolerance=0.05"))
    assert main(argv + ["--resume"]) == 0
    said = capsys.readouterr()
    assert "the check data of finite_differences is stale" in said.err
    assert f"exercises build --course {root}" in said.err
    assert "resumed: 0 graded before, 2 to grade, 2 of them again: the question table " \
           "changed since they were graded" in said.out
    full = course.exercise(NAME, EXERCISES).possible
    assert [row["autograded"] for row in csv.DictReader(out.open())] == [
        f"{full - 2:g}"] * 2  # the order question's 2 points, now wrong


# --- what a mark says: a cell that ran too long, a wrong value none explains ------------


from test_grading_batch import answered  # noqa: E402


@pytest.fixture(scope="module")
def loops(tmp_path_factory):
    """Graded at a cell timeout of 2 s: an endless helper cell in the central question's
    section (after its answer), an endless loop before the order answer in its own cell,
    and an order answer no known mistake explains."""
    from adlearn.grading.limits import Limits

    folder = tmp_path_factory.mktemp("loops")
    helper = source()
    helper.cells.insert(4, nbformat.v4.new_code_cell("while True:\n    pass"))
    notebooks.write(helper, folder / "helper_loop.ipynb")
    notebooks.write(answered(source(), order="while True:\n    pass\nerror_factor = 100"),
                    folder / "answer_loop.ipynb")
    notebooks.write(answered(source(), order="error_factor = 7"), folder / "seven.ipynb")
    exercise, template, root = find_template(NAME, EXERCISES)
    grades = batch.grade(exercise, template, root, [folder], jobs=2,
                         limits=Limits(timeout=2, memory_mb=1024, cpu_seconds=60))
    return exercise, {Path(g.submission).stem: g for g in grades}


def test_an_endless_helper_cell_costs_the_answer_nothing_and_is_named(loops):
    from adlearn.grading.writers import feedback_text

    exercise, grades = loops
    grade = grades["helper_loop"]
    assert grade.marks["central"].status == "passed" and grade.total == exercise.possible
    detail = grade.marks["central"].detail
    assert "cell 5 (`while True:`) ran longer than the cell timeout of 2 s" in detail
    assert "the answer was judged all the same" in feedback_text(grade, exercise)


def test_an_endless_loop_in_the_answers_own_cell_is_a_timeout_that_names_it(loops):
    mark = loops[1]["answer_loop"].marks["order"]
    assert mark.status == "timeout" and mark.points == 0
    number = 1 + next(i for i, cell in enumerate(source().cells)
                      if notebooks.nbgrader(cell).get("grade_id") == "order_answer")
    assert f"cell {number} (`while True:`) ran longer than the cell timeout of 2 s" \
        in mark.detail


def test_a_wrong_value_no_known_mistake_explains_says_what_it_was(loops):
    mark = loops[1]["seven"].marks["order"]
    assert mark.status == "failed" and mark.mistake == 0
    assert mark.detail.endswith("(your code gave error_factor = 7)")


# --- the files the instructor and the learners read --------------------------------------

from test_report import CLASS, write_class  # noqa: E402
from test_browser import axe_script, axe_violations, browser  # noqa: E402,F401


def test_the_report_shows_what_unexplained_wrong_answers_returned_not_paths(tmp_path):
    from adlearn.grading import report

    path = write_class(tmp_path)  # d.ipynb: order failed, no known mistake
    with open(tmp_path / "grades.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"submission": "d.ipynb", "sha256": "", "marks": {"order": {
            "status": "failed", "detail": "Hint: think again (your code gave "
                                          "error_factor = 7)"}}}) + "\n")
    page = report.page(report.Summary(*report.read_grades(path, EXERCISES)))
    unexplained = page[page.index("Wrong answers no known mistake explains</caption>"):]
    assert "your code gave error_factor = 7" in unexplained and "d.ipynb" not in unexplained


@pytest.mark.browser
def test_the_report_fits_a_phones_width(browser, tmp_path):  # noqa: F811
    from adlearn.grading import report

    long_name = "a-very-long-folder-name-of-a-student/" * 3 + "finite_differences.ipynb"
    lines = [*CLASS, f"{long_name},0,7,0,kernel died,,0,kernel died,,0,kernel died,,,manual"]
    output = tmp_path / "report.html"
    report.write_report(write_class(tmp_path, lines), output, EXERCISES)
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.goto(output.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.add_script_tag(path=str(axe_script()))
        assert axe_violations(page, "main") == []  # the tables' boxes scroll by keyboard too
    finally:
        page.close()


def test_output_folders_are_made_and_one_point_is_singular_and_feedback_has_no_grader_path(
        tmp_path, capsys):
    submission = solution_submission(tmp_path)
    out = tmp_path / "not" / "yet" / "g.csv"
    assert main(["grade", NAME, str(submission), "-o", str(out), "--course", str(EXERCISES),
                 "--feedback", str(tmp_path / "feedback"), "--answers",
                 str(tmp_path / "answers")]) == 0
    assert out.is_file()
    assert main(["report", str(out), "-o", str(tmp_path / "also" / "new" / "r.html")]) == 0
    assert (tmp_path / "also" / "new" / "r.html").is_file()
    feedback = (tmp_path / "feedback" / f"{NAME}.md").read_text()
    assert str(tmp_path) not in feedback and "/tmp" not in feedback
    assert f"Submission: ` {NAME} `" in feedback
    from adlearn.grading.questions import Exercise, Question
    from adlearn.grading.writers import answers_text

    one = Question("why", 1, "text", tutorial="a.ipynb#b", prompt="say why")
    assert "(1 point, by hand)" in answers_text([], [], Exercise("x", "X", (one,)), one)


# --- the build judges what it builds --------------------------------------------------------


def test_the_build_stops_at_a_solution_that_does_not_earn_its_points(tmp_path, capsys):
    root = copy_of_the_course(tmp_path)
    built = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    nb = notebooks.read(course.source_path(root, NAME))
    for cell in nb.cells:
        if notebooks.nbgrader(cell).get("grade_id") == "order_answer":
            assert "error_factor = divisor ** 2" in cell.source
            cell.source = cell.source.replace("error_factor = divisor ** 2",
                                              "error_factor = 0.7 * divisor ** 2")
    notebooks.write(nb, course.source_path(root, NAME))
    capsys.readouterr()
    assert main(["exercises", "build", "--course", str(root)]) == 2
    err = capsys.readouterr().err
    assert "the solution of question order does not earn its points" in err
    assert len(err.strip().splitlines()) == 1
    assert all(p.read_bytes() == data for p, data in built.items()
               if p != course.source_path(root, NAME))  # nothing written


def test_the_build_stops_at_a_known_mistake_whose_hint_cannot_fire(tmp_path, capsys):
    root = copy_of_the_course(tmp_path)
    table = course.table_path(root, NAME)
    text = table.read_text()
    assert "Wrong(c, " in text
    table.write_text(text.replace("Wrong(c, ", "Wrong(c ** 2, "))  # the reference itself
    capsys.readouterr()
    assert main(["exercises", "build", "--course", str(root)]) == 2
    err = capsys.readouterr().err
    assert "question order: its known mistake 1 (100) passes the question" in err
    table.write_text(text.replace("Wrong(c, ", "Wrong(c ** 3, "))  # mistake 2's value
    assert main(["exercises", "build", "--course", str(root)]) == 2
    assert "its known mistake 2 (1000) earns the hint of known mistake 1" in \
        capsys.readouterr().err


def test_a_grader_errors_detail_with_the_graders_paths_stays_out_of_the_feedback():
    from adlearn.grading.marks import Grade, Mark, all_marks
    from adlearn.grading.writers import feedback_text

    exercise = course.exercise(NAME, EXERCISES)
    marks = all_marks(exercise, "grader error", "the grader could not start a worker: "
                      "[Errno 28] No space left on device: '/srv/grader/tmp/adlearn-worker-x'")
    text = feedback_text(Grade("/srv/grader/class/alice.ipynb", marks), exercise)
    assert "/srv/grader" not in text and "The grader failed here, not your code" in text
    assert "Submission: ` alice `" in text
