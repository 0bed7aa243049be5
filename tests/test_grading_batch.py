"""Batch grading of crafted submissions of the finite-differences exercise, in real kernels.

The submissions are made here from the source notebook: the solution, the blank student
version, each known wrong answer, infinite loops (one that catches the interrupt), a
kernel crash, a syntax error, files that are not notebooks, notebooks with their grading
cells deleted or edited, a memory bomb. All are graded in one parallel run (a module
fixture); each test reads its result.
"""

import csv
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from adlearn.cli import main
from adlearn.grading import batch, course, notebooks, sandbox, workers, writers
from adlearn.grading.marks import STATUSES
from adlearn.grading.submissions import find_template, read_submission_file
from adlearn.grading.limits import Limits

NAME = "finite_differences"
EXERCISE = course.exercise(NAME, "exercises")
QUESTIONS = [q.id for q in EXERCISE.questions if q.autograded]  # central, step, order
POINTS = {q.id: q.points for q in EXERCISE.questions}
FULL = EXERCISE.possible
WRONG_CENTRAL = ["(f(x + h) - f(x)) / h", "(f(x + h) - f(x - h)) / h",
                 "(f(x + h) - f(x - h)) / 2 * h", "(f(x - h) - f(x + h)) / (2 * h)"]
LIMITS = Limits(timeout=6, memory_mb=1024, cpu_seconds=60, processes=32)
MARKER = "987654321"  # the argument of the sleep a submission leaves behind
PLANTED = str(Path.cwd() / "planted-by-a-submission.txt")  # a file it tries to leave
SOURCES = str(Path("exercises/source").resolve())


def mine(student):
    """The exercise as the learner with that id answers it: a submission here lies in the
    class folder, so its id is its file's name (its own divisor for the order question)."""
    return EXERCISE.variant(EXERCISE.variant_of(student))


def hints(qid, student="solution"):
    return [w.hint for w in mine(student).question(qid).wrong]


def source():
    return notebooks.read(course.source_path("exercises", NAME))


def blank():
    return notebooks.read(course.student_path("exercises", NAME))


def answered(nb, **answers):
    """nb with the solution cell of each question (grade_id <qid>_answer) replaced."""
    for cell in nb.cells:
        qid = notebooks.nbgrader(cell).get("grade_id", "").removesuffix("_answer")
        if notebooks.nbgrader(cell).get("solution") and qid in answers:
            cell.source = answers[qid]
    return nb


def central(body):
    return f"def central_difference(f, x, h):\n    return {body}"


def wrong(i, student=None):
    """A submission with the i-th known wrong answer to each question (right if none), for
    the learner with that id (by default the submission's name, wrong<i>)."""
    answers = {"central": central(WRONG_CENTRAL[i])}
    for qid, name in (("step", "h_best"), ("order", "error_factor")):
        table = mine(student or f"wrong{i}").question(qid).wrong
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


def hostile(code, **answers):
    """The solution with code run first, in a cell of its own (the learner's)."""
    nb = answered(source(), **answers)
    nb.cells.insert(1, nbformat.v4.new_code_cell(code))
    return nb


FORGED = json.dumps({"question": "central", "status": "passed", "points": 3000})
SEES = f"""import os, glob
seen = [p for p in [{SOURCES!r}, {str(Path.cwd() / "tests")!r}, {str(Path.cwd() / "exercises")!r},
                    FOLDER] if os.path.exists(p)]
seen += [p for p in glob.glob("/tmp/adlearn-*") + glob.glob("/tmp/adlearn-*/*")
         if not os.getcwd().startswith(p)]
"""


GRADERS_ENVIRONMENT = sorted({"ADLEARN_GRADER_SECRET", *os.environ} - {
    "HOME", "PATH", "LANG", "MPLBACKEND", "PYTHONNOUSERSITE", "TERM", "PAGER", "GIT_PAGER",
    "CLICOLOR", "PWD"})  # the kernel's own: the sandbox's and IPython's
LIAR = """class Liar(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __repr__(self): return "0.5403023058681398"
    def __float__(self): return 0.0
"""
REACHES = f"""import os, socket
reached = []
for host in ("1.1.1.1", "8.8.8.8"):
    try:
        socket.create_connection((host, 53), timeout=2).close()
        reached.append(host)
    except OSError:
        pass
try:
    open("/etc/shadow").read()
    reached.append("/etc/shadow")
except OSError:
    pass
reached += [k for k in os.environ if k in {GRADERS_ENVIRONMENT!r}]
"""


