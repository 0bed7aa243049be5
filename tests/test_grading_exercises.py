"""Proof that every exercise's grading is not vacuous, for every exercise under exercises/.

For each one: the student version is up to date with its source and carries no solution
text; the metadata follows nbgrader's rules; the reference passes its own checks and
each known wrong answer fails with its own hint (in-process: these are our own
functions, not student text); a hard-coded answer fails; and, run in a fresh kernel by
the batch grader, the solution scores full marks and the blank student version zero.
"""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from adlearn.errors import WrongAnswer
from adlearn.grading import batch, check, course, notebooks, submissions
from adlearn.grading.course import exercise, names
from adlearn.grading.limits import Limits

ROOT = "exercises"
EXERCISES = course.names(ROOT)


def autograded(name):
    return [q for q in exercise(name).questions if q.autograded]


def questions_of_every_exercise(kind=None):
    return [pytest.param(name, q, id=f"{name}.{q.id}") for name in EXERCISES
            for q in autograded(name) if kind is None or q.kind == kind]


def test_every_exercise_has_a_source_notebook_and_a_question_table():
    assert len(EXERCISES) >= 2
    assert EXERCISES == names()


@pytest.mark.parametrize("name", EXERCISES)
def test_the_student_version_is_up_to_date_with_its_source(name):
    source = notebooks.read(course.source_path(ROOT, name))
    built = nbformat.writes(notebooks.student_version(source)) + "\n"
    assert course.student_path(ROOT, name).read_text(encoding="utf-8") == built, (
        "run: adlearn exercises build")


@pytest.mark.parametrize("name", EXERCISES)
def test_the_header_says_what_check_tries_and_what_grading_adds(name):
    """check() tries the public cases only; a header promising random inputs misleads."""
    header = " ".join(notebooks.read(course.source_path(ROOT, name)).cells[0].source.split())
    assert not re.search(r"[Cc]hecks? (try|tries) your \w+ (on|at) [^.]*random", header)
    assert "it tries your answer on a few fixed cases, the same every time" in header
    if any(q.kind == "function" for q in autograded(name)):
        assert re.search(r"`adlearn grade` also tries [^.]* fresh random", header)
    else:  # values only: grading has nothing to add but judging them outside the notebook
        assert "random" not in header and "`adlearn grade` judges your answers" in header


@pytest.mark.parametrize("name", EXERCISES)
def test_the_metadata_follows_nbgraders_rules_and_the_question_table(name):
    ex = exercise(name)
    assert notebooks.problems(notebooks.read(course.source_path(ROOT, name)), ex) == []
    assert notebooks.problems(notebooks.read(course.student_path(ROOT, name)), ex) == []
    assert len(autograded(name)) >= 3


@pytest.mark.parametrize("name", EXERCISES)
def test_no_solution_text_remains_in_the_student_version(name):
    source = notebooks.read(course.source_path(ROOT, name))
    student = notebooks.read(course.student_path(ROOT, name))
    text = "\n".join(cell.source for cell in student.cells)
    assert notebooks.BEGIN not in text and notebooks.END not in text
    solution_lines = notebooks.solution_texts(source)
    assert solution_lines
    leaked = [line for line in solution_lines if len(line.strip()) >= 10
              and line.strip() in text]
    assert leaked == []
    for before, after in zip(source.cells, student.cells):
        if notebooks.nbgrader(before).get("solution"):
            kept = {line for line in before.source.splitlines()
                    if line not in solution_lines}
            stub = set((notebooks.CODE_STUB + "\n" + notebooks.TEXT_STUB).splitlines())
            assert {line.strip() for line in after.source.splitlines()} <= (
                {line.strip() for line in kept} | stub)


@pytest.mark.parametrize("name, question", questions_of_every_exercise())
def test_the_reference_passes_its_own_check_every_time(name, question, capsys):
    for _ in range(10):
        check(f"{name}.{question.id}", question.reference)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name, question", questions_of_every_exercise())
def test_each_known_wrong_answer_fails_with_its_own_hint(name, question, capsys):
    assert len(question.wrong) >= 2
    assert len({w.hint for w in question.wrong}) == len(question.wrong)
    for wrong in question.wrong:
        with pytest.raises(WrongAnswer) as caught:
            check(f"{name}.{question.id}", wrong.answer)
        assert str(caught.value) == f"Hint: {wrong.hint}"
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name, question", questions_of_every_exercise())
def test_the_grader_records_which_known_mistake_each_wrong_answer_is(name, question):
    """The mistake's number, from 1 in the question's list; 0 for a right answer."""
    found = [question.judge(w.answer).mistake for w in question.wrong]
    assert found == list(range(1, len(question.wrong) + 1))
    assert question.judge(question.reference).mistake == 0


@pytest.mark.parametrize("name, question", questions_of_every_exercise("value"))
def test_no_hint_gives_the_value_away(name, question):
    if isinstance(question.reference, (int, float)) and len(f"{question.reference:g}") >= 3:
        shown = f"{question.reference:g}"
        assert all(shown not in hint for hint in
                   [question.hint, *(w.hint for w in question.wrong)])


@pytest.mark.parametrize("name, question", [
    p for p in questions_of_every_exercise("function") if p.values[1].probe_kind == "call"])
def test_a_hard_coded_answer_fails_on_the_other_cases(name, question):
    expected = iter([question.reference(*case) for case in question.cases])
    assert not question.judge(lambda *args: next(expected, None)).passed


@pytest.mark.parametrize("name", EXERCISES)
def test_in_a_kernel_the_solution_scores_full_marks_and_the_blank_version_zero(name):
    ex, template, root = submissions.find_template(name, ROOT)
    solution, blank = batch.grade(
        ex, template, root, [course.source_path(ROOT, name), course.student_path(ROOT, name)],
        jobs=2, limits=Limits(timeout=60))
    for q in ex.questions:
        if not q.autograded:
            assert solution.marks[q.id].status == "manual"
            assert blank.marks[q.id].status == "not answered"
            continue
        assert solution.marks[q.id].status == "passed", solution.marks[q.id].detail
        assert blank.marks[q.id].status == "not answered", blank.marks[q.id].detail
        assert blank.marks[q.id].points == 0
    assert solution.total == ex.possible == sum(q.points for q in autograded(name))


# what rounding leaves of a zero, which a learner should not have to read: a float's full
# digits at 1e-13 or below (1.0408340855860843e-17), or a zero with a minus sign (-0.0)
FLOAT_NOISE = re.compile(r"\d\.\d{6,}e-(1[3-9]|[2-9]\d)|(?<![\w.])-0\.0+(?![\d.e])")


def shown(cell):
    """What a code cell showed, as text: its streams, plain-text results and errors."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_solution_runs_top_to_bottom_and_each_cell_run_twice_shows_the_same(name):
    """An honest learner runs every cell, some of them twice: no cell the exercise gives
    may fail on a right answer, or answer differently the second time, or show rounding
    noise where the learner should read a zero (1.04e-17, -0.0)."""
    path = course.source_path(ROOT, name)
    nb = notebooks.read(path)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)  # raises CellExecutionError on an error
            first = shown(cell)
            assert not FLOAT_NOISE.search(first), f"cell {index + 1} shows rounding noise:\n{first}"
            client.execute_cell(cell, index)
            assert shown(cell) == first, (f"cell {index + 1} shows something else when run "
                                          f"again:\n{first}\n---\n{shown(cell)}")
