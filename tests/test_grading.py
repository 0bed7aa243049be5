"""The learner's side of grading (check, questions, hints) and the notebook builder/validator.

Batch grading in kernels is tested in test_grading_batch.py; every exercise's own proof
(solution full marks, blank zero, known wrong answers) in test_grading_exercises.py.
"""

import math
import subprocess
import sys

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adlearn.cli import main
from adlearn.errors import GradingError, WrongAnswer
from adlearn.grading import Question, Wrong, check, notebooks
from adlearn.grading.exercises import finite_differences
from adlearn.grading.questions import close

CENTRAL = "finite_differences.central"


def right(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


# --- check: verdicts and hints --------------------------------------------------------


def test_a_right_function_passes_with_one_line_per_test(capsys):
    check(CENTRAL, right)
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 9 and all(line.startswith("  ✓ test") for line in lines[:8])
    assert lines[-1] == "All 8 tests passed. Well done!"


def test_a_right_answer_passes_every_time():
    """Random cases never make a correct answer fail (no flaky verdicts)."""
    for _ in range(50):
        check(CENTRAL, right)
        check(CENTRAL, lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h)  # same, reordered


def test_a_known_wrong_answer_fails_with_its_own_hint(capsys):
    forward = finite_differences.EXERCISE.question("central").wrong[0]
    with pytest.raises(WrongAnswer) as caught:
        check(CENTRAL, lambda f, x, h: (f(x + h) - f(x)) / h)
    assert str(caught.value) == f"Hint: {forward.hint}"
    out, err = capsys.readouterr()
    assert err == "" and "Not yet: 8 of 8 tests failed." in out


def test_an_unknown_mistake_gets_the_generic_hint():
    with pytest.raises(WrongAnswer) as caught:
        check(CENTRAL, lambda f, x, h: (f(x + h) - f(x - h)) / (3 * h))
    assert str(caught.value) == "Hint: " + finite_differences.EXERCISE.question("central").hint


def test_a_hard_coded_answer_fails_on_the_random_cases(capsys):
    question = finite_differences.EXERCISE.question("central")
    expected = iter([right(*case) for case in question.cases])
    with pytest.raises(WrongAnswer):
        check(CENTRAL, lambda f, x, h: next(expected, 0.0))
    out = capsys.readouterr().out
    assert out.count("✓") == len(question.cases) and out.count("✗") == question.random_tests


def test_the_expected_answer_is_never_printed(capsys):
    with pytest.raises(WrongAnswer) as caught:
        check("derivatives_by_hand.df_dx1", 5.0)
    out = capsys.readouterr().out + str(caught.value)
    assert "5.5" not in out and "11/2" not in out


def test_the_wrong_answer_renders_in_ipython_as_the_short_message():
    with pytest.raises(WrongAnswer) as caught:
        check("derivatives_by_hand.df_dx1", 0.5)
    assert caught.value._render_traceback_() == [f"WrongAnswer: {caught.value}"]
    assert isinstance(caught.value, AssertionError)


def test_an_unwritten_function_is_told_to_replace_the_stub(capsys):
    def stub(f, x, h):
        raise NotImplementedError()

    with pytest.raises(WrongAnswer, match="not written yet"):
        check(CENTRAL, stub)
    assert "raised NotImplementedError" in capsys.readouterr().out


def test_an_error_in_the_learners_function_names_the_error_and_the_test():
    with pytest.raises(WrongAnswer, match=r"raised ZeroDivisionError .* on the test "
                                          r"central_difference\(f=sin, x=1, h=0.001\)"):
        check(CENTRAL, lambda f, x, h: 1 / 0)


def test_a_warning_in_the_learners_code_writes_nothing_to_stderr(capsys):
    import warnings

    def noisy(f, x, h):
        warnings.warn("careful", RuntimeWarning)
        return right(f, x, h)

    check(CENTRAL, noisy)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("qid, answer, hint", [
    (CENTRAL, 3.0, "should be a function"),
    ("finite_differences.order", right, "should be a value, not a function"),
])
def test_the_wrong_kind_of_answer_says_so(qid, answer, hint):
    with pytest.raises(WrongAnswer, match=hint):
        check(qid, answer)


def test_a_range_of_wrong_values_shares_one_hint():
    with pytest.raises(WrongAnswer, match="too small"):
        check("finite_differences.step", 3e-10)
    check("finite_differences.step", 2e-6)


@pytest.mark.parametrize("qid", ["nope", "finite_differences.nope", "nope.central"])
def test_an_unknown_question_is_a_grading_error(qid):
    with pytest.raises(GradingError):
        check(qid, 1.0)


def test_a_text_question_cannot_be_checked():
    with pytest.raises(GradingError, match="graded by hand"):
        check("finite_differences.roundoff", "because")


@pytest.mark.parametrize("fields, problem", [
    (dict(kind="guess"), "kind"),
    (dict(points=0), "points"),
    (dict(wrong=(Wrong(1, "a"),)), "at least two"),
    (dict(kind="function", cases=()), "random_case"),
    (dict(answer="not a name"), "Python name"),
])
def test_a_badly_declared_question_is_refused(fields, problem):
    declared = dict(id="q", points=1, kind="value", answer="a", reference=1.0,
                    wrong=(Wrong(2, "a"), Wrong(3, "b")))
    with pytest.raises(GradingError, match=problem):
        Question(**{**declared, **fields})


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_close_is_relative_to_the_size_of_the_expected_value(a, b):
    assert close(a, b) == (abs(a - b) <= 1e-9 * max(1.0, abs(b)))


def test_close_compares_containers_entry_by_entry():
    assert close((1.0, [2.0, {"a": 3.0}]), (1.0, [2.0 + 1e-12, {"a": 3.0}]))
    assert not close((1.0, 2.0), (1.0, 2.0, 3.0))
    assert not close({"a": 1.0}, {"b": 1.0})
    assert not close("1.0", 1.0) and not close(True, 1.0) and not close(math.nan, math.nan)


# --- notebooks: build and validate ---------------------------------------------------

SOURCE = """
def f(x):
    \"\"\"doc\"\"\"
    ### BEGIN SOLUTION
    return secret(x)
    ### END SOLUTION
""".strip()


def test_a_solution_region_becomes_the_stub_at_its_indentation():
    nb = notebooks.source_notebook([notebooks.solution("f_answer", SOURCE)])
    assert notebooks.student_version(nb).cells[0].source == (
        'def f(x):\n    """doc"""\n    # YOUR CODE HERE\n    raise NotImplementedError()')


def test_a_whole_solution_cell_without_markers_becomes_the_stub():
    nb = notebooks.source_notebook([notebooks.solution("a", "answer = 42"),
                                    notebooks.written("finite_differences", "roundoff", "Why")])
    student = notebooks.student_version(nb)
    assert [c.source for c in student.cells] == [notebooks.CODE_STUB, notebooks.TEXT_STUB]


def test_the_student_version_has_no_outputs_and_locked_grading_cells():
    nb = notebooks.source_notebook([notebooks.grading("finite_differences", "central")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[0].execution_count = 3
    nb.cells[0].metadata["nbgrader"]["locked"] = False
    cell = notebooks.student_version(nb).cells[0]
    assert cell.outputs == [] and cell.execution_count is None
    assert cell.metadata["nbgrader"]["locked"] is True


def _cell(source="x = 1", cell_type="code", **meta):
    nbgrader = {"schema_version": 3, "grade": False, "solution": False, "locked": False, **meta}
    cell = (nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell)(
        source, metadata={"nbgrader": nbgrader})
    return cell


@pytest.mark.parametrize("cell, problem", [
    (_cell(schema_version=2, solution=True, grade_id="a"), "schema_version must be 3"),
    (_cell(solution=True, grade_id="a", colour="red"), "unknown nbgrader keys"),
    (_cell(solution=True, grade_id="a b"), "letters, digits"),
    (_cell(solution=True), "letters, digits"),
    (_cell(grade=True, grade_id="a"), "needs points"),
    (_cell(grade=True, grade_id="a", points=-1), "needs points"),
    (_cell("Why?", "markdown", grade=True, grade_id="a", points=1), "also be a solution"),
    (_cell("### BEGIN SOLUTION\nx\n### END SOLUTION", grade=True, grade_id="a", points=1),
     "markers but is not a solution"),
    (nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
     "markers but is not a solution"),
    (_cell("### BEGIN SOLUTION\nx = 1", solution=True, grade_id="a"), "pair up"),
])
def test_the_validator_applies_nbgraders_rules(cell, problem):
    found = notebooks.problems(nbformat.v4.new_notebook(cells=[cell]))
    assert len(found) == 1 and problem in found[0]


def test_grade_ids_must_be_unique():
    nb = nbformat.v4.new_notebook(cells=[_cell(solution=True, grade_id="a"),
                                         _cell(locked=True, grade_id="a")])
    assert notebooks.problems(nb) == ["cell 2: grade_id 'a' is used twice"]


def test_the_validator_matches_cells_to_the_question_table():
    exercise = finite_differences.EXERCISE
    nb = notebooks.read(notebooks.source_path("exercises", "finite_differences"))
    assert notebooks.problems(nb, exercise) == []
    nb.cells = [c for c in nb.cells if notebooks.nbgrader(c).get("grade_id") != "step"]
    grading = next(c for c in nb.cells if notebooks.nbgrader(c).get("grade_id") == "central")
    grading.metadata["nbgrader"]["points"] = 1
    grading.source = grading.source.replace("central", "centre")
    found = notebooks.problems(nb, exercise)
    assert any("'central': the cell's points differ" in p for p in found)
    assert any("does not call check(\"finite_differences.central\"" in p for p in found)
    assert any("question 'step' has no grade cell" in p for p in found)
    with pytest.raises(GradingError, match="breaks the rules"):
        notebooks.validate(nb, exercise)


def test_build_writes_student_versions_and_check_finds_stale_ones(tmp_path, capsys):
    source = notebooks.read(notebooks.source_path("exercises", "finite_differences"))
    notebooks.write(source, notebooks.source_path(tmp_path, "finite_differences"))
    root = str(tmp_path)
    assert main(["exercises", "build", "--check", "--root", root]) == 2
    assert "out of date" in capsys.readouterr().err
    assert main(["exercises", "build", "--root", root]) == 0
    assert main(["exercises", "build", "--check", "--root", root]) == 0
    student = notebooks.student_path(tmp_path, "finite_differences")
    assert student.read_text() == notebooks.student_path(
        "exercises", "finite_differences").read_text()
    source.cells[0].source += "\n\nOne more sentence."
    notebooks.write(source, notebooks.source_path(tmp_path, "finite_differences"))
    assert notebooks.build(root, check_only=True) == ["finite_differences"]


def test_build_refuses_a_source_with_bad_metadata(tmp_path, capsys):
    source = notebooks.read(notebooks.source_path("exercises", "finite_differences"))
    source.cells[3].metadata["nbgrader"]["grade_id"] = "no spaces allowed"
    notebooks.write(source, notebooks.source_path(tmp_path, "finite_differences"))
    assert main(["exercises", "build", "--root", str(tmp_path)]) == 2
    assert "letters, digits" in capsys.readouterr().err
    assert not notebooks.student_path(tmp_path, "finite_differences").exists()


def test_importing_adlearn_grading_stays_light():
    """check() runs in every grading cell: it must not pull in nbformat or nbclient."""
    code = ("import sys, adlearn.grading; "
            "print(any(m in sys.modules for m in ('nbformat', 'nbclient', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_the_commands_say_which_library_is_missing(monkeypatch, capsys):
    for module in ("adlearn.grading.notebooks", "adlearn.grading.batch"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(sys.modules, "nbformat", None)  # as if it were not installed
    assert main(["exercises", "build", "--check"]) == 2
    assert "needs nbformat: pip install 'adlearn[grade]'" in capsys.readouterr().err


def test_a_number_written_as_text_gets_its_own_hint():
    """A learner who types df_dx1 = "4" is told to drop the quotes, not that 4 is wrong."""
    with pytest.raises(WrongAnswer, match="without quotes"):
        check("derivatives_by_hand.df_dx1", "4")
