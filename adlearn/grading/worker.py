"""The worker process that grades submissions: ``python -m adlearn.grading.worker FOLDER``.

It reads, as JSON lines on stdin, what every submission of a command shares (the student
version, the course folder, the exercise's name, the limits, whether to sandbox), then
one submission's text a line. For each one it puts the notebook in order (ordering.py),
runs the learner's cells in a fresh kernel, probes the answers at each grading cell and
judges them here, and writes each question's mark as one JSON line on stdout as soon as
it is decided, then ``{"done": true}``. Each kernel (kernel.py) has a private folder of
its own (in FOLDER; run by root in a mount namespace of its own, a tmpfs of
``Limits.disk_mb``, so that it can fill only itself) and is started one submission ahead
(unless the grader says none will follow), so that it starts up while the worker grades
the one before; nothing of one submission's kernel or folder is left for the next. Each
submission comes with its time budget: the worker stops its cells when the budget is
nearly spent and marks the questions left "out of time". The worker ends when its stdin
does, or at once when its parent, the grader, dies. See batch.py for the whole picture.
"""

import ast
import ctypes
import functools
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

from . import notebooks  # first: it imports nbformat (see there)
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from . import course, probe, rules, sandbox
from .kernel import QUIET, Kernel
from .limits import Limits
from .marks import (DIED, DYNAMIC, ERROR, FAILED, GRADER_ERROR, INVALID, MANUAL,
                    METADATA_LOST, MISSING, NOT_ANSWERED, OUT_OF_TIME, PASSED, STATUSES, TIMEOUT, Mark)
from .ordering import metadata_lost, place_by_definitions, read_submission, restore_locked_cells
from .variants import for_variant

TIMEOUT_ENAME = "CellTimeout"
PR_SET_PDEATHSIG = 1  # prctl's option: the signal this process gets when its parent dies


def emit(qid, mark):
    print(json.dumps({"question": qid, **mark.wire()}), flush=True)


class _KernelStuck(Exception):
    """A kernel ignored the interrupt after a timeout: nothing more can run in it."""


class _OutOfTime(Exception):
    """The submission's time budget is spent: nothing more runs in its kernel."""


class Run:
    """One submission's kernel: runs cells in order, each within the cell timeout and
    what is left of the budget (until the monotonic time deadline), says which timed
    out, and probes."""

    def __init__(self, nb, kernel, deadline):
        self.timed_out, self.deadline, self.limits = False, deadline, kernel.limits
        self.client = NotebookClient(
            nb, km=kernel.km, kernel_name="python3", timeout_func=self._cell_timeout,
            startup_timeout=60, interrupt_on_timeout=True, allow_errors=True, iopub_timeout=4,
            shutdown_kernel="immediate",
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "over the time allowed",
                              "traceback": []},
            on_cell_executed=self._on_cell_executed,
            resources={"metadata": {"path": kernel.folder}})
        self.client.log.disabled = True  # timeouts are reported per question, not as logs

    def left(self):
        return self.deadline - time.monotonic()

    @functools.cached_property
    def parsed(self):
        """The notebook's cells, read for the rules (learner_cells): once a submission."""
        return learner_cells(self.client.nb)

    def _cell_timeout(self, cell):
        """A cell's seconds: the cell timeout, or what is left of the budget if less."""
        return max(min(self.limits.timeout, self.left()), 0.01)

    async def _on_cell_executed(self, cell, cell_index, execute_reply):
        if execute_reply["content"].get("ename") != TIMEOUT_ENAME:
            return
        self.timed_out = True
        if self.left() <= 0:
            raise _OutOfTime()
        try:  # an interrupted kernel answers at once; one that caught the interrupt cannot
            await self.client.kc.kernel_info(reply=True, timeout=5)
        except TimeoutError:
            raise _KernelStuck() from None

    def execute(self, cell, index):
        if self.left() <= 0:
            raise _OutOfTime()
        self.client.execute_cell(cell, index)

    def probe(self, question, cases, index):
        """The result of probe.run for question on cases (None if it gave none)."""
        rule = question.ruled
        text = json.dumps({"name": question.answer, "kind": question.probe_kind,
                           "cases": [case for _, case in cases],
                           "guard": list(rule.ruled_out) if rule else []})
        cell = nbformat.v4.new_code_cell(
            f'__import__("adlearn.grading.probe", fromlist=["run"]).run(globals(), {text!r})')
        self.execute(cell, index)
        for output in cell.outputs:
            if output.get("output_type") == "execute_result":
                try:
                    return json.loads(ast.literal_eval(output["data"]["text/plain"]))
                except (KeyError, ValueError, SyntaxError, TypeError, MemoryError):
                    return None
        return None


