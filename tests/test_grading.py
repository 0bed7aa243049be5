"""The learner's side of grading (check, questions, hints), the notebook builder and
validator, the probes' wire format and the grade command's arguments (no kernels here).

Batch grading in kernels is tested in test_grading_batch.py; every exercise's own proof
(solution full marks, blank zero, known wrong answers) in test_grading_exercises.py.
"""

import json
import os
import math
import subprocess
import sys

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adlearn.cli import main
from adlearn.errors import GradingError, WrongAnswer
from adlearn.grading import Question, Wrong, check, course, notebooks, probe
from adlearn.grading.check import CHECKS
from adlearn.grading.questions import close

CENTRAL = "finite_differences.central"
FD = course.exercise("finite_differences", "exercises")
PUBLIC = len(FD.question("central").cases)


def right(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


# --- check: verdicts and hints --------------------------------------------------------


def test_a_right_function_passes_with_one_line_per_test(capsys):
    check(CENTRAL, right)
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == PUBLIC + 1 and all(line.startswith("  ✓ test") for line in lines[:-1])
    assert lines[-1] == f"All {PUBLIC} tests passed. Well done!"


def test_a_right_answer_passes_every_time():
    """Random cases never make a correct answer fail (no flaky verdicts)."""
    for _ in range(50):
        check(CENTRAL, right)
        check(CENTRAL, lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h)  # same, reordered


def test_a_known_wrong_answer_fails_with_its_own_hint(capsys):
    forward = FD.question("central").wrong[0]
    with pytest.raises(WrongAnswer) as caught:
        check(CENTRAL, lambda f, x, h: (f(x + h) - f(x)) / h)
    assert str(caught.value) == f"Hint: {forward.hint}"
    out, err = capsys.readouterr()
    assert err == "" and f"Not yet: {PUBLIC} of {PUBLIC} tests failed." in out


def test_an_unknown_mistake_gets_the_generic_hint():
    with pytest.raises(WrongAnswer) as caught:
        check(CENTRAL, lambda f, x, h: (f(x + h) - f(x - h)) / (3 * h))
    assert str(caught.value) == "Hint: " + FD.question("central").hint


def test_hard_coding_the_public_cases_passes_check_and_fails_the_grader(capsys):
    """check() knows only the public cases (their expected outputs are in its data); the
    grader also tries hidden and fresh random ones, outside the learner's kernel."""
    question = FD.question("central")
    table = {(f.text, x, h): right(f, x, h) for f, x, h in question.cases}

    def hard_coded(f, x, h):
        return table.get((f.text, x, h), 0.0)

    check(CENTRAL, hard_coded)
    verdict = question.judge(hard_coded)
    assert not verdict.passed
    assert [t.passed for t in verdict.tests[:PUBLIC]] == [True] * PUBLIC
    assert len(verdict.tests) == PUBLIC + len(question.hidden) + question.random_tests


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
                                          r"central_difference\(f=sin\(x\), x=1, h=0.001\)"):
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
    with pytest.raises(GradingError, match="no autograded question 'roundoff'"):
        check("finite_differences.roundoff", "because")
    with pytest.raises(GradingError, match="graded by hand"):
        FD.question("roundoff").judge("because")


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
    exercise = FD
    nb = notebooks.read(course.source_path("exercises", "finite_differences"))
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


def copy_source(root, name="finite_differences"):
    """The exercise's source notebook and question table, copied under root."""
    source = notebooks.read(course.source_path("exercises", name))
    notebooks.write(source, course.source_path(root, name))
    course.table_path(root, name).write_text(course.table_path("exercises", name).read_text())
    return source


def test_build_writes_student_versions_and_check_finds_stale_ones(tmp_path, capsys):
    source = copy_source(tmp_path)
    root = str(tmp_path)
    assert main(["exercises", "build", "--check", "--course", root]) == 2
    assert "out of date" in capsys.readouterr().err
    assert main(["exercises", "build", "--course", root]) == 0
    assert capsys.readouterr().out.startswith(f"1 exercise checked in {root}; wrote 1: ")
    assert main(["exercises", "build", "--check", "--course", root]) == 0
    student = course.student_path(tmp_path, "finite_differences")
    assert student.read_text() == course.student_path(
        "exercises", "finite_differences").read_text()
    assert (tmp_path / "checks" / "finite_differences.json").read_text() == (
        CHECKS / "finite_differences.json").read_text()
    source.cells[0].source += "\n\nOne more sentence."
    notebooks.write(source, course.source_path(tmp_path, "finite_differences"))
    assert notebooks.build(root, check_only=True) == ["finite_differences"]


