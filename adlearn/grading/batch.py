"""Batch grading: run a class's submitted notebooks in fresh kernels and score each question.

Each submission is graded in a worker process of its own, which sets memory and CPU
limits on itself (``resource.setrlimit``) before it starts a kernel, so the kernel, the
only place where student code runs, inherits them: a memory bomb becomes a MemoryError,
a runaway loop is interrupted at the per-cell timeout (and killed at the CPU limit).
Before running, the grading cells (and every other locked cell) are restored from the
exercise's student notebook by grade_id, so deleting or editing them changes nothing.

Every question ends with points and a status, never a silent zero:
passed, failed (with the hint), error, timeout, kernel died, invalid notebook, or manual
(a question answered in words, graded by hand).

The checks run in the learner's kernel, so code in the learner's own cells could replace
them (as with nbgrader). Such a submission is not graded differently, but the learner's
cells are read (as text, never run here) and any that touch the grader are named in the
CSV's ``review`` column for the instructor to look at.
"""

import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GradingError
from . import notebooks
from .exercises import exercise as find_exercise
from .limits import Limits

PASSED, FAILED, ERROR, TIMEOUT, DIED, INVALID, MANUAL = (
    "passed", "failed", "error", "timeout", "kernel died", "invalid notebook", "manual")
TIMEOUT_ENAME = "CellTimeout"


@dataclass
class Mark:
    """One question's result: its status, the points it earned and why (a hint, an error)."""

    status: str
    points: float = 0.0
    detail: str = ""


@dataclass
class Grade:
    """One submission's result: a Mark per question id, in the exercise's order."""

    submission: str
    marks: dict = field(default_factory=dict)
    review: str = ""  # why the instructor should read the submission (see needs_review)

    @property
    def total(self):
        return sum(m.points for m in self.marks.values())


# --- one submission, in a worker process ---------------------------------------------


def restore_locked_cells(submission, template):
    """Put the template's locked cells (grading cells included) into the submission.

    A cell with the same grade_id is overwritten; a missing one is inserted after the
    cell that precedes it in the template (or at the start). Solution cells stay as the
    learner wrote them.
    """
    def grade_id(cell):
        return notebooks.nbgrader(cell).get("grade_id")

    locked = [c for c in template.cells if notebooks.nbgrader(c).get("locked")]
    for cell in locked:
        index = {grade_id(c): i for i, c in enumerate(submission.cells) if grade_id(c)}
        if grade_id(cell) in index:
            submission.cells[index[grade_id(cell)]] = cell
            continue
        position = 0
        for earlier in template.cells[: template.cells.index(cell)]:
            if grade_id(earlier) in index:
                position = index[grade_id(earlier)] + 1
        submission.cells.insert(position, cell)
    return submission


def set_limits(limits):
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * 2**20,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))