def table_of_public_cases():
    """A central_difference that returns the right values on the public cases only."""
    q = EXERCISE.question("central")
    table = {(f.text, x, h): q.reference(f, x, h) for f, x, h in q.cases}
    return (f"TABLE = {table!r}\ndef central_difference(f, x, h):\n"
            "    return TABLE.get((f.text, x, h), 0.0)")


def submissions(folder=""):
    """name -> notebook (or raw text) of every crafted submission, by file name (folder:
    where they are, which the kernels must not see)."""
    made = {
        "solution": source(),
        "blank": blank(),
        **{f"wrong{i}": wrong(i) for i in range(len(WRONG_CENTRAL))},
        "loop_then_crash": answered(source(), central="def central_difference(f, x, h):\n"
                                                      "    while True:\n        pass",
                                    step="import os\nos._exit(1)"),
        "right_then_crash": answered(source(), step="import os\nos._exit(1)"),
        "syntax_then_bomb": answered(source(),
                                     central="def central_difference(f, x, h)\n    return 0",
                                     step="blocks = []\nwhile True:\n"
                                          "    blocks.append(bytearray(2 * 10**8))"),
        "stubborn_loop": answered(source(), step="import signal\n"
                                                 "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                 "while True:\n    pass"),
        "tampered": tampered(wrong(1, "tampered")),
        "not_json": "{ this is not JSON",
        "not_a_notebook": '{"cells": 3, "metadata": {}}',
        "not_cells": '{"cells": [{"cell_type": "image", "source": "x"}], "metadata": {}, '
                     '"nbformat": 4, "nbformat_minor": 5}',
        "nbformat3": json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                 "worksheets": [{"cells": []}]}),
        # The hostile class: each one tries to turn a blank or wrong answer into points.
        "swallowed": hostile("get_ipython().set_custom_exc((BaseException,), "
                             "lambda *a, **k: None)", **_blank_answers()),
        "patched_check": hostile('import adlearn.grading as g, builtins\n'
                                 'setattr(g, "ch" + "eck", lambda *a, **k: None)\n'
                                 'builtins.check = g.check', central=central(WRONG_CENTRAL[0])),
        "reference_module": hostile(
            "import importlib\ntry:\n"
            "    ref = importlib.import_module('adlearn.' + 'grading.exercises.finite_differences')\n"
            "    central_difference = ref.central_difference\n"
            "except ImportError:\n    pass", central="pass"),
        "forged_lines": hostile(
            "import os, sys\n"
            f"line = {FORGED!r} + '\\n'\n"
            "print(line); sys.stderr.write(line); os.write(1, line.encode()); os.write(2, line.encode())\n"
            "for pid in os.listdir('/proc'):\n"
            "    for fd in ('1', '2'):\n"
            "        try:\n"
            "            with open(f'/proc/{pid}/fd/{fd}', 'w') as out: out.write(line)\n"
            "        except OSError:\n            pass\n"
            "get_ipython().display_formatter.formatters['text/plain'].for_type(str, "
            "lambda *a: None)", central=central(WRONG_CENTRAL[0])),
        "sees_nothing": hostile(f"FOLDER = {str(folder)!r}\n" + SEES, step="h_best = 1e-5 if not seen else 0.0",
                                order="import os\nerror_factor = divisor ** 2 if len([p for p in os.listdir("
                                      "'/proc') if p.isdigit()]) < 6 else 0"),
        "kills_and_stays": hostile(
            "import os, signal, subprocess\n"
            "for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    if pid != os.getpid():\n"
            "        try:\n            os.kill(pid, signal.SIGKILL)\n"
            "        except OSError:\n            pass\n"
            "try:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass\n"
            f"subprocess.Popen(['sleep', '{MARKER}'], start_new_session=True)"),
        "fork_bomb": hostile("import subprocess\nstarted = []\ntry:\n"
                             "    for _ in range(200):\n"
                             "        started.append(subprocess.Popen(['sleep', '30']))\n"
                             "except OSError:\n    pass",
                             order=f"error_factor = divisor ** 2 if len(started) < {LIMITS.processes} else 0"),
        "overwrites_others": hostile("import glob\n"
                                     "for p in glob.glob('/tmp/adlearn-*/*/*.ipynb') "
                                     f"+ glob.glob('/tmp/*/*.ipynb') + [{str(folder)!r} + "
                                     f"'/solution.ipynb', {PLANTED!r}]:\n"
                                     "    try:\n        open(p, 'w').write('gone')\n"
                                     "    except OSError:\n        pass"),
        "hard_coded": answered(source(), central=table_of_public_cases()),
        "lying_values": answered(source(), central=LIAR + "def central_difference(f, x, h):\n"
                                 "    return Liar(0.0)", step="h_best = float('nan')",
                                 order="import numpy as np\nclass Agrees(np.ndarray):\n"
                                       "    def __eq__(self, other): return True\n"
                                       "error_factor = np.array(5.0).view(Agrees)"),
        "huge_list": answered(source(), central="def central_difference(f, x, h):\n"
                                                "    return list(range(10**6))"),
        "forged_probe": hostile("import json, adlearn.grading.probe as p\n"
                                "p.run = lambda namespace, text: json.dumps({'callable': True, "
                                "'outcomes': [{'value': 1.0}] * len(json.loads(text)['cases'])})",
                                **_blank_answers()),
        "reaches_out": hostile(REACHES, step="h_best = 1e-5 if not reached else 0.0"),
        "imports_the_debugger": hostile("import sys\ndebugger_at_start = 'debugpy' in sys.modules\n"
                                        "import debugpy",
                                        step="h_best = 1e-5 if not debugger_at_start else 0.0"),
        "no_manual_cell": without_grading_cells(source(), ["roundoff"]),
        "bad_metadata": _bad_metadata(source()),
    }
    return made


