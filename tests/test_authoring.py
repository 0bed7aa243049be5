"""An instructor's own course folder: `adlearn exercises new` scaffolds an exercise that
builds, checks and grades as the built-in ones do; the learner's check() finds a course's
check data beside its notebooks; bad input is one line that loses nothing; and the
README's walkthrough, from scaffold to graded CSV, runs as written."""

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from adlearn.cli import main
from adlearn.errors import GradingError, WrongAnswer
from adlearn.grading import check, course, notebooks, questions, sealed, writers
from adlearn.grading.check import CHECKS, data_path
from adlearn.grading.sandbox import available

ROOT = Path(__file__).parents[1]
NAME = "power_rule"


@pytest.fixture(autouse=True)
def quick_seals(monkeypatch):
    """The scaffold's 64 variants sealed with a thousand rounds, not a million: these
    tests build many courses, and what they test is not the hash's cost (test_sealed.py)."""
    monkeypatch.setattr(sealed, "ROUNDS", 1000)


def new_course(root, name=NAME, build=True):
    """A course folder with the scaffold's exercise, built."""
    assert main(["exercises", "new", name, "--course", str(root)]) == 0
    if build:
        assert main(["exercises", "build", "--course", str(root)]) == 0
    return root


def snapshot(folder):
    """Every file under folder with its bytes (to prove nothing was written)."""
    return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def one_error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("adlearn: error: "), err
    return err


# --- the scaffold --------------------------------------------------------------------


def test_new_writes_a_source_and_a_question_table_that_build(tmp_path, capsys):
    root = new_course(tmp_path / "mycourse")
    out = capsys.readouterr().out
    assert "adlearn exercises build --course" in out
    assert course.names(root) == [NAME]
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        f"checks/{NAME}.json", f"{NAME}.ipynb", f"source/{NAME}/{NAME}.ipynb",
        f"source/{NAME}/questions.py", f"source/{NAME}/sealed.json"]
    assert not (CHECKS / f"{NAME}.json").exists()  # a course's data stays in the course
    exercise = course.exercise(NAME, root)
    assert [(q.id, q.kind) for q in exercise.questions] == [("slope", "value"),
                                                            ("derivative", "function")]
    source = notebooks.read(course.source_path(root, NAME))
    assert notebooks.problems(source, exercise) == [] and notebooks.unmarked(source) == []
    student = notebooks.read(course.student_path(root, NAME))
    text = "\n".join(c.source for c in student.cells)
    assert not any(line in text for line in notebooks.solution_texts(source))
    # the instructor's TODOs are prose: no code cell has one, and the example runs as it is
    todo = [c.cell_type for c in source.cells if "TODO" in c.source]
    assert todo and set(todo) == {"markdown"}
    assert "TODO" in course.table_path(root, NAME).read_text()
    assert main(["exercises", "build", "--check", "--course", str(root)]) == 0


def test_the_scaffold_names_the_module_that_documents_each_class_it_imports():
    """Its docstring sends the instructor to the fields' documentation: Question, Wrong
    and Exercise are documented in questions.py, Variants in variants.py (questions.py
    only imports it)."""
    template = (course.SCAFFOLD / "questions.py.in").read_text(encoding="utf-8")
    imported = re.search(r"from adlearn\.grading\.questions import (.+)", template)[1]
    for name in imported.split(", "):
        module = Path(inspect.getsourcefile(getattr(questions, name))).name
        assert f"adlearn/grading/{module} for " in " ".join(template.split()), name


def test_the_scaffolds_references_pass_and_each_known_mistake_gets_its_own_hint(tmp_path):
    exercise = course.exercise(NAME, new_course(tmp_path, build=False))
    for q in exercise.questions:
        assert q.judge(q.reference).passed
        for number, wrong in enumerate(q.wrong, 1):
            verdict = q.judge(wrong.answer)
            assert not verdict.passed and verdict.hint == wrong.hint
            assert verdict.mistake == number


@pytest.mark.parametrize("where", [".", f"source/{NAME}", "deeper/still"])
def test_check_finds_the_courses_data_from_the_notebooks_folder_up(tmp_path, monkeypatch,
                                                                   capsys, where):
    """Jupyter starts a kernel in its notebook's folder: the student version's (the
    course folder), the source's (source/<name>/), or a folder a learner made inside."""
    root = new_course(tmp_path)
    (root / where).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(root / where)
    assert data_path(NAME) == root / "checks" / f"{NAME}.json"
    check(f"{NAME}.slope", 12.0)
    with pytest.raises(WrongAnswer, match="That is f\\(x\\)"):
        check(f"{NAME}.slope", 8.0)
    with pytest.raises(WrongAnswer, match="lowers the exponent by one"):
        check(f"{NAME}.derivative", lambda x: 3 * x)
    check(f"{NAME}.derivative", lambda x: 3 * x * x)
    assert "Well done" in capsys.readouterr().out