def _read_submission(text):
    """A submitted notebook from its text. Lenient: a notebook Jupyter opens and that has
    cells to run is graded, even with metadata or keys that nbformat's schema rejects."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") not in ("code", "markdown", "raw") or not isinstance(
                cell.get("source"), str):
            raise ValueError(f"cell {i + 1} is not a code, markdown or raw cell with a source")
    return nb


class _KernelStuck(Exception):
    """A kernel ignored the interrupt after a timeout: nothing more can run in it."""


def _execute(nb, limits, workdir):
    """Run nb in a fresh python3 kernel; return the indices of the cells that timed out
    and why the run stopped early (DIED, TIMEOUT for a stuck kernel, or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    timed_out = set()

    async def on_cell_executed(cell, cell_index, execute_reply):
        if execute_reply["content"].get("ename") != TIMEOUT_ENAME:
            return
        timed_out.add(cell_index)
        try:  # an interrupted kernel answers at once; one that caught the interrupt cannot
            await client.kc.kernel_info(reply=True, timeout=5)
        except TimeoutError:
            raise _KernelStuck() from None

    client = NotebookClient(  # python3 is this environment's python (jupyter_client's rule)
        nb, kernel_name="python3", timeout=limits.timeout, startup_timeout=60,
        interrupt_on_timeout=True, allow_errors=True, iopub_timeout=4,
        shutdown_kernel="immediate",
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"over {limits.timeout:g} s",
                          "traceback": []},
        on_cell_executed=on_cell_executed, resources={"metadata": {"path": str(workdir)}})
    client.log.disabled = True  # timeouts are reported per question, not as log lines
    try:
        client.execute(stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    except DeadKernelError:
        return timed_out, DIED
    except _KernelStuck:
        return timed_out, TIMEOUT
    return timed_out, None


def grade_notebook(text, template, exercise, limits):
    """The Mark of each question of one submission given as text (runs it in a kernel)."""
    marks = {}
    try:
        nb = _read_submission(text)
    except Exception as exc:
        return _all(exercise, INVALID, f"not a notebook: {type(exc).__name__}: {exc}")
    restore_locked_cells(nb, template)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="adlearn-grade-") as workdir:
        timed_out, stopped = _execute(nb, limits, workdir)
    cells = {notebooks.nbgrader(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
    section_start = 0
    for q in exercise.questions:
        index = cells[q.id]
        if q.autograded:
            section = range(section_start, index + 1)
            mark = _mark(nb.cells[index], q, stopped, timed_out.intersection(section))
            cause = _first_error(nb.cells[section_start:index])
            if mark.status == ERROR and cause:
                mark.detail += f" (earlier, in this question's cells: {cause})"
            marks[q.id] = mark
        else:
            marks[q.id] = Mark(MANUAL, 0.0, "an explanation, graded by hand by your instructor")
        section_start = index + 1
    return marks


NOT_RUN = {DIED: "the kernel died before this question was checked",
           TIMEOUT: "an earlier cell ran too long and ignored the interrupt, so this "
                    "question was not checked",
           None: "the grading cell did not run"}


def _mark(cell, question, stopped, section_timed_out):
    """The Mark of an autograded question from its executed grading cell, given why the
    run stopped early (if it did)."""
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if cell.execution_count is None and not errors:
        return Mark(stopped or ERROR, 0.0, NOT_RUN[stopped])
    if not errors:
        return Mark(PASSED, question.points)
    error = errors[0]
    if section_timed_out or error.ename == TIMEOUT_ENAME:
        return Mark(TIMEOUT, 0.0, "a cell of this question ran too long and was interrupted")
    if error.ename == "WrongAnswer":
        return Mark(FAILED, 0.0, error.evalue)
    return Mark(ERROR, 0.0, f"{error.ename}: {error.evalue}".strip())


def _first_error(cells):
    """The first error raised among cells, in the learner's own (solution) cells first, as
    "Name: message" ("" if none)."""
    for cell in sorted(cells, key=lambda c: not notebooks.nbgrader(c).get("solution")):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return f"{output.ename}: {output.evalue}".strip()
    return ""


def _grade_in_worker(path, template_text, exercise, limits):
    """Grade one submission file in a fresh worker process (``adlearn.grading.worker``,
    which sets the limits and starts the kernel); never raises."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _all(exercise, INVALID, f"cannot read the file: {type(exc).__name__}")
    job = json.dumps({"submission": text, "template": template_text, "exercise": exercise.name,
                      "limits": [limits.timeout, limits.memory_mb, limits.cpu_seconds]})
    cells = text.count('"cell_type"') + 2
    deadline = 90 + limits.timeout * (cells + 1)  # startup, then every cell timing out
    for _ in range(2):  # a second try if the worker failed rather than graded (a kernel
        # that did not start, say)
        worker = subprocess.Popen([sys.executable, "-m", "adlearn.grading.worker"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        try:
            out, _ = worker.communicate(job, timeout=deadline)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()
            return _all(exercise, TIMEOUT, f"the whole notebook ran over {deadline:g} s")
        try:
            result = json.loads(out.splitlines()[-1])
        except (IndexError, ValueError):
            result = f"the grader's worker stopped (exit code {worker.returncode})"
        if not isinstance(result, str):
            return {qid: Mark(*mark) for qid, mark in result.items()}
    return _all(exercise, ERROR, result)


# the grader's module, or a new meaning for check: def check, check = ..., ... as check
_TOUCHES_GRADER = re.compile(r"adlearn\.grading|\bgrading\s+import|\bdef\s+check\b"
                             r"|\bcheck\s*=[^=]|\bas\s+check\b")


def needs_review(text, template):
    """Which of the learner's own cells (not the restored locked ones) touch the grader,
    as "cells 3, 5: ..." ("" if none or if the text is not a notebook). Read, never run."""
    try:
        nb = _read_submission(text)
    except Exception:
        return ""
    locked = {notebooks.nbgrader(c).get("grade_id") for c in template.cells
              if notebooks.nbgrader(c).get("locked")}
    found = [(i + 1, match.group(0)) for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and notebooks.nbgrader(cell).get("grade_id") not in locked
             for match in [_TOUCHES_GRADER.search(cell.source)] if match]
    if not found:
        return ""
    cells = ", ".join(str(i) for i, _ in found)
    return f"cell{'s' if len(found) > 1 else ''} {cells} of the learner's own code touch " \
           f"the grader ({found[0][1].strip()!r}): check the answers by hand"


def _all(exercise, status, detail):
    return {q.id: Mark(status, 0.0, detail) for q in exercise.questions}


# --- many submissions ----------------------------------------------------------------


def submission_files(paths):
    """The notebooks to grade: files as given, folders searched for *.ipynb (sorted)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            found.append(path)
        else:
            raise GradingError(f"no such submission: {path}")
    if not found:
        raise GradingError("no notebooks to grade in " + ", ".join(map(str, paths)))
    return found


def find_template(name_or_path, root=None):
    """The exercise and its student notebook, from an exercise name or the notebook's path."""
    path = Path(name_or_path)
    if path.suffix == ".ipynb":
        if not path.exists():
            raise GradingError(f"no such notebook: {path}")
        name = path.stem
    else:
        name = name_or_path
        path = notebooks.student_path(root or notebooks.default_root(), name)
    exercise = find_exercise(name)
    template = notebooks.read(path)
    notebooks.validate(template, exercise)
    return exercise, template


def grade(exercise, template, paths, jobs=1, limits=Limits()):
    """Grade every submission (several at a time); a Grade per submission, in order."""
    import nbformat

    template_text = nbformat.writes(template)
    files = submission_files(paths)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = pool.map(lambda p: _grade_in_worker(p, template_text, exercise, limits),
                           files)
        return [Grade(str(p), marks, _review(p, template))
                for p, marks in zip(files, results)]


def _review(path, template):
    try:
        return needs_review(Path(path).read_text(encoding="utf-8"), template)
    except (OSError, UnicodeDecodeError):
        return ""


def write_csv(grades, exercise, path):
    """One row per submission: points and status per question, the total; atomically."""
    header = ["submission", "total", "possible"]
    for q in exercise.questions:
        header += [q.id, f"{q.id} status"]
    header.append("review")
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for g in grades:
                row = [g.submission, _points(g.total), _points(exercise.possible)]
                for q in exercise.questions:
                    mark = g.marks[q.id]
                    row += ["" if mark.status == MANUAL else _points(mark.points), mark.status]
                writer.writerow(row + [g.review])
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _points(x):
    return f"{x:g}"


def feedback_text(grade, exercise):
    """A learner's feedback: each question's status, points and hint, in markdown."""
    lines = [f"# {exercise.title}: feedback", "", f"Submission: `{grade.submission}`", "",
             f"Autograded score: {_points(grade.total)} of {_points(exercise.possible)}", ""]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        score = "" if mark.status == MANUAL else f" ({_points(mark.points)} of {_points(q.points)})"
        detail = mark.detail[:1].upper() + mark.detail[1:] if mark.status != PASSED else ""
        lines.append(f"- **{q.id}**: {mark.status}{score}" + (f". {detail}" if detail else ""))
    return "\n".join(lines) + "\n"


def write_feedback(grades, exercise, folder):
    """One markdown file per submission in folder, named after the submission's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    common = os.path.commonpath([os.path.abspath(g.submission) for g in grades])
    for g in grades:
        relative = os.path.relpath(os.path.abspath(g.submission), os.path.dirname(common)
                                   if len(grades) == 1 else common)
        name = relative.removesuffix(".ipynb").replace(os.sep, "__") + ".md"
        (folder / name).write_text(feedback_text(g, exercise), encoding="utf-8")