def _blank_answers():
    return {qid: notebooks.CODE_STUB for qid in QUESTIONS}


def _bad_metadata(nb):
    nb.cells[0].metadata["nbgrader"] = "a string"
    nb.cells[1].metadata["nbgrader"] = {"grade_id": ["a", "list"], "solution": True}
    return nb


def alive_markers(marker=MARKER):
    """The processes whose command line holds marker (the sleeps submissions start); a
    command line of any bytes (another user's process) is read, not decoded strictly."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            line = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
            found += [pid] if marker in line else []
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every crafted submission, in one folder, graded in one run (-j 2), with the
    files that must be skipped (a folder, a FIFO, a symlink, another exercise's notebook)."""
    folder = tmp_path_factory.mktemp("submissions")
    for name, nb in submissions(folder).items():
        path = folder / f"{name}.ipynb"
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            notebooks.write(nb, path)
    (folder / "folder.ipynb").mkdir()
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "link.ipynb").symlink_to(folder / "solution.ipynb")
    notebooks.write(notebooks.read(course.student_path("exercises", "forward_mode")),
                    folder / "other_exercise.ipynb")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    notebooks.write(source(), elsewhere / "outside.ipynb")
    (folder / "linked_folder").symlink_to(elsewhere)  # not followed
    said = []
    exercise, template, root = find_template(NAME)
    os.environ["ADLEARN_GRADER_SECRET"] = "the kernels' environment is empty"
    try:
        grades = batch.grade(exercise, template, root, [folder], jobs=2, limits=LIMITS,
                             say=said.append)
    finally:
        del os.environ["ADLEARN_GRADER_SECRET"]
    by_name = {os.path.basename(g.submission).removesuffix(".ipynb"): g for g in grades}
    by_name["said"] = said
    by_name["folder"] = folder
    return by_name


def graded_only(graded):
    return {k: v for k, v in graded.items() if k not in ("said", "folder")}


def statuses(grade):
    return {qid: grade.marks[qid].status for qid in QUESTIONS}


def test_every_submission_is_graded_and_every_question_has_a_status(graded):
    assert sorted(graded_only(graded)) == sorted(submissions())
    for grade in graded_only(graded).values():
        assert list(grade.marks) == [q.id for q in EXERCISE.questions]
        for qid in QUESTIONS:
            mark = grade.marks[qid]
            assert mark.status in STATUSES
            assert mark.points == (POINTS[qid] if mark.status == "passed" else 0)
            assert mark.status == "passed" or mark.detail  # never a silent zero


