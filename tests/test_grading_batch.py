"""Batch grading of crafted submissions of the finite-differences exercise, in real kernels.

The submissions are made here from the source notebook: the solution, the blank student
version, each known wrong answer, infinite loops (one that catches the interrupt), a
kernel crash, a syntax error, files that are not notebooks, notebooks with their grading
cells deleted or edited, a memory bomb. All are graded in one parallel run (a module
fixture); each test reads its result.
"""

import csv
import os

import pytest

from adlearn.cli import main
from adlearn.grading import batch, notebooks
from adlearn.grading.limits import Limits
from adlearn.grading.exercises.finite_differences import EXERCISE

NAME = "finite_differences"
QUESTIONS = [q.id for q in EXERCISE.questions if q.autograded]  # central, step, order
POINTS = {q.id: q.points for q in EXERCISE.questions}
FULL = EXERCISE.possible
WRONG_CENTRAL = ["(f(x + h) - f(x)) / h", "(f(x + h) - f(x - h)) / h",
                 "(f(x + h) - f(x - h)) / 2 * h", "(f(x - h) - f(x + h)) / (2 * h)"]
LIMITS = Limits(timeout=6, memory_mb=1024, cpu_seconds=60)


def hints(qid):
    return [w.hint for w in EXERCISE.question(qid).wrong]


def source():
    return notebooks.read(notebooks.source_path("exercises", NAME))


def answered(nb, **answers):
    """nb with the solution cell of each question (grade_id <qid>_answer) replaced."""
    for cell in nb.cells:
        qid = notebooks.nbgrader(cell).get("grade_id", "").removesuffix("_answer")
        if notebooks.nbgrader(cell).get("solution") and qid in answers:
            cell.source = answers[qid]
    return nb


def central(body):
    return f"def central_difference(f, x, h):\n    return {body}"


def wrong(i):
    """A submission with the i-th known wrong answer to each question (right if none)."""
    answers = {"central": central(WRONG_CENTRAL[i])}
    for qid, name in (("step", "h_best"), ("order", "error_factor")):
        table = EXERCISE.question(qid).wrong
        if i < len(table):
            answers[qid] = f"{name} = {table[i].answer!r}"
    return answered(source(), **answers)


def without_grading_cells(nb, qids=QUESTIONS):
    nb.cells = [c for c in nb.cells if notebooks.nbgrader(c).get("grade_id") not in qids]
    return nb


def tampered(nb):
    """nb with the first two grading cells deleted, the last one edited, a key nbformat's
    schema rejects and a kernel that does not exist."""
    without_grading_cells(nb, QUESTIONS[:2])
    nb.cells[0]["comment"] = "not in nbformat's schema, yet Jupyter opens the notebook"
    nb.metadata.kernelspec.name = "no-such-kernel"
    for cell in nb.cells:
        if notebooks.nbgrader(cell).get("grade_id") == QUESTIONS[2]:
            cell.source = "check = lambda *args: None  # nothing to see here"
            cell.metadata["nbgrader"]["points"] = 100
    return nb


def submissions():
    """name -> notebook (or raw text) of every crafted submission."""
    made = {
        "solution": source(),
        "blank": notebooks.read(notebooks.student_path("exercises", NAME)),
        **{f"wrong{i}": wrong(i) for i in range(len(WRONG_CENTRAL))},
        "loop_then_crash": answered(source(), central="def central_difference(f, x, h):\n"
                                                      "    while True:\n        pass",
                                    step="import os\nos._exit(1)"),
        "syntax_then_bomb": answered(source(),
                                     central="def central_difference(f, x, h)\n    return 0",
                                     step="blocks = []\nwhile True:\n"
                                          "    blocks.append(bytearray(2 * 10**8))"),
        "stubborn_loop": answered(source(), step="while True:\n    try:\n"
                                                 "        sum(range(10**5))\n"
                                                 "    except BaseException:\n        pass"),
        "tampered": tampered(wrong(1)),
        "not_json": "{ this is not JSON",
        "not_a_notebook": '{"cells": 3, "metadata": {}}',
        "not_cells": '{"cells": [{"cell_type": "image", "source": "x"}], "metadata": {}, '
                     '"nbformat": 4, "nbformat_minor": 5}',
    }
    return made


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name, nb in submissions().items():
        path = folder / f"{name}.ipynb"
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            notebooks.write(nb, path)
    exercise, template = batch.find_template(NAME)
    grades = batch.grade(exercise, template, [folder], jobs=2, limits=LIMITS)
    return {os.path.basename(g.submission).removesuffix(".ipynb"): g for g in grades}