def test_the_built_in_exercises_check_data_stays_in_the_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # wherever a built-in notebook is opened
    assert data_path("finite_differences") == CHECKS / "finite_differences.json"
    assert course.checks_path(ROOT / "exercises", "finite_differences") == (
        CHECKS / "finite_differences.json")
    check("derivatives_by_hand.df_dx1", 5.5)


def test_an_instructors_own_exercises_folder_is_not_the_built_in_course(tmp_path, monkeypatch):
    """./exercises is the default course; when it is the instructor's own, the build
    writes its check data there, never into the installed package."""
    monkeypatch.chdir(tmp_path)
    assert main(["exercises", "new", "mine"]) == 0
    assert main(["exercises", "build"]) == 0
    assert (tmp_path / "exercises" / "checks" / "mine.json").is_file()
    assert not (CHECKS / "mine.json").exists()


def test_check_without_its_data_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GradingError, match=r"no check data for the exercise 'power_rule'.*"
                                           r"checks/power_rule\.json"):
        check(f"{NAME}.slope", 12.0)


def test_the_source_notebook_checks_its_own_solutions_in_a_kernel(tmp_path):
    """What an instructor sees when running the source in Jupyter (a kernel started in
    the notebook's folder): every check passes."""
    from nbclient import NotebookClient

    root = new_course(tmp_path)
    nb = notebooks.read(course.source_path(root, NAME))
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={
        "metadata": {"path": str(course.source_path(root, NAME).parent)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert printed.count("Well done") == 2, printed


@pytest.mark.parametrize("name, problem", [
    ("2nd", "must be a Python name"), ("with space", "must be a Python name"),
    (NAME, "already has an exercise 'power_rule'")])
def test_new_refuses_a_bad_name_or_an_exercise_that_is_there_and_writes_nothing(
        tmp_path, capsys, name, problem):
    root = new_course(tmp_path)
    table = course.table_path(root, NAME)
    table.write_text(table.read_text() + "# my own edits\n")
    before = snapshot(root)
    capsys.readouterr()
    assert main(["exercises", "new", name, "--course", str(root)]) == 2
    assert problem in one_error_line(capsys)
    assert snapshot(root) == before


def test_new_refuses_a_course_that_is_a_file(tmp_path, capsys):
    (tmp_path / "course").write_text("notes")
    assert main(["exercises", "new", NAME, "--course", str(tmp_path / "course")]) == 2
    assert "is a file" in one_error_line(capsys)
    assert (tmp_path / "course").read_text() == "notes"


# --- bad input: one line, nothing lost ------------------------------------------------


@pytest.fixture
def graded_before(tmp_path):
    """A built course, a submission and the CSV and record of an earlier run."""
    root = new_course(tmp_path / "course")
    (tmp_path / "subs").mkdir()
    shutil.copy(course.student_path(root, NAME), tmp_path / "subs" / "alice.ipynb")
    (tmp_path / "g.csv").write_text("submission,total\nold,3\n")
    (tmp_path / "g.jsonl").write_text(json.dumps({"exercise": NAME}) + "\n")
    return root


def grade_argv(tmp_path, name=NAME, root=None, *extra):
    return ["grade", name, str(tmp_path / "subs"), "--course", str(root or tmp_path / "course"),
            "-o", str(tmp_path / "g.csv"), "--no-sandbox", *extra]


def refused(tmp_path, capsys, argv, problem):
    """The command ends with one line saying problem, and every file is as it was."""
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert main(argv) == 2
    err = one_error_line(capsys)
    assert re.search(problem, err), err
    assert snapshot(tmp_path) == before
    return err


def test_a_course_folder_without_the_exercise(tmp_path, capsys, graded_before):
    refused(tmp_path, capsys, grade_argv(tmp_path, "chain_rule"),
            r"there is no exercise 'chain_rule' in the course folder .*its exercises: power_rule")
    refused(tmp_path, capsys, grade_argv(tmp_path, root=tmp_path / "nowhere"),
            "no such course folder")
    for build in (["exercises", "build", "--course", str(tmp_path / "nowhere")],
                  ["exercises", "build", "--check", "--course", str(tmp_path / "nowhere")]):
        refused(tmp_path, capsys, build, "no such course folder")


def test_an_exercise_not_built_yet(tmp_path, capsys, graded_before):
    course.student_path(graded_before, NAME).unlink()
    refused(tmp_path, capsys, grade_argv(tmp_path),
            r"has no student version .*power_rule\.ipynb \(run: adlearn exercises build "
            r"--course")


@pytest.mark.parametrize("edit, problem", [
    (lambda t: t.replace('tolerance=1e-6,', 'tolerance=1e-6 +,'),
     r"questions\.py does not import \(SyntaxError, line \d+: invalid syntax"),
    (lambda t: t.replace("    return 3 * x ** 2", "    return 3 * x ** 2\n\n\nprint(undefined)"),
     r"questions\.py does not import \(NameError, line \d+: name 'undefined' is not "),
    (lambda t: t.replace("Wrong(x ** 3,", "Wrong(x ** 3 / 0,"),
     r"questions\.py does not import \(ZeroDivisionError, line \d+: "),
    (lambda t: t.replace("EXERCISE = ", "EXERCISES = "), "must define EXERCISE"),
])
def test_a_question_table_that_does_not_import(tmp_path, capsys, graded_before, edit, problem):
    table = course.table_path(graded_before, NAME)
    table.write_text(edit(table.read_text()))
    err = refused(tmp_path, capsys, ["exercises", "build", "--course", str(graded_before)],
                  problem)
    assert str(table) in err
    refused(tmp_path, capsys, grade_argv(tmp_path), problem)


def test_a_question_table_that_names_a_cell_the_notebook_lacks(tmp_path, capsys,
                                                               graded_before):
    table = course.table_path(graded_before, NAME)
    table.write_text(table.read_text().replace('"derivative", 2,', '"power", 2,'))
    refused(tmp_path, capsys, ["exercises", "build", "--course", str(graded_before)],
            r"power_rule\.ipynb breaks the rules: question 'power' has no grade cell with "
            r"grade_id 'power'")
    # the student version built before the edit no longer matches the table either
    refused(tmp_path, capsys, grade_argv(tmp_path),
            r"the student version .* breaks the rules: question 'power' has no grade cell"
            r".*\(run: adlearn exercises build --course")


def test_build_refuses_a_solution_cell_without_markers_and_writes_nothing(
        tmp_path, capsys, graded_before):
    new_course(graded_before, "another", build=False)  # sorted first: checked, not written
    path = course.source_path(graded_before, NAME)
    source = notebooks.read(path)
    cell = next(c for c in source.cells if notebooks.nbgrader(c).get("grade_id")
                == "derivative_answer")
    cell.source = cell.source.replace("### BEGIN SOLUTION\n", "").replace(
        "\n    ### END SOLUTION", "")
    notebooks.write(source, path)
    refused(tmp_path, capsys, ["exercises", "build", "--course", str(graded_before)],
            r"power_rule\.ipynb: cell \d+ \(grade_id 'derivative_answer'\) is a solution "
            "cell without ### BEGIN SOLUTION and ### END SOLUTION")
    assert not course.student_path(graded_before, "another").exists()


def test_a_scheduler_that_cannot_be_reached_is_said_before_grading(tmp_path, capsys,
                                                                    graded_before):
    pytest.importorskip("distributed")
    refused(tmp_path, capsys, grade_argv(tmp_path, NAME, None, "--scheduler",
                                         "tcp://127.0.0.1:9"),
            "--scheduler tcp://127.0.0.1:9: cannot reach the dask scheduler")


def test_a_resume_record_of_another_exercise(tmp_path, capsys, graded_before):
    (tmp_path / "g.jsonl").write_text(json.dumps({"exercise": "finite_differences"}) + "\n")
    refused(tmp_path, capsys, grade_argv(tmp_path, NAME, None, "--resume"),
            "records the exercise 'finite_differences', not 'power_rule'; give another -o")


def test_a_notebook_path_outside_the_given_course(tmp_path, capsys, graded_before):
    other = new_course(tmp_path / "other")
    refused(tmp_path, capsys, grade_argv(tmp_path, str(course.student_path(other, NAME))),
            "is not in the course folder")


# --- the README's walkthrough ---------------------------------------------------------


def walkthrough():
    """The README's walkthrough: its commands and the CSV it shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Writing your own exercise, from scaffold to graded CSV", 1)[1]
    commands, shown = re.search(r"```bash\n(.*?)\n```\n\n```\n(.*?)\n```", section,
                                re.DOTALL).groups()
    return commands, shown


def test_the_readme_walkthrough_runs_from_scaffold_to_graded_csv(tmp_path):
    commands, shown = walkthrough()
    lines = commands.splitlines()
    assert lines[0].startswith("adlearn exercises new") and lines[-1] == "cat grades.csv"
    if available():  # no bubblewrap here: the README says to add --no-sandbox
        lines = [line + " --no-sandbox" if line.startswith("adlearn grade") else line
                 for line in lines]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "grades.csv").read_text() == shown + "\n"
    assert done.stdout.endswith(shown + "\n")
    csv_rows = [row.split(",") for row in shown.splitlines()]
    assert csv_rows[1][9:11] == ["3", "3"] and csv_rows[2][9:11] == ["0", "3"]  # total, possible
    built = course.exercise(NAME, tmp_path / "mycourse")
    assert writers.csv_header(built) == csv_rows[0]
    assert nbformat.read(str(tmp_path / "mycourse" / f"{NAME}.ipynb"), as_version=4).cells