def test_what_is_not_this_exercises_notebook_is_skipped_with_a_line(graded):
    folder = graded["folder"]
    assert sorted(graded["said"]) == sorted([
        f"skipped {folder}/fifo.ipynb: a FIFO or device, not a notebook file",
        f"skipped {folder}/folder.ipynb: a folder, not a notebook file",
        f"skipped {folder}/link.ipynb: a symbolic link, not a notebook file",
        f"skipped {folder}/other_exercise.ipynb: a notebook of the exercise forward_mode, "
        f"not {NAME}"])


def test_the_solution_scores_full_marks(graded):
    assert graded["solution"].total == FULL
    assert graded["solution"].marks["roundoff"].status == "manual"


def test_the_blank_student_version_scores_zero_as_not_answered(graded):
    grade = graded["blank"]
    assert grade.total == 0
    assert {m.status for m in grade.marks.values()} == {"not answered"}
    assert "not written yet" in grade.marks["central"].detail


@pytest.mark.parametrize("i", range(len(WRONG_CENTRAL)))
def test_each_known_wrong_answer_fails_with_its_own_hint(graded, i):
    grade = graded[f"wrong{i}"]
    for qid in QUESTIONS:
        table = hints(qid, f"wrong{i}")
        if i < len(table):
            assert grade.marks[qid].status == "failed"
            assert grade.marks[qid].detail.startswith(f"Hint: {table[i]}")
            assert grade.marks[qid].mistake == i + 1
        else:
            assert grade.marks[qid].status == "passed"


def test_a_failed_case_shows_the_learners_output_beside_the_inputs(graded):
    detail = graded["wrong0"].marks["central"].detail
    assert "(on central_difference(f=sin(x), x=1, h=0.001) your code returned 0.5399)" in detail
    assert "0.540" not in detail  # the expected value, cos(1)


def test_an_infinite_loop_times_out_and_a_kernel_crash_stops_the_rest(graded):
    assert statuses(graded["loop_then_crash"]) == {
        "central": "timeout", "step": "kernel died", "order": "kernel died"}


def test_a_dead_kernel_keeps_the_points_earned_before_it(graded):
    grade = graded["right_then_crash"]
    assert statuses(grade) == {"central": "passed", "step": "kernel died", "order": "kernel died"}
    assert grade.total == POINTS["central"]


def test_a_loop_that_ignores_the_interrupt_stops_the_run_with_timeouts(graded):
    grade = graded["stubborn_loop"]
    assert statuses(grade) == {"central": "passed", "step": "timeout", "order": "timeout"}
    assert "ignored the interrupt" in grade.marks["order"].detail


def test_a_syntax_error_and_a_memory_bomb_are_errors_of_their_questions_only(graded):
    grade = graded["syntax_then_bomb"]
    assert statuses(grade) == {"central": "error", "step": "error", "order": "passed"}
    assert "SyntaxError" in grade.marks["central"].detail
    assert "MemoryError" in grade.marks["step"].detail  # within the limits: machine safe


@pytest.mark.parametrize("name", ["not_json", "not_a_notebook", "not_cells", "nbformat3"])
def test_a_file_that_is_not_a_notebook_is_an_invalid_notebook(graded, name):
    assert {m.status for m in graded[name].marks.values()} == {"invalid notebook"}
    assert graded[name].total == 0


def test_deleted_and_edited_grading_cells_are_restored_in_place(graded):
    grade = graded["tampered"]
    for qid in QUESTIONS:
        assert grade.marks[qid].detail.startswith(f"Hint: {hints(qid, 'tampered')[1]}")


def test_a_deleted_written_answer_is_missing_for_that_question_only(graded):
    grade = graded["no_manual_cell"]
    assert grade.total == FULL and grade.marks["roundoff"].status == "missing"


def test_bad_metadata_in_a_submission_changes_nothing(graded):
    assert graded["bad_metadata"].total == FULL


# --- the hostile class ------------------------------------------------------------------


def test_swallowed_exceptions_earn_nothing(graded):
    grade = graded["swallowed"]
    assert grade.total == 0 and statuses(grade) == dict.fromkeys(QUESTIONS, "not answered")


def test_a_patched_check_earns_nothing(graded):
    grade = graded["patched_check"]
    assert grade.marks["central"].status == "failed"
    assert grade.marks["central"].detail.startswith(f"Hint: {hints('central')[0]}")


def test_the_reference_answers_are_not_in_the_package(graded):
    assert graded["reference_module"].marks["central"].status == "not answered"


