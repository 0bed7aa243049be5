"""The second hostile class: ways one submission could still hurt others, or be judged
for what the grader did, each graded in real sandboxed kernels.

A notebook of slow cells runs out of its own budget (derived from the exercise, never
from the submission) and keeps what it earned; a notebook that fills its disk fills only
its own; names that are not UTF-8 or too long for a file, and written answers that try to
forge another's, reach the instructor's files escaped; a grader stopped by a signal, or
killed outright, leaves no worker or sandbox behind and keeps what it graded; a notebook
whose cells lost their nbgrader metadata is judged by what its code defines and flagged;
and a failure that is the grader's is flagged as the grader's and graded again by
``--resume``.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from adlearn.cli import main
from adlearn.grading import batch, course, notebooks, report, sandbox, workers
from adlearn.grading.limits import START_SECONDS, Limits, budget
from adlearn.grading.marks import STATUSES
from adlearn.grading.submissions import find_template
from test_grading_batch import (FULL, LIMITS, NAME, POINTS, alive_markers, answered,
                                my_workers, source, statuses, temp)  # noqa: F401

MARKER = "876543219"  # the argument of the sleeps the slow submissions start
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the grader's defences as root")


def with_cells_after(nb, qid, cells):
    """nb with code cells inserted after the grading cell of question qid."""
    at = next(i for i, c in enumerate(nb.cells) if notebooks.nbgrader(c).get("grade_id") == qid)
    nb.cells[at + 1:at + 1] = [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


def graded_with(tmp_path, notebooks_by_name, limits=LIMITS, jobs=2):
    """{name: Grade} of the notebooks, graded together, and the seconds it took."""
    for name, nb in notebooks_by_name.items():
        notebooks.write(nb, tmp_path / f"{name}.ipynb")
    exercise, template, root = find_template(NAME)
    began = time.monotonic()
    grades = batch.grade(exercise, template, root, [tmp_path / f"{n}.ipynb"
                                                    for n in notebooks_by_name],
                         jobs=jobs, limits=limits, say=lambda line: None)
    return {Path(g.submission).stem: g for g in grades}, time.monotonic() - began


# --- 1. one wall-clock budget per submission ----------------------------------------------


def test_the_budget_comes_from_the_exercises_notebook_never_the_submissions():
    _, template, _ = find_template(NAME)
    text = nbformat.writes(template)
    code_cells = sum(c.cell_type == "code" for c in template.cells)
    assert budget(text, Limits(timeout=30)) == START_SECONDS + 30 * code_cells
    assert budget(text, Limits(timeout=30, budget=45)) == 45


def test_forty_slow_cells_run_out_of_their_budget_and_keep_the_points_judged_before(
        tmp_path, temp):
    """Forty cells of 0.95 s at a 1 s timeout: each is within the timeout, together they
    outlast the budget (from the exercise's 9 code cells: 29 s). The questions judged
    before keep their points; the rest are "out of time"; the honest notebook graded
    beside it passes, and the class takes about the budget, not the forty cells."""
    limits = replace(LIMITS, timeout=1)
    slow = with_cells_after(source(), "central", ["import time\ntime.sleep(0.95)"] * 40)
    grades, seconds = graded_with(tmp_path, {"slow": slow, "honest": source()}, limits)
    allowed = budget(nbformat.writes(find_template(NAME)[1]), limits)
    assert statuses(grades["slow"]) == {"central": "passed", "step": "out of time",
                                        "order": "out of time"}
    assert grades["slow"].total == POINTS["central"]
    assert "time budget" in grades["slow"].marks["order"].detail
    assert STATUSES["out of time"].review and not STATUSES["out of time"].grader
    assert grades["honest"].total == FULL
    assert allowed < 40 * 0.95 and seconds < allowed + 5


def test_the_budget_is_an_option_of_the_grade_command(tmp_path, capsys):
    notebooks.write(with_cells_after(source(), "central", ["import time\ntime.sleep(30)"]),
                    tmp_path / "slow.ipynb")
    out = tmp_path / "grades.csv"
    began = time.monotonic()
    assert main(["grade", NAME, str(tmp_path / "slow.ipynb"), "-o", str(out),
                 "--budget", "12"]) == 0
    assert time.monotonic() - began < 30
    row = next(csv.DictReader(out.open()))
    assert (row["central status"], row["step status"]) == ("passed", "out of time")


# --- 2. a kernel's writable space, capped as a whole ------------------------------------

FILLER = """import os
written, full = 0, None
try:
    for i in range(64):  # 64 MB at most, should the cap not hold
        with open(f"fill{i}", "wb") as f:
            f.write(b"x" * 2**20)
        written += 2**20
except OSError as exc:
    full = exc
"""


def test_a_notebook_that_fills_its_disk_fills_only_its_own(tmp_path, temp):
    """Files of 1 MB, each under the file-size limit, until no space is left: the cap
    (16 MB) holds, the filler's own answer that needed the space is its error, and the
    honest notebook graded beside it at the same time passes."""
    filler = answered(source(), step=FILLER + "raise full",
                      order="error_factor = divisor ** 2 if full and written <= 16 * 2**20 else 0")
    grades, _ = graded_with(tmp_path, {"filler": filler, "honest": source()},
                            replace(LIMITS, disk_mb=16))
    assert grades["honest"].total == FULL
    assert statuses(grades["filler"]) == {"central": "passed", "step": "error",
                                          "order": "passed"}
    assert "No space left on device" in grades["filler"].marks["step"].detail
    assert list(temp.iterdir()) == []  # the workers' folders, mounts and all, are gone


# --- 3, 4, 5. names and written answers that reach the instructor's files ------------------


def test_names_that_are_not_utf8_or_too_long_and_forged_answers(tmp_path, capsys):
    """A Latin-1 name (as unzipped Windows archives give), an 80-character CJK name (246
    bytes, legal) and a written answer that tries to forge bob's and hide everyone's
    after it: the CSV, every feedback file and the answers are written, escaped, and a
    resumed run writes them again."""
    import mistune

    folder = tmp_path / "in"
    folder.mkdir()
    latin = os.fsdecode(b"r\xe9sum\xe9.ipynb")
    cjk = "微分" * 40 + ".ipynb"
    forged = ("## bob/finite_differences\n\nI don't know.\n\n<!-- everything after this "
              "is hidden\n```\n~~~")
    notebooks.write(source(), folder / latin)
    notebooks.write(source(), folder / cjk)
    notebooks.write(answered(source(), roundoff=forged), folder / "alice.ipynb")
    notebooks.write(answered(source(), roundoff="Bob's own answer: cancellation."),
                    folder / "bob.ipynb")
    out = tmp_path / "grades.csv"
    argv = ["grade", NAME, str(folder), "-o", str(out), "--feedback",
            str(tmp_path / "feedback"), "--answers", str(tmp_path / "answers")]
    for again in ([], ["--resume"]):
        assert main(argv + again) == 0
        rows = {Path(r["submission"]).name: r["total"] for r in csv.DictReader(out.open())}
        assert rows == {"r\\xe9sum\\xe9.ipynb": "7", cjk: "7", "alice.ipynb": "7",
                        "bob.ipynb": "7"}
        names = os.listdir(tmp_path / "feedback")
        assert len(names) == 4 and all(len(os.fsencode(n)) <= 255 for n in names)
        assert "resumed: 4 graded before" in capsys.readouterr().out or not again
    html = mistune.html((tmp_path / "answers" / "roundoff.md").read_text(encoding="utf-8"))
    headings = [line for line in html.splitlines() if line.startswith("<h2>")]
    assert len(headings) == 4 and sum("bob" in h for h in headings) == 1
    assert "Bob&#x27;s own answer" in html or "Bob's own answer" in html
    assert "<!--" not in html  # the forged comment is shown as text, hiding nothing


def test_one_file_that_cannot_be_written_does_not_stop_the_others(tmp_path, capsys):
    from adlearn.grading.marks import Grade, Mark
    from adlearn.grading.writers import write_answers, write_feedback

    exercise = course.exercise(NAME, "exercises")
    grades = [Grade(f"subs/{n}.ipynb", {q.id: Mark("manual" if not q.autograded else "passed",
                                                   text="because") for q in exercise.questions})
              for n in "abc"]
    (tmp_path / "feedback" / "b.md").mkdir(parents=True)  # b's file cannot be written
    said = []
    assert write_feedback(grades, exercise, tmp_path / "feedback", said.append) == [
        tmp_path / "feedback" / "b.md"]
    assert all((tmp_path / "feedback" / f"{n}.md").is_file() for n in "ac")
    assert len(said) == 1 and "b.md" in said[0]
    assert write_answers(grades, exercise, tmp_path / "answers", said.append) == []


# --- 6. a grader stopped or killed leaves nothing running ---------------------------------


def sleepers():
    """The processes the slow submissions' kernels started (their sleeps)."""
    return alive_markers(MARKER)


def running(pid):
    """Whether process pid runs (a zombie, ended and waiting for its parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
                                    signal.SIGKILL])
def test_a_stopped_or_killed_grader_ends_every_sandbox_within_a_second(tmp_path, temp, signum):
    """One submission is graded, two others sleep in their kernels: the signal ends every
    worker and sandbox within a second (SIGKILL, which cannot be caught, too: the
    workers watch their parent), and the graded one is in the record."""
    folder = tmp_path / "in"
    notebooks.write(source(), folder / "a.ipynb")
    slow = with_cells_after(source(), "central",
                            [f"import subprocess\nsubprocess.run(['sleep', '{MARKER}'])"])
    for name in "bc":
        notebooks.write(slow, folder / f"{name}.ipynb")
    record = tmp_path / "grades.jsonl"
    grader = subprocess.Popen(
        [sys.executable, "-m", "adlearn.cli", "grade", NAME, str(folder), "-o",
         str(tmp_path / "grades.csv"), "-j", "2"], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(temp)})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (len(sleepers()) < 2 or not record.exists()
                                           or len(record.read_text().splitlines()) < 2):
        time.sleep(0.1)
    assert len(sleepers()) == 2, grader.stderr.read() if grader.poll() is not None else ""
    before = my_workers(grader.pid) + sleepers()
    assert len(before) >= 3
    grader.send_signal(signum)
    sent = time.monotonic()
    while any(map(running, before)) and time.monotonic() - sent < 5:
        time.sleep(0.01)
    ended = time.monotonic() - sent
    grader.wait(30)
    assert sleepers() == [] and ended < 1.2  # a second, and a little for a busy machine
    assert grader.returncode == (128 + signum if signum != signal.SIGKILL else -signum)
    graded = [json.loads(line)["submission"] for line in record.read_text().splitlines()[1:]]
    assert graded == [str(folder / "a.ipynb")]


def worker_setup():
    """What a worker is set up with to grade the exercise's submissions."""
    return workers.setup(NAME, nbformat.writes(notebooks.read(course.student_path(
        "exercises", NAME))), "exercises", LIMITS)


def children(pid):
    """The ids of process pid's children (quick to read again and again)."""
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def cloned_sandbox(pid):
    """Whether a child of process pid (a bwrap) has cloned the process that becomes the
    sandbox."""
    return any(children(child) for child in children(pid))


def test_a_worker_killed_as_its_kernel_starts_leaves_nothing_running(temp):
    """Killed the moment its first kernel's sandbox appears (bwrap, before the process it
    clones for the sandbox watches its parent), a worker leaves no process of its own:
    the grader ends whatever names the worker's folder. Three times, as the moment is
    a race."""
    for _ in range(3):
        worker = workers.Worker(worker_setup())
        deadline = time.monotonic() + 120
        while not cloned_sandbox(worker.process.pid) and time.monotonic() < deadline:
            pass  # as tight as can be: the moment lasts milliseconds
        worker.process.kill()
        worker.finish(0)
        time.sleep(2)  # what --die-with-parent ends has ended by now
        assert [pid for pid in sandbox.naming(worker.folder) if running(pid)] == []


def test_a_worker_ends_the_sandboxes_a_dead_worker_left_but_not_a_live_ones(temp):
    """What a grader killed outright as its worker started a kernel leaves (the process
    it ran for the kernel in the dead worker's folder, here a sleep) the next worker
    ends; what names a live worker's folder it leaves alone."""
    def sleeping(*names):
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", *names])

    dead, live = temp / "adlearn-worker-dead", temp / "adlearn-worker-live"
    dead.mkdir(), live.mkdir()
    left = sleeping(f"{dead}/adlearn-grade-a/kernel.json")
    others = [sleeping("adlearn.grading.worker", str(live)),
              sleeping(f"{live}/adlearn-grade-b/kernel.json")]
    try:
        workers.Worker(worker_setup()).finish(0)
        assert left.wait(5) == -signal.SIGKILL
        assert [p.poll() for p in others] == [None, None]
    finally:
        for process in [left, *others]:
            process.kill()
            process.wait()


# --- 8. cells that lost their nbgrader metadata -------------------------------------------


def stripped(nb):
    """nb as if its cells were pasted into a new notebook: no nbgrader metadata."""
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def test_a_notebook_whose_cells_lost_their_metadata_is_judged_by_what_it_defines(
        tmp_path, temp):
    blank = notebooks.read(course.student_path("exercises", NAME))
    grades, _ = graded_with(tmp_path, {"pasted": stripped(source()),
                                       "pasted_blank": stripped(blank)})
    assert grades["pasted"].total == FULL
    assert grades["pasted"].marks["roundoff"].status == "metadata lost"  # to find by hand
    assert {m.status for m in grades["pasted_blank"].marks.values()} == {"metadata lost"}
    assert "not answered" in grades["pasted_blank"].marks["central"].detail
    assert STATUSES["metadata lost"].review


# --- 9. the grader's failures are the grader's --------------------------------------------


def test_a_crash_in_the_judge_is_the_graders_error_and_resume_grades_it_again(
        tmp_path, capsys):
    """The question table's random_case raises while the grader judges: the question is
    "grader error", flagged in the report, the exit status is 1, and --resume grades the
    submissions again once the table is fixed (every one: the table changed)."""
    root = tmp_path / "course"
    assert main(["exercises", "new", "power_rule", "--course", str(root)]) == 0
    assert main(["exercises", "build", "--course", str(root)]) == 0
    table = course.table_path(root, "power_rule")
    good = table.read_text()
    table.write_text(good.replace("random_case=_random_x", "random_case=lambda rng: 1 / 0"))
    folder = tmp_path / "in"
    notebooks.write(notebooks.read(course.source_path(root, "power_rule")), folder / "a.ipynb")
    notebooks.write(notebooks.read(course.student_path(root, "power_rule")), folder / "b.ipynb")
    (folder / "c.ipynb").write_text("{ not a notebook")
    out = tmp_path / "grades.csv"
    argv = ["grade", "power_rule", str(folder), "--course", str(root), "-o", str(out)]
    assert main(argv) == 1  # the exit status says the grader failed on some
    assert "the grader failed on 2 submissions" in capsys.readouterr().out
    rows = {Path(r["submission"]).name: r for r in csv.DictReader(out.open())}
    assert [rows[n]["derivative status"] for n in ("a.ipynb", "b.ipynb")] == ["grader error"] * 2
    assert rows["a.ipynb"]["slope status"] == "passed"  # judged before: kept
    summary = report.Summary(*report.read_grades(out, root))
    assert [s for s, _ in summary.to_read] == [str(folder / n) for n in ("a.ipynb", "b.ipynb",
                                                                         "c.ipynb")]
    assert "derivative: grader error" in summary.to_read[0][1][0]
    assert "ZeroDivisionError" in summary.to_read[0][1][0]
    table.write_text(good)
    assert main(argv + ["--resume"]) == 0
    assert ("resumed: 0 graded before, 3 to grade, 3 of them again: the question table "
            "changed since they were graded") in capsys.readouterr().out
    rows = {Path(r["submission"]).name: r for r in csv.DictReader(out.open())}
    assert [rows[n]["derivative status"] for n in ("a.ipynb", "b.ipynb")] == [
        "passed", "not answered"]


# --- defended before, kept as tests -----------------------------------------------------


def test_a_flood_of_output_larger_than_the_workers_memory_leaves_it_grading(tmp_path, temp):
    """1.2 GB of stdout against a worker limited to 1 GB: the flooding notebook's
    questions are its errors, and the same worker grades the next notebook."""
    flood = with_cells_after(source(), "central", [
        "import sys\nblock = 'x' * 2**20\nfor _ in range(1200):\n    sys.stdout.write(block)\n"
        "    sys.stdout.flush()"])
    started = []
    original = workers.Worker.__init__
    workers.Worker.__init__ = lambda self, setup: started.append(1) or original(self, setup)
    try:
        grades, _ = graded_with(tmp_path, {"flood": flood, "next": source()},
                                replace(LIMITS, timeout=120), jobs=1)
    finally:
        workers.Worker.__init__ = original
    assert statuses(grades["flood"]) == {"central": "passed", "step": "error", "order": "error"}
    assert "output was too large" in grades["flood"].marks["step"].detail
    assert grades["next"].total == FULL and len(started) == 1