def grade_notebook(text, template, exercise, kernel, say=emit, deadline=None):
    """Grade one submission given as text in kernel (a Kernel, used up), its cells
    stopped at the monotonic time deadline: say(question id, Mark) for each question as
    soon as its mark is decided."""
    try:
        nb = read_submission(text)
    except Exception as exc:
        for q in exercise.questions:
            say(q.id, Mark(INVALID, 0.0, f"not a notebook: {exc}"))
        return
    if metadata_lost(nb, template):
        place_by_definitions(nb, template, exercise)
        say = _flagged_lost(say)
    else:
        restore_locked_cells(nb, template)
    cells = {}
    for i, cell in enumerate(nb.cells):
        cells.setdefault(notebooks.nbgrader(cell).get("grade_id"), i)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for q in exercise.questions:
        if not q.autograded:
            say(q.id, _written(nb.cells[cells[q.id]] if q.id in cells else None))
    questions = {q.id: q for q in exercise.questions if q.autograded}
    copy = Path(kernel.folder) / "submission.ipynb"  # the kernel's own copy
    copy.write_text(json.dumps(nb), encoding="utf-8")
    sandbox.give(copy, kernel.user)
    _run(nb, questions, kernel, say, deadline if deadline is not None else float("inf"))


def _flagged_lost(say):
    """say, with every question the learner did not pass marked "metadata lost" for a
    person to read (the grader's own failures stay what they are)."""
    def flagged(qid, mark):
        if mark.status != PASSED and not STATUSES[mark.status].grader:
            mark = Mark(METADATA_LOST, 0.0, "the notebook's cells lost their nbgrader "
                        "metadata, so the grader looked for the answer by what the code "
                        f"defines: {mark.status}" + (f", {mark.detail}" if mark.detail else ""))
        say(qid, mark)
    return flagged


def _run(nb, questions, kernel, say, deadline):
    run = Run(nb, kernel, deadline)
    left = dict(questions)
    section = []  # the cells since the last grading cell: the current question's
    why = None
    try:
        with run.client.setup_kernel(cleanup_kc=True, **QUIET):
            for index, cell in enumerate(nb.cells):
                qid = notebooks.nbgrader(cell).get("grade_id")
                if qid in left and cell.cell_type == "code":
                    run.timed_out = False
                    mark = _probe_mark(run, left[qid], index, section)
                    say(qid, mark)
                    del left[qid]
                    section = []
                elif cell.cell_type == "code":
                    run.timed_out = False
                    run.execute(cell, index)
                    if run.timed_out:
                        cell["adlearn_timed_out"] = True
                    section.append(cell)
    except _OutOfTime:
        why = Mark(OUT_OF_TIME, 0.0, "the notebook used up its time budget before this "
                                     "question was checked")
    except DeadKernelError:
        why = Mark(DIED, 0.0, "the kernel died before this question was checked")
    except _KernelStuck:
        why = Mark(TIMEOUT, 0.0, "an earlier cell ran too long and ignored the interrupt, so "
                                 "this question was not checked")
    except MemoryError:  # what the kernel sent: the worker's own needs are small
        why = Mark(ERROR, 0.0, "the notebook's output was too large to collect, so this "
                               "question was not checked")
    except Exception as exc:  # a kernel that did not start, a crash in the judge
        why = Mark(GRADER_ERROR, 0.0, f"the grader could not run the notebook: "
                                      f"{type(exc).__name__}: {exc}")
    for q in left.values():
        say(q.id, why or Mark(ERROR, 0.0, "its grading cell was not found"))


def _probe_mark(run, q, index, section):
    """Ask the kernel for q's outputs and judge them here. A cell of the question's that
    ran too long costs the answer nothing if the cell defining the answer ran (it is
    judged all the same, and the mark names the cell and the limit)."""
    cases = q.grading_cases()
    result = run.probe(q, cases, index)
    late = [c for c in section if c.get("adlearn_timed_out")]
    answer = [c for c in section if late and c.cell_type == "code"  # read only then
              and rules.defines(rules.parse_cell(c.source), q.answer)]
    if run.timed_out or late and (not answer or answer[-1] in late):
        where = "the answer" if run.timed_out else _cell_named(run.client.nb, late[-1])
        return Mark(TIMEOUT, 0.0, f"{where} ran longer than the cell timeout of "
                                  f"{run.limits.timeout:g} s and was interrupted")
    mark = _judged(run, q, result, cases, section)
    if late:
        mark.detail = "; ".join(filter(None, [mark.detail, (
            f"{_cell_named(run.client.nb, late[0])} ran longer than the cell timeout of "
            f"{run.limits.timeout:g} s and was interrupted; the answer was judged all the "
            "same")]))
    return mark


def _cell_named(nb, cell):
    """A cell as the learner finds it: its number in the notebook and its first line."""
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    number = next(i for i, c in enumerate(nb.cells, 1) if c is cell)
    return f"cell {number} (`{first.strip()[:60]}`)"