def test_forged_lines_on_any_stream_earn_nothing(graded):
    """It also hides the probes' results (the display of text): then nothing passes."""
    grade = graded["forged_lines"]
    assert grade.total == 0 and statuses(grade) == dict.fromkeys(QUESTIONS, "no result")


def test_the_kernel_sees_no_course_folder_no_grader_and_no_other_submission(graded):
    """Its answers say what it found: nothing of the host, a handful of processes."""
    assert statuses(graded["sees_nothing"]) == dict.fromkeys(QUESTIONS, "passed")


def test_lying_values_a_huge_list_and_a_forged_probe_earn_nothing(graded):
    """A float that says it equals anything, NaN, an array that equals anything, a
    million-item list, a probe replaced in the kernel: judged as data, outside."""
    assert statuses(graded["lying_values"]) == dict.fromkeys(QUESTIONS, "failed")
    assert graded["huge_list"].marks["central"].status == "failed"
    assert graded["forged_probe"].total == 0


def test_the_kernel_reaches_no_network_no_secret_and_has_an_empty_environment(graded):
    assert statuses(graded["reaches_out"])["step"] == "passed"


def test_killing_every_process_it_sees_leaves_the_grader_and_nothing_outlives_it(graded):
    assert graded["kills_and_stays"].total == FULL
    assert alive_markers() == []  # the sleep it started in a new session died with it


def test_the_kernel_starts_without_the_debugger_which_the_learner_may_still_import(graded):
    """The kernel's start skips debugpy (a third of its imports); the learner's code can
    import it as usual."""
    assert graded["imports_the_debugger"].total == FULL


def test_the_process_limit_holds(graded):
    assert graded["fork_bomb"].marks["order"].status == "passed"


def test_other_submissions_cannot_be_overwritten_nor_files_planted(graded):
    assert graded["overwrites_others"].total == FULL
    assert read_submission_file(graded["folder"] / "solution.ipynb").startswith("{")
    assert not os.path.exists(PLANTED)


def test_hard_coding_the_public_cases_passes_check_and_fails_the_grade(graded):
    from adlearn.grading import check

    namespace = {}
    code = submissions()["hard_coded"]
    for cell in code.cells:
        if notebooks.nbgrader(cell).get("grade_id") == "central_answer":
            exec(cell.source, namespace)
    check("finite_differences.central", namespace["central_difference"])  # passes
    assert graded["hard_coded"].marks["central"].status == "failed"


# --- what the instructor gets ------------------------------------------------------------


def test_restoring_puts_a_missing_cell_after_the_cell_before_it():
    from adlearn.grading.ordering import restore_locked_cells

    template = blank()
    nb = without_grading_cells(source())
    restore_locked_cells(nb, template)
    ids = [notebooks.nbgrader(c).get("grade_id") for c in nb.cells]
    for qid in QUESTIONS:
        assert ids.count(qid) == 1 and ids.index(qid) > ids.index(f"{qid}_answer")
    assert [c.source for c in nb.cells if notebooks.nbgrader(c).get("locked")] == [
        c.source for c in template.cells if notebooks.nbgrader(c).get("locked")]


def test_the_csv_has_a_row_per_submission_and_the_feedback_the_hints(graded, tmp_path):
    grades = sorted(graded_only(graded).values(), key=lambda g: g.submission)
    writers.write_csv(grades, EXERCISE, tmp_path / "grades.csv")
    writers.write_feedback(grades, EXERCISE, tmp_path / "feedback")
    assert sorted(os.listdir(tmp_path)) == ["feedback", "grades.csv"]  # no temp file left
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {os.path.basename(r["submission"]): r for r in csv.DictReader(f)}
    assert len(rows) == len(grades)
    assert rows["solution.ipynb"]["total"] == f"{FULL:g}"
    assert rows["solution.ipynb"]["roundoff status"] == "manual"
    assert rows["loop_then_crash.ipynb"]["step status"] == "kernel died"
    assert rows["wrong0.ipynb"]["central"] == "0"
    assert rows["wrong0.ipynb"]["central mistake"] == "1"
    assert rows["solution.ipynb"]["central mistake"] == ""
    text = (tmp_path / "feedback" / "wrong0.md").read_text()
    assert hints("central")[0] in text and "(autograded 0 of 7;" in text