def statuses(grade):
    return {qid: grade.marks[qid].status for qid in QUESTIONS}


def test_every_submission_is_graded_and_every_question_has_a_status(graded):
    assert sorted(graded) == sorted(submissions())
    for grade in graded.values():
        assert list(grade.marks) == [q.id for q in EXERCISE.questions]
        assert grade.marks["roundoff"].status in ("manual", "invalid notebook")
        for qid in QUESTIONS:
            mark = grade.marks[qid]
            assert mark.status in ("passed", "failed", "error", "timeout", "kernel died",
                                   "invalid notebook")
            assert mark.points == (POINTS[qid] if mark.status == "passed" else 0)
            assert mark.status == "passed" or mark.detail  # never a silent zero


def test_the_solution_scores_full_marks(graded):
    assert graded["solution"].total == FULL
    assert graded["solution"].marks["roundoff"].status == "manual"


def test_the_blank_student_version_scores_zero(graded):
    blank = graded["blank"]
    assert blank.total == 0
    assert blank.marks["central"].status == "failed"
    assert "not written yet" in blank.marks["central"].detail
    assert statuses(blank)["step"] == "error" and "NameError" in blank.marks["step"].detail


@pytest.mark.parametrize("i", range(len(WRONG_CENTRAL)))
def test_each_known_wrong_answer_fails_with_its_own_hint(graded, i):
    grade = graded[f"wrong{i}"]
    for qid in QUESTIONS:
        table = hints(qid)
        if i < len(table):
            assert grade.marks[qid].status == "failed"
            assert grade.marks[qid].detail == f"Hint: {table[i]}"
        else:
            assert grade.marks[qid].status == "passed"


def test_an_infinite_loop_times_out_and_a_kernel_crash_stops_the_rest(graded):
    """The loop is interrupted and the run carries on, until os._exit kills the kernel."""
    assert statuses(graded["loop_then_crash"]) == {
        "central": "timeout", "step": "kernel died", "order": "kernel died"}


def test_a_loop_that_ignores_the_interrupt_stops_the_run_with_timeouts(graded):
    grade = graded["stubborn_loop"]
    assert statuses(grade) == {"central": "passed", "step": "timeout", "order": "timeout"}
    assert "ignored the interrupt" in grade.marks["order"].detail


def test_a_syntax_error_and_a_memory_bomb_are_errors_of_their_questions_only(graded):
    grade = graded["syntax_then_bomb"]
    assert statuses(grade) == {"central": "error", "step": "error", "order": "passed"}
    assert "SyntaxError" in grade.marks["central"].detail
    assert "MemoryError" in grade.marks["step"].detail  # within the limits: machine safe


@pytest.mark.parametrize("name", ["not_json", "not_a_notebook", "not_cells"])
def test_a_file_that_is_not_a_notebook_is_an_invalid_notebook(graded, name):
    assert {m.status for m in graded[name].marks.values()} == {"invalid notebook"}
    assert graded[name].total == 0


def test_deleted_and_edited_grading_cells_are_restored_in_place(graded):
    """Each restored cell runs after the learner's answer: it fails with the hint."""
    grade = graded["tampered"]
    for qid in QUESTIONS:
        assert grade.marks[qid].detail == f"Hint: {hints(qid)[1]}"