def test_the_check_data_is_up_to_date_with_the_question_tables():
    for name in course.names("exercises"):  # the slow hashes from the build's cache
        cache = notebooks.sealed_cache("exercises", name)[1]
        assert (CHECKS / f"{name}.json").read_text() == notebooks.check_text(
            "exercises", name, cache), "run: adlearn exercises build"


def test_build_refuses_a_source_with_bad_metadata(tmp_path, capsys):
    source = copy_source(tmp_path)
    source.cells[3].metadata["nbgrader"]["grade_id"] = "no spaces allowed"
    notebooks.write(source, course.source_path(tmp_path, "finite_differences"))
    assert main(["exercises", "build", "--course", str(tmp_path)]) == 2
    assert "letters, digits" in capsys.readouterr().err
    assert not course.student_path(tmp_path, "finite_differences").exists()


@pytest.mark.parametrize("extra", [[], ["--check"]])
def test_build_refuses_a_folder_without_exercises(tmp_path, capsys, extra):
    for root in (tmp_path / "nonexistent", tmp_path):
        assert main(["exercises", "build", "--course", str(root), *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert ("no such course folder" if root != tmp_path else "no exercise sources") in err


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


# --- check by name, and what a learner is shown -------------------------------------------


def test_check_reads_the_answer_by_its_name_and_a_missing_one_gets_a_hint(capsys):
    namespace = {"check": check}  # a notebook's namespace, where a grading cell runs
    with pytest.raises(WrongAnswer, match="`error_factor` is not defined yet"):
        exec('check("finite_differences.order")', namespace)
    namespace["error_factor"] = 100  # a round factor: checked by its form only
    exec('check("finite_differences.order")', namespace)
    assert "has the right form" in capsys.readouterr().out
    namespace["df_dx1"] = 5.5
    exec('check("derivatives_by_hand.df_dx1")', namespace)
    assert "Right. Well done!" in capsys.readouterr().out


def test_a_failed_case_shows_what_the_learners_code_returned_never_the_expected(capsys):
    with pytest.raises(WrongAnswer):
        check(CENTRAL, lambda f, x, h: 0.25)
    out = capsys.readouterr().out
    assert "✗ test 1: central_difference(f=sin(x), x=1, h=0.001): returned 0.25" in out
    expected = right(math.sin, 1.0, 1e-3)
    assert f"{expected:.4g}" not in out and f"{expected:.3f}" not in out
    verdict = FD.question("central").judge(lambda f, x, h: 0.25)
    assert verdict.detail.endswith("(on central_difference(f=sin(x), x=1, h=0.001) your "
                                   "code returned 0.25)")


def _reference_texts(name):
    """An exercise's reference answers as text: each reference function's body (after
    its docstring, blanks squeezed), each reference value's repr (numbers of four
    characters or more: "100" or "(0.0, 1.0)" cannot be told from other text)."""
    import inspect

    texts = set()
    for q in course.exercise(name, "exercises").questions:
        if not q.autograded:
            continue
        if callable(q.reference):
            body = inspect.getsource(q.reference).split('"""')[-1]
            texts.add(" ".join(body.split()))
        else:
            texts |= {repr(x) for x in _numbers(q.reference) if len(repr(x)) >= 4}
    return texts


def _numbers(value):
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, dict):
        return _numbers(list(value.values()))
    return [value] if isinstance(value, float) else []


def _searched(path):
    """A file's text, but of check data without each variant's text replacements: those
    are the numbers other learners' questions show (their points, their inputs), which may
    happen to be a number of this exercise's answers without saying anything about them."""
    return _searched_text(path.name, path.read_text(encoding="utf-8"))


def _searched_text(name, text):
    """The text of the file called name, as _searched reads it."""
    if not name.endswith(".json"):
        return text
    data = json.loads(text)
    for variant in data.get("variants", []) if isinstance(data, dict) else []:
        variant.pop("text")
    return json.dumps(data)


@pytest.mark.parametrize("name", course.names("exercises"))
def test_no_reference_answer_is_in_the_installed_package_or_the_student_version(name):
    """The package ships each exercise's check data (public outputs, hashes), never its
    answers: the package's code, the exercise's check data and its student version are
    searched for every reference function's code and every reference value."""
    import pathlib

    import adlearn

    package = pathlib.Path(adlearn.__file__).parent
    files = [*package.rglob("*.py"), CHECKS / f"{name}.json",
             course.student_path("exercises", name)]
    texts = _reference_texts(name)
    assert texts
    leaked = [(str(p), t) for p in files for t in texts
              if t in " ".join(_searched(p).replace("\\n", " ").split())]
    assert leaked == []
    assert not (package / "grading" / "exercises").exists()


def test_a_graph_sent_as_data_is_rebuilt_with_the_same_values_and_partials():
    import random

    from adlearn.core.engine import topological_order

    table = course.exercise("chain_rule_paths", "exercises")
    rng = random.Random(3)
    for _ in range(30):
        output, x = table.question("count_paths").random_case(rng)
        case = probe.wire((output, x))
        nodes = probe.build_graph(case["graph"])
        rebuilt_output, rebuilt_x = probe.decode(case["args"], nodes)
        before, after = topological_order(output), topological_order(rebuilt_output)
        assert [(n.op, n.value, n.partials) for n in before] == [
            (n.op, n.value, n.partials) for n in after]
        assert rebuilt_x.name == x.name and rebuilt_x in after
        reference = table.question("count_paths").reference
        assert reference(rebuilt_output, rebuilt_x) == reference(output, x)


def test_a_function_argument_travels_as_text_for_the_safe_parser():
    from adlearn.errors import ParseError

    case = FD.question("central").wired(FD.question("central").cases[1])
    assert case["args"][0] == {"expr": "x**3 - 2*x"}
    assert probe.decode(case["args"])[0](2.0) == 4.0
    with pytest.raises(ParseError):  # never eval'ed
        probe.decode([{"expr": "__import__('os').system('true')"}])


def test_outputs_that_are_not_plain_data_are_refused():
    result = probe.outcomes("value", math, [{}])
    assert result == [{"raised": "Unencodable", "message": "a module"}]
    assert probe.outcomes("value", list(range(probe.MAX_ITEMS + 1)), [{}])[0]["raised"] == (
        "Unencodable")


# --- the grade command: arguments, files, names ----------------------------------------


@pytest.mark.parametrize("options, problem", [
    (["-o", "{tmp}/file/g.csv"], "cannot make the folder"),
    (["-o", "{tmp}"], "is a folder"),
    (["-o", "{tmp}/g.csv", "--feedback", "{tmp}/file"], "is a file"),
    (["-o", "{tmp}/g.csv", "--answers", "{tmp}/file"], "is a file"),
    (["-o", "{tmp}/g.csv", "--timeout", "nan"], "--timeout must be a number of at least"),
    (["-o", "{tmp}/g.csv", "--timeout", "-1"], "--timeout must be a number of at least"),
    (["-o", "{tmp}/g.csv", "--timeout", "soon"], "--timeout must be a number, not"),
    (["-o", "{tmp}/g.csv", "--memory", "1"], "--memory must be a number of at least 256"),
    (["-o", "{tmp}/g.csv", "--cpu", "0"], "--cpu must be"),
    (["-o", "{tmp}/g.csv", "--budget", "5"], "--budget must be a number of at least 10"),
    (["-o", "{tmp}/g.csv", "--budget", "soon"], "--budget must be a number, not"),
    (["-o", "{tmp}/g.csv", "--disk", "1"], "--disk must be a number of at least 16"),
    (["-o", "{tmp}/g.csv", "-j", "0"], "-j must be"),
    (["-o", "{tmp}/g.csv", "-j", "-3"], "-j must be"),
    (["-o", "{tmp}/g.csv", "-j", "1.5"], "-j must be a whole number"),
])
def test_every_grade_argument_is_checked_before_grading(tmp_path, capsys, options, problem):
    (tmp_path / "file").write_text("")
    argv = ["grade", "finite_differences", str(tmp_path / "file")]
    argv += [o.format(tmp=tmp_path) for o in options]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # nothing was written


def test_without_a_sandbox_grade_refuses_unless_told(tmp_path, capsys, monkeypatch):
    from adlearn.grading import sandbox

    monkeypatch.setattr(sandbox, "available", lambda: "bubblewrap (bwrap) is not installed")
    argv = ["grade", "finite_differences", "exercises/finite_differences.ipynb",
            "-o", str(tmp_path / "g.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "bwrap" in err and "--no-sandbox" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g.csv").exists()


def test_sandbox_shows_only_what_a_kernel_needs(tmp_path):
    """What the sandbox's file system holds: the course folder is not in it."""
    import adlearn
    from adlearn.grading import sandbox

    if sandbox.available():
        pytest.skip(sandbox.available())
    script = "import os, sys; print(os.path.exists(sys.argv[1]), os.path.exists(sys.argv[2]))"
    course_folder = str(course.source_path("exercises", "finite_differences").resolve())
    out = subprocess.run([*sandbox.command(tmp_path), sys.executable, "-c", script,
                          course_folder, os.path.dirname(adlearn.__file__) + "/__init__.py"],
                         capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_feedback_file_names_come_from_the_whole_path_and_cannot_collide():
    from adlearn.grading.marks import Grade
    from adlearn.grading.writers import file_names

    grades = [Grade("subs/alice/finite_differences.ipynb"),
              Grade("subs/alice__finite_differences.ipynb"), Grade("subs/b%2Fc.ipynb")]
    names = file_names(grades)
    assert len(set(names)) == 3
    assert names[:2] == ["alice%2Ffinite_differences", "alice__finite_differences"]


def test_folders_symlinks_and_fifos_named_ipynb_are_skipped_with_a_line(tmp_path):
    from adlearn.grading.submissions import read_submission_file, submission_files

    notebooks.write(notebooks.read("exercises/finite_differences.ipynb"), tmp_path / "ok.ipynb")
    (tmp_path / "folder.ipynb").mkdir()
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "ok.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")
    said = []
    assert submission_files([tmp_path], said.append) == [tmp_path / "ok.ipynb"]
    assert sorted(said) == [f"skipped {tmp_path}/fifo.ipynb: a FIFO or device, not a notebook file",
                            f"skipped {tmp_path}/folder.ipynb: a folder, not a notebook file",
                            f"skipped {tmp_path}/link.ipynb: a symbolic link, not a notebook file"]
    with pytest.raises(GradingError, match="not a regular file"):  # and no hang
        read_submission_file(tmp_path / "fifo.ipynb")


@pytest.mark.parametrize("meta", ["a string", ["a", "list"], {"grade_id": ["a", "list"]}, None])
def test_bad_nbgrader_metadata_is_read_as_none(meta):
    cell = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": meta})
    assert "grade_id" not in notebooks.nbgrader(cell)


def test_a_worker_line_counts_only_for_the_exercises_questions_and_its_points():
    from adlearn.grading.marks import read_line

    def _checked_mark(entry, exercise):
        marked = read_line(entry, exercise)
        return marked and marked[1]

    assert _checked_mark({"question": "central", "status": "passed", "points": 3000}, FD).points == 3
    assert _checked_mark({"question": "central", "status": "failed", "points": 3}, FD).points == 0
    assert _checked_mark({"question": "bonus", "status": "passed", "points": 3}, FD) is None
    assert _checked_mark({"question": "central", "status": "great", "points": 3}, FD) is None
    assert _checked_mark({"question": "step", "status": "passed", "points": "nan"}, FD) is None
    mistake = {"question": "central", "status": "failed", "points": 0}
    assert _checked_mark({**mistake, "mistake": 2}, FD).mistake == 2
    for forged in (99, -1, "1", True):  # not one of the question's known mistakes
        assert _checked_mark({**mistake, "mistake": forged}, FD).mistake == 0


def _grade(name, status="passed", sha256="abc"):
    from adlearn.grading.marks import Grade, Mark

    return Grade(name, {q.id: Mark(status, q.points if status == "passed" else 0.0,
                                   mistake=2 if status == "failed" else 0)
                        if q.autograded else Mark("manual", text="because") for q in
                        FD.questions}, sha256)


def test_the_grades_finished_are_on_disk_as_they_come_and_read_back(tmp_path):
    from adlearn.grading.records import Record

    record = Record(FD, tmp_path / "g.jsonl")
    record.add(_grade("a.ipynb"))
    record.add(_grade("b.ipynb", "failed"))
    lines = (tmp_path / "g.jsonl").read_text().splitlines()  # before close: on disk
    assert len(lines) == 3 and json.loads(lines[0]) == {"exercise": FD.name}
    record.close()
    with open(tmp_path / "g.jsonl", "a") as f:
        f.write('{"submission": "c.ipynb", "sha2')  # a line cut by a kill
    again = Record(FD, tmp_path / "g.jsonl", resume=True)
    assert again.grades == {"a.ipynb": _grade("a.ipynb"), "b.ipynb": _grade("b.ipynb", "failed")}
    again.add(_grade("a.ipynb", "failed", "def"))  # a resubmission: the latest line counts
    again.close()
    assert Record(FD, tmp_path / "g.jsonl", resume=True).grades["a.ipynb"] == _grade(
        "a.ipynb", "failed", "def")
    assert Record(FD, tmp_path / "g.jsonl").grades == {}  # without resume: a new record
    assert (tmp_path / "g.jsonl").read_text() == json.dumps({"exercise": FD.name}) + "\n"


def test_a_recorded_grade_is_kept_only_while_the_submission_is_unchanged(tmp_path):
    from adlearn.grading.records import Record
    from adlearn.grading.submissions import content_hash

    (tmp_path / "a.ipynb").write_text("one")
    record = Record(FD, tmp_path / "g.jsonl")
    record.add(_grade(str(tmp_path / "a.ipynb"), sha256=content_hash("one")))
    assert record.known(tmp_path / "a.ipynb") == record.grades[str(tmp_path / "a.ipynb")]
    (tmp_path / "a.ipynb").write_text("two")
    assert record.known(tmp_path / "a.ipynb") is None
    assert record.known(tmp_path / "b.ipynb") is None
    record.close()


def test_resuming_from_a_record_of_another_exercise_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "g.jsonl").write_text(json.dumps({"exercise": "forward_mode"}) + "\n")
    (tmp_path / "s.ipynb").write_text("{}")
    argv = ["grade", "finite_differences", str(tmp_path / "s.ipynb"), "-o",
            str(tmp_path / "g.csv"), "--resume", "--no-sandbox"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "records the exercise 'forward_mode', not 'finite_differences'" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "g.csv").exists()
    (tmp_path / "g.jsonl").write_text("not json\n")
    assert main(argv) == 2 and "is not a record of adlearn grade" in capsys.readouterr().err
    assert main(argv[:4] + [str(tmp_path / "g.jsonl")]) == 2
    assert "give the CSV a .csv name" in capsys.readouterr().err


@pytest.mark.parametrize("result", [
    None, [], {"outcomes": 3}, {"outcomes": [{"value": {"node": "x"}}] * 3},
    {"callable": True, "outcomes": [{"value": [[[]]]}, {"raised": 7}, "?"]},
    {"callable": True, "outcomes": [{"value": {"a": [1, None]}}, {"value": "1"},
                                    {"value": 1e308}]},
])
def test_any_json_from_a_kernel_is_judged_without_error_and_earns_nothing(result):
    for name in ("finite_differences", "reverse_mode"):
        for q in course.exercise(name, "exercises").questions:
            if q.autograded:
                cases = q.public_cases()
                verdict = q.judge_result(result, cases)
                assert not verdict.passed and verdict.hint


@pytest.mark.parametrize("scheduler, problem", [
    ("tcp://127.0.0.1:9", "cannot reach the dask scheduler"),
    ("local:0", "give local:N with N workers"),
    ("local:two", "give local:N with N workers"),
])
def test_a_scheduler_that_cannot_be_reached_is_a_one_line_error_before_grading(
        tmp_path, capsys, scheduler, problem):
    (tmp_path / "s.ipynb").write_text("{}")
    record = json.dumps({"exercise": "finite_differences"}) + '\n{"submission": "x"}\n'
    (tmp_path / "g.jsonl").write_text(record)
    assert main(["grade", "finite_differences", str(tmp_path / "s.ipynb"), "-o",
                 str(tmp_path / "g.csv"), "--no-sandbox", "--scheduler", scheduler]) == 2
    err = capsys.readouterr().err.strip()
    assert problem in err and len(err.splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == ["g.jsonl", "s.ipynb"]
    assert (tmp_path / "g.jsonl").read_text() == record  # the old record is kept


def test_a_missing_submission_is_a_one_line_error_that_keeps_the_old_record(tmp_path, capsys):
    record = json.dumps({"exercise": "finite_differences"}) + '\n{"submission": "x"}\n'
    (tmp_path / "g.jsonl").write_text(record)
    assert main(["grade", "finite_differences", str(tmp_path / "no" / "such.ipynb"), "-o",
                 str(tmp_path / "g.csv"), "--no-sandbox"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no such submission" in err and len(err.splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == ["g.jsonl"]
    assert (tmp_path / "g.jsonl").read_text() == record


class _Stream(list):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty

    def write(self, text):
        self.append(text)

    def flush(self):
        pass


@pytest.mark.parametrize("tty", [True, False])
def test_progress_is_a_bar_on_a_terminal_and_a_line_per_submission_otherwise(tty):
    from adlearn.grading.batch import Progress

    stream, now = _Stream(tty), iter([0.0, 30.0, 60.0])
    progress = Progress(stream, clock=lambda: next(now))
    progress.start(4)
    progress.add(_grade("a.ipynb"))  # 1 in 30 s: 2 a minute, 90 s for the other 3
    progress.add(_grade("b.ipynb", "failed"))
    if tty:
        assert stream == ["\r[#####...............] 1/4  2.0/min  90 s left",
                          "\r[##########..........] 2/4  2.0/min  60 s left"]
    else:
        assert stream == ["graded 1/4  2.0/min  90 s left: a.ipynb 7\n",
                          "graded 2/4  2.0/min  60 s left: b.ipynb 0\n"]


# --- names, files and the statuses' owners (the second hostile class, without kernels) ----


def _named(name, status="passed"):
    grade = _grade(name, status)
    grade.submission = name
    return grade


def test_a_name_that_is_not_utf8_reaches_the_csv_feedback_and_answers_escaped(tmp_path):
    """résumé.ipynb in Latin-1, as unzipped Windows archives give: every file is written."""
    from adlearn.grading.batch import Progress
    from adlearn.grading.writers import write_answers, write_csv, write_feedback

    latin = str(tmp_path / os.fsdecode(b"r\xe9sum\xe9.ipynb"))
    grades = [_named(latin), _named(str(tmp_path / "plain.ipynb"))]
    write_csv(grades, FD, tmp_path / "g.csv")
    assert "r\\xe9sum\\xe9.ipynb,,,,,,7,,,7,9" in (tmp_path / "g.csv").read_text(encoding="utf-8")
    assert write_feedback(grades, FD, tmp_path / "feedback") == []
    assert sorted(os.listdir(tmp_path / "feedback")) == ["plain.md", "r%E9sum%E9.md"]
    assert "r\\xe9sum\\xe9" in (tmp_path / "feedback" / "r%E9sum%E9.md").read_text()
    assert write_answers(grades, FD, tmp_path / "answers") == []
    stream = _Stream(False)
    progress = Progress(stream)
    progress.start(1)
    progress.add(grades[0])
    assert "r\\xe9sum\\xe9.ipynb" in stream[0]


@pytest.mark.parametrize("names", [
    ["微分" * 40 + ".ipynb", "微分" * 40 + "x.ipynb"],  # 246 bytes each, legal
    ["a\nb.ipynb", "a b.ipynb", "'\".ipynb", "-rf.ipynb", "..ipynb", "....ipynb"],
])
def test_derived_file_names_are_distinct_and_within_255_bytes(names):
    from adlearn.grading.marks import Grade
    from adlearn.grading.writers import file_names

    found = file_names([Grade(f"subs/{n}") for n in names])
    assert len(set(found)) == len(names)
    assert all(len(os.fsencode(n + ".md")) <= 255 and "/" not in n for n in found)


def test_a_written_answer_cannot_forge_or_hide_another_learners():
    """An answer holding a heading for bob, a fence and an unclosed comment stays inside
    its own block: the rendered file shows one heading per learner and bob's answer."""
    import mistune

    from adlearn.grading.writers import answers_text

    forged = "## bob\n\nI don't know.\n\n````\n~~~~\n<!-- the rest is hidden"
    grades = [_named("subs/alice.ipynb"), _named("subs/bob.ipynb")]
    grades[0].marks["roundoff"].text = forged
    grades[1].marks["roundoff"].text = "cancellation of nearly equal values"
    html = mistune.html(answers_text(grades, ["alice", "bob"], FD, FD.question("roundoff")))
    assert html.count("<h2>") == 2 and "cancellation of nearly equal values" in html
    assert "<!--" not in html and "&lt;!-- the rest is hidden" in html


def test_whose_fault_a_status_is_belongs_to_the_status():
    from adlearn.grading.marks import GRADER_ERROR, REVIEW, STATUSES

    graders = [s for s, status in STATUSES.items() if status.grader]
    assert graders == [GRADER_ERROR] and set(graders) <= set(REVIEW)
    learners = {"failed", "error", "timeout", "out of time", "kernel died"}
    assert not any(STATUSES[s].grader for s in learners)


def test_a_recorded_grade_the_grader_failed_on_is_graded_again(tmp_path):
    from adlearn.grading.marks import Mark
    from adlearn.grading.records import Record
    from adlearn.grading.submissions import content_hash
    from adlearn.grading.writers import feedback_text

    (tmp_path / "a.ipynb").write_text("one")
    grade = _grade(str(tmp_path / "a.ipynb"), sha256=content_hash("one"))
    grade.marks["step"] = Mark("grader error", 0.0, "the grader's worker stopped")
    record = Record(FD, tmp_path / "g.jsonl")
    record.add(grade)
    record.close()
    again = Record(FD, tmp_path / "g.jsonl", resume=True)
    assert again.grades[str(tmp_path / "a.ipynb")] == grade  # read back, and yet
    assert again.known(tmp_path / "a.ipynb") is None  # graded again
    again.close()
    from adlearn.grading.term import Term

    assert "The grader failed here, not your code" in feedback_text(
        grade, FD, "a", Term().scores(grade, FD))


def test_a_local_cluster_listens_on_the_loopback_only_and_serves_no_dashboard():
    pytest.importorskip("distributed")
    import psutil

    from adlearn.grading.batch import executor

    def listening():
        return {c.laddr for c in psutil.Process().net_connections("inet")
                if c.status == psutil.CONN_LISTEN}

    before = listening()
    with executor("local:2"):
        opened = listening() - before
    assert opened and all(address.ip == "127.0.0.1" for address in opened)
    assert all(address.port != 8787 for address in opened)


def test_no_space_for_the_graders_own_files_is_the_graders_error(tmp_path, monkeypatch):
    """The grader cannot make its worker's folder (its disk is full): every question of
    the submission is the grader's error, flagged, never the learner's zero."""
    import errno
    import tempfile

    from adlearn.grading import batch, workers

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    monkeypatch.setattr(workers, "_kept", __import__("threading").local())
    (tmp_path / "a.ipynb").write_text("{}")
    template = (course.default_root() / "finite_differences.ipynb").read_text()
    grade = batch.grade_submission(tmp_path / "a.ipynb", "finite_differences", template,
                                   course.default_root())
    assert {m.status for m in grade.marks.values()} == {"grader error"}
    assert "No space left on device" in grade.marks["central"].detail and grade.graders_fault