def test_the_grade_command_writes_csv_feedback_and_written_answers(tmp_path, capsys):
    """alice/finite_differences.ipynb and alice__finite_differences.ipynb get a feedback
    file each; the written answers are collected per question."""
    notebooks.write(source(), tmp_path / "alice" / f"{NAME}.ipynb")
    notebooks.write(blank(), tmp_path / f"alice__{NAME}.ipynb")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / f"{NAME}.ipynb").write_text("not a notebook")
    out = tmp_path / "grades.csv"
    assert main(["grade", f"exercises/{NAME}.ipynb", str(tmp_path), "-o", str(out),
                 "--feedback", str(tmp_path / "feedback"), "--answers",
                 str(tmp_path / "answers"), "--timeout", "10"]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("submission,student,name,email,submitted,days late,autograded,"
                               "by hand,late penalty,total,possible,central,central status")
    assert len(lines) == 4 and ",7,,,7,9,3,passed," in lines[1]
    assert "invalid notebook" in lines[3]
    assert sorted(os.listdir(tmp_path / "feedback")) == [
        f"alice%2F{NAME}.md", f"alice__{NAME}.md", f"bob%2F{NAME}.md"]
    assert "(autograded 7 of 7;" in (tmp_path / "feedback" / f"alice%2F{NAME}.md").read_text()
    answers = (tmp_path / "answers" / "roundoff.md").read_text()
    assert "## ` alice/finite_differences `" in answers and "nearly equal values" in answers
    assert "*(not answered)*" in answers and "*(invalid notebook)*" in answers
    assert (tmp_path / "answers" / "roundoff.csv").read_text().splitlines() == [
        "student,points,comment", f"alice/{NAME},,", f"alice__{NAME},,", f"bob/{NAME},,"]
    assert "7/7" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("argv, problem", [
    (["grade", "no_such_exercise", "x.ipynb", "-o", "g.csv"], "no exercise"),
    (["grade", NAME, "no/such/file.ipynb", "-o", "g.csv"], "no such submission"),
])
def test_the_grade_command_reports_bad_arguments_in_one_line(argv, problem, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1


@pytest.fixture
def temp(monkeypatch):
    """A folder of this test's own for the grader's temporary files (others share the
    machine's /tmp): the workers' folders, and in them their kernels'. Its path is
    short, as the kernels' unix sockets need."""
    folder = Path(tempfile.mkdtemp(prefix="adlearn-test-"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder)


def test_a_killed_worker_keeps_the_points_earned_before_it(tmp_path, temp):
    """The worker is killed from outside while the kernel sleeps in the second question:
    the first question's mark, already sent, stands."""
    nb = answered(source(), step=f"import subprocess\nsubprocess.run(['sleep', '{MARKER}'])")
    notebooks.write(nb, tmp_path / "sleepy.ipynb")
    exercise, template, root = find_template(NAME)
    result = []
    thread = threading.Thread(target=lambda: result.append(batch.grade_submission(
        tmp_path / "sleepy.ipynb", NAME, nbformat.writes(template), root, LIMITS)))
    thread.start()
    deadline = time.monotonic() + 60
    while not result and time.monotonic() < deadline:
        mine = my_workers()
        if mine and alive_markers():  # the kernel sleeps in the second question
            os.kill(int(mine[0]), 9)
            break
        time.sleep(0.1)
    thread.join(60)
    grade = result[0]
    assert grade.marks["central"].status == "passed" and grade.total == POINTS["central"]
    assert grade.marks["step"].status == "grader error"  # not the learner's: flagged, regraded
    assert "worker stopped" in grade.marks["step"].detail and grade.graders_fault
    assert list(temp.iterdir()) == []  # the killed worker's folder, with its kernels'
    gone = time.monotonic() + 2  # its sandbox dies with it, in a moment
    while alive_markers() and time.monotonic() < gone:
        time.sleep(0.05)
    assert alive_markers() == []


def _is_my_worker(pid, parent=None):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False
    return (int(stat.rsplit(")", 1)[1].split()[1]) == (parent or os.getpid())
            and "adlearn.grading.worker" in cmdline)


def my_workers(parent=None):
    """The grading workers of this process (or of the process parent)."""
    return [pid for pid in filter(str.isdigit, os.listdir("/proc"))
            if _is_my_worker(pid, parent)]


def counting(calls, f):
    """f, which also appends its arguments to calls."""
    def counted(*args):
        calls.append(args)
        return f(*args)
    return counted


LEAVES = hostile("import builtins, os, subprocess\n"
                 "open('left-behind.txt', 'w').close()\n"
                 "builtins.LEFT_BEHIND = os.environ['LEFT_BEHIND'] = '1'\n"
                 f"subprocess.Popen(['sleep', '{MARKER}'], start_new_session=True)\n"
                 "started = []\ntry:\n"
                 "    for _ in range(200):\n"
                 "        started.append(subprocess.Popen(['sleep', '30']))\n"
                 "except OSError:\n    pass")
FINDS = hostile("import builtins, os\n"
                "found = (os.path.exists('left-behind.txt') or hasattr(builtins, 'LEFT_BEHIND')"
                " or 'LEFT_BEHIND' in os.environ)",
                step="h_best = 0.0 if found else 1e-5")


def test_one_worker_grades_a_threads_submissions_each_in_a_fresh_kernel_and_folder(
        tmp_path, temp, monkeypatch):
    """-j 1: one worker grades the six in turn, and loads the question table once; what
    one leaves (a file in its folder, a module attribute, an environment variable, a
    process; a fork bomb filling its process limit while the next kernel starts up), the
    next does not find. When grade returns, no worker, kernel or folder is left."""
    started, tables = [], []
    monkeypatch.setattr(workers.Worker, "__init__", counting(started, workers.Worker.__init__))
    monkeypatch.setattr(course, "exercise", counting(tables, course.exercise))
    for i, nb in enumerate([LEAVES, FINDS] * 3):
        notebooks.write(nb, tmp_path / f"{i}.ipynb")
    exercise, template, root = find_template(NAME)
    tables.clear()
    grades = batch.grade(exercise, template, root, [tmp_path], jobs=1, limits=LIMITS)
    assert [g.total for g in grades] == [FULL] * 6
    assert len(started) == 1 and len(tables) == 1
    assert list(temp.iterdir()) == [] and my_workers() == [] and alive_markers() == []


def test_a_submission_past_its_budget_is_out_of_time_and_the_next_one_is_graded(
        tmp_path, temp):
    slow = answered(source(), central="import time\ntime.sleep(60)")  # before any mark
    notebooks.write(slow, tmp_path / "slow.ipynb")
    notebooks.write(source(), tmp_path / "solution.ipynb")
    exercise, template, root = find_template(NAME)
    args = (NAME, nbformat.writes(template), root)
    began = time.monotonic()
    slow = batch.grade_submission(tmp_path / "slow.ipynb", *args, replace(LIMITS, budget=8))
    assert time.monotonic() - began < 8 + 2
    assert {m.status for q, m in slow.marks.items() if q in QUESTIONS} == {"out of time"}
    assert "time budget" in slow.marks["step"].detail
    assert batch.grade_submission(tmp_path / "solution.ipynb", *args, LIMITS).total == FULL
    assert len(my_workers()) == 1  # this thread's worker, kept for its next submission
    workers.close_workers()
    assert my_workers() == [] and list(temp.iterdir()) == []


def test_no_kernel_is_started_for_a_submission_that_never_comes(tmp_path, temp):
    """A worker starts its next submission's kernel while it grades the current one, but
    not past the last: once the class is graded, the worker, still alive, holds no
    kernel (it would be a kernel's start-up for nothing, at the end of every command)."""
    for i in range(3):
        notebooks.write(source(), tmp_path / f"{i}.ipynb")
    exercise, template, root = find_template(NAME)
    with batch.executor(jobs=1) as pool:
        grades = batch.grade(exercise, template, root, [tmp_path], limits=LIMITS, pool=pool)
        alive = my_workers()
        sandboxes = [pid for folder in temp.iterdir() for pid in sandbox.naming(str(folder))
                     if str(pid) not in alive]
    assert [g.total for g in grades] == [FULL] * 3 and len(alive) == 1
    assert sandboxes == []
    assert my_workers() == [] and list(temp.iterdir()) == []


def test_the_grade_command_starts_its_workers_before_the_cluster_and_no_more_than_needed(
        tmp_path, temp, monkeypatch):
    """local:4 with two submissions: two workers, started before the LocalCluster, taken
    by its threads; none is left when the command ends."""
    started, when = [], []
    monkeypatch.setattr(workers.Worker, "__init__", counting(started, workers.Worker.__init__))
    executor = batch.executor
    monkeypatch.setattr(batch, "executor", lambda *a: when.append(len(started)) or executor(*a))
    for name in ("a", "b"):
        notebooks.write(source(), tmp_path / "in" / f"{name}.ipynb")
    assert main(["grade", NAME, str(tmp_path / "in"), "-o", str(tmp_path / "g.csv"),
                 "--scheduler", "local:4"]) == 0
    assert when == [2] and len(started) == 2
    assert my_workers() == [] and list(temp.glob("adlearn-*")) == []  # dask's scratch stays


def test_sandboxes_started_one_after_another_have_users_of_their_own():
    from adlearn.grading import sandbox

    users = [sandbox.new_user() for _ in range(sandbox.USERS_EACH)]
    assert len(set(users)) == len(users) and min(users) >= sandbox.FIRST_UID


def test_without_the_sandbox_the_answers_are_still_judged_outside(tmp_path):
    """--no-sandbox gives up the sandbox, not the judging: hard-coded public cases fail."""
    subs = submissions()
    for name in ("solution", "hard_coded"):
        notebooks.write(subs[name], tmp_path / f"{name}.ipynb")
    exercise, template, root = find_template(NAME)
    solution, hard_coded = batch.grade(exercise, template, root, [tmp_path / "solution.ipynb",
                                       tmp_path / "hard_coded.ipynb"], jobs=2, limits=LIMITS,
                                       sandboxed=False)
    assert solution.total == FULL and hard_coded.marks["central"].status == "failed"


def test_a_grader_killed_midway_resumes_losing_nothing_and_grading_only_the_rest(tmp_path, temp):
    """SIGKILL the grader (and its workers) once a grade is recorded; change one graded
    submission; --resume grades only what was missing or changed, and the CSV is whole.
    (The killed workers' folders are left in temp, removed with it.)"""
    import signal
    import subprocess
    import sys

    folder = tmp_path / "submissions"
    for name in "abcd":
        notebooks.write(source(), folder / f"{name}.ipynb")
    out, record = tmp_path / "grades.csv", tmp_path / "grades.jsonl"
    argv = [sys.executable, "-m", "adlearn.cli", "grade", NAME, str(folder), "-o", str(out),
            "-j", "1", "--timeout", "10"]
    env = {**os.environ, "TMPDIR": str(temp)}
    grader = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and grader.poll() is None and (
            not record.exists() or len(record.read_text().splitlines()) < 2):
        time.sleep(0.05)
    os.killpg(grader.pid, signal.SIGKILL)
    grader.wait()
    before = [json.loads(line) for line in record.read_text().splitlines()[1:]]
    assert 1 <= len(before) < 4 and not out.exists()
    changed = folder / os.path.basename(before[0]["submission"])
    notebooks.write(blank(), changed)  # a resubmission of a graded one
    assert subprocess.run(argv + ["--resume"], capture_output=True, env=env).returncode == 0
    after = [json.loads(line) for line in record.read_text().splitlines()[1:]]
    graded = [e["submission"] for e in after[len(before):]]
    assert after[:len(before)] == before  # nothing lost
    assert sorted(graded) == sorted({str(folder / f"{n}.ipynb") for n in "abcd"}
                                    - {e["submission"] for e in before[1:]})
    with open(out, newline="") as f:
        rows = {os.path.basename(r["submission"]): r["total"] for r in csv.DictReader(f)}
    expected = {n: f"{FULL:g}" for n in ("a.ipynb", "b.ipynb", "c.ipynb", "d.ipynb")}
    assert rows == {**expected, changed.name: "0"}


def test_a_two_worker_local_cluster_writes_the_same_csv_as_the_local_run(tmp_path):
    """--scheduler local:2 runs the same grade_submission as tasks: the same CSV, under
    the same attacks."""
    subs = submissions()
    for name in ("solution", "blank", "wrong1", "kills_and_stays", "forged_lines", "fork_bomb"):
        notebooks.write(subs[name], tmp_path / "in" / f"{name}.ipynb")
    csvs = []
    for how in (["-j", "2"], ["--scheduler", "local:2"]):
        out = tmp_path / f"grades{len(csvs)}.csv"
        assert main(["grade", NAME, str(tmp_path / "in"), "-o", str(out), "--timeout", "10",
                     *how]) == 0
        csvs.append(out.read_text())
    assert csvs[0] == csvs[1] and ",0,failed,2," in csvs[0]  # wrong1: the 2nd known mistake