def _judged(run, q, result, cases, section):
    """The mark of q's answer, from the probe's result on cases."""
    verdict = q.judge_result(result, cases)
    ruled_out, dynamic = learner_uses(run.client.nb, q, section, q.ruled and run.parsed)
    if ruled_out:
        return Mark(FAILED, 0.0, "Hint: " + rules.hint(q.answer, q.ruled, ruled_out[0]))
    if verdict.passed:
        return Mark(DYNAMIC, q.points, rules.flag(dynamic)) if dynamic else Mark(PASSED, q.points)
    cause = _first_error(section)
    if isinstance(result, dict) and result.get("missing") and cause:
        if cause.startswith("NotImplementedError") or f"'{q.answer}' is not defined" in cause:
            return Mark(NOT_ANSWERED, 0.0, verdict.detail)
        return Mark(ERROR, 0.0, f"`{q.answer}` was never defined: in this question's "
                                f"cells, {cause}")
    detail = verdict.detail
    if q.kind == "value" and not verdict.mistake and verdict.status == FAILED:
        outcome = (result.get("outcomes") or [{}])[0] if isinstance(result, dict) else {}
        if isinstance(outcome, dict) and "value" in outcome:  # what no known mistake explains
            detail += f" (your code gave {q.answer} = {probe.short(outcome['value'])})"
    return Mark(verdict.status or "failed", 0.0, detail, mistake=verdict.mistake)


def learner_cells(nb):
    """Every cell of nb as (source, learner), a notebook whose metadata was lost having
    every cell read as the learner's, and the cells' syntax trees (rules.parse_cell)."""
    cells = [(c.source if c.cell_type == "code" else "",
              bool(notebooks.nbgrader(c).get("solution"))) for c in nb.cells]
    if not any(learner for _, learner in cells):
        cells = [(source, True) for source, _ in cells]
    return cells, [rules.parse_cell(source) for source, _ in cells]


def learner_uses(nb, q, section, parsed=None):
    """What q's rule rules out, and the dynamic accesses, in the learner's code of nb
    (rules.uses): from the solution cells among the question's cells (section), else
    the solution cells that define its answer. ([], []) for a question without a rule.
    parsed: learner_cells(nb), if read already (once a submission, for all its rules)."""
    if q.ruled is None:
        return [], []
    cells, trees = parsed or learner_cells(nb)
    ids = {id(c) for c in section}
    start = ([i for i, c in enumerate(nb.cells) if id(c) in ids and cells[i][1]]
             or [i for i, (_, learner) in enumerate(cells)
                 if learner and rules.defines(trees[i], q.answer)])
    return rules.uses(cells, start, q.ruled, trees=trees)


def _first_error(cells):
    """The first error raised among cells, in the learner's own (solution) cells first, as
    "Name: message" ("" if none)."""
    for cell in sorted(cells, key=lambda c: not notebooks.nbgrader(c).get("solution")):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename')}: {output.get('evalue')}".strip()
    return ""


def _written(cell):
    """The mark of a question answered in words, from its cell (None: deleted)."""
    if cell is None:
        return Mark(MISSING, 0.0, "the cell for this answer was deleted")
    text = cell.get("source", "")
    if not text.strip() or text.strip() == notebooks.TEXT_STUB:
        return Mark(NOT_ANSWERED, 0.0, "the answer was left as " + repr(notebooks.TEXT_STUB))
    return Mark(MANUAL, 0.0, "an explanation, graded by hand by your instructor", text)


def variant_template(template, exercise, variant):
    """The student version as a learner of the variant got it (their numbers in its
    text and locked cells, which the grader restores from it)."""
    if not variant:
        return template
    return nbformat.from_dict(for_variant(template, exercise.replacements(variant)))


def end_with_parent():
    """Have the kernel send this process SIGKILL when its parent, the grader, dies (even
    killed outright); its kernels die with it. (If the grader died before this, end now.)"""
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def main():
    end_with_parent()
    setup = json.loads(sys.stdin.readline())
    limits = Limits(*setup["limits"])
    # what a kernel sends cannot exhaust this process's memory
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * 2**20,) * 2)
    where = sys.argv[1]  # the folder for the kernels' folders
    kernel = Kernel(limits, setup["sandboxed"], where)  # it starts up while the rest loads
    try:
        exercise = course.exercise(setup["exercise"], setup["root"])
        template = nbformat.reads(setup["template"], as_version=4)
        for line in sys.stdin:
            began, entry = time.monotonic(), json.loads(line)
            current = kernel or Kernel(limits, setup["sandboxed"], where)
            kernel = Kernel(limits, setup["sandboxed"], where) if entry["ahead"] else None
            budget = entry["budget"]
            variant = entry.get("variant", 0)  # the learner's (questions.Variants)
            try:  # stop a little before the grader would kill this worker
                grade_notebook(entry["submission"], variant_template(template, exercise,
                                                                     variant),
                               exercise.variant(variant), current,
                               deadline=began + budget - min(5, budget / 4))
            except Exception as exc:  # reported for every question not marked yet
                print(json.dumps({"error": f"the grader failed: {type(exc).__name__}: {exc}"}))
                raise SystemExit(1)
            finally:
                current.close()
            print(json.dumps({"done": True}), flush=True)
    finally:
        if kernel:
            kernel.close()
    sys.stdout.flush()
    os._exit(0)  # all is closed and written: the interpreter's own teardown is not needed


if __name__ == "__main__":
    main()