def test_restoring_puts_a_missing_cell_after_the_cell_before_it():
    template = notebooks.read(notebooks.student_path("exercises", NAME))
    nb = without_grading_cells(source())
    batch.restore_locked_cells(nb, template)
    ids = [notebooks.nbgrader(c).get("grade_id") for c in nb.cells]
    for qid in QUESTIONS:
        assert ids.count(qid) == 1 and ids.index(qid) > ids.index(f"{qid}_answer")
    assert [c.source for c in nb.cells if notebooks.nbgrader(c).get("locked")] == [
        c.source for c in template.cells if notebooks.nbgrader(c).get("locked")]


def test_the_csv_has_a_row_per_submission_and_the_feedback_the_hints(graded, tmp_path):
    grades = sorted(graded.values(), key=lambda g: g.submission)
    batch.write_csv(grades, EXERCISE, tmp_path / "grades.csv")
    batch.write_feedback(grades, EXERCISE, tmp_path / "feedback")
    assert os.listdir(tmp_path) == ["grades.csv", "feedback"] or sorted(
        os.listdir(tmp_path)) == ["feedback", "grades.csv"]  # no temp file left behind
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {os.path.basename(r["submission"]): r for r in csv.DictReader(f)}
    assert len(rows) == len(graded)
    assert rows["solution.ipynb"]["total"] == f"{FULL:g}"
    assert rows["solution.ipynb"]["roundoff status"] == "manual"
    assert rows["solution.ipynb"]["review"] == ""
    assert rows["loop_then_crash.ipynb"]["step status"] == "kernel died"
    assert rows["wrong0.ipynb"]["central"] == "0"
    text = (tmp_path / "feedback" / "wrong0.md").read_text()
    assert hints("central")[0] in text and "Autograded score: 0 of 7" in text


def test_the_grade_command_writes_csv_and_feedback(tmp_path, capsys):
    notebooks.write(source(), tmp_path / "alice" / f"{NAME}.ipynb")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / f"{NAME}.ipynb").write_text("not a notebook")
    out = tmp_path / "grades.csv"
    assert main(["grade", f"exercises/{NAME}.ipynb", str(tmp_path / "alice"),
                 str(tmp_path / "bob"), "-o", str(out), "--feedback",
                 str(tmp_path / "feedback"), "--timeout", "10"]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("submission,total,possible,central,central status")
    assert len(lines) == 3 and ",7,7,3,passed," in lines[1] and "invalid notebook" in lines[2]
    assert sorted(os.listdir(tmp_path / "feedback")) == [
        f"alice__{NAME}.md", f"bob__{NAME}.md"]
    assert "7/7" in capsys.readouterr().out


@pytest.mark.parametrize("argv, problem", [
    (["grade", "no_such_exercise", "x.ipynb", "-o", "g.csv"], "no exercise"),
    (["grade", NAME, "no/such/file.ipynb", "-o", "g.csv"], "no such submission"),
])
def test_the_grade_command_reports_bad_arguments_in_one_line(argv, problem, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1


def test_learner_code_that_touches_the_grader_is_named_for_review():
    """The checks run in the learner's kernel, so a learner's cell could replace them;
    the grader reads the learner's own cells (never running them) and says which."""
    import nbformat

    exercise, template = batch.find_template(NAME)
    cheat = answered(source(), central="import adlearn.grading\n"
                                       "adlearn.grading.check = lambda *a: print('passed')")
    redefined = answered(source(), step="def check(*args):\n    pass")
    review = batch.needs_review(nbformat.writes(cheat), template)
    assert review.startswith("cell ") and "adlearn.grading" in review
    assert "def check" in batch.needs_review(nbformat.writes(redefined), template)
    for honest in (source(), tampered(wrong(1))):  # edited grading cells are restored
        assert batch.needs_review(nbformat.writes(honest), template) == ""
    assert batch.needs_review("{ not JSON", template) == ""
