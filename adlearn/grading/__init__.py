"""Graded exercises: checks with hints for learners; authoring, batch grading and a
class report for instructors.

In a notebook's grading cell::

    from adlearn.grading import check
    check("finite_differences.central")

The learner's side is ``check.py`` (instant checks from the data the build wrote) and
``probe.py`` (what the learner's code produces, as plain data); ``judge.py`` judges the
outputs, for the learner's check and the grader alike. The instructor's side, driven by
the commands (``commands.py`` wires ``exercise_commands.py``: ``adlearn exercises
new|build``; ``grade_command.py``: ``adlearn grade``; ``report_commands.py``:
``adlearn report``, ``export``, ``gradescope-autograder``):

- authoring: a course folder (``course.py``) holds each exercise's source notebook and
  question table (``questions.py``: references, hidden cases, known wrong answers and
  their hints; ``variants.py``: each learner's own numbers), which never enter the
  package or a kernel; ``exercises new`` starts one from a scaffold, and
  ``notebooks.py`` validates it and builds the student notebook and the check data;
- grading: ``batch.py`` grades a class's submissions (``submissions.py`` finds and
  reads them), each by one function, in a thread pool or on a dask.distributed cluster
  (``--scheduler``; ``cluster.py`` says when a worker is lost, and has the cluster end
  a lost grader's kernels); its workers (``workers.py`` starts and ends them, ``worker.py`` is
  the process itself, ``ordering.py`` puts a notebook's cells in order) run each
  submission in a fresh kernel (``kernel.py``) in a sandbox (``sandbox.py``, with the
  ``limits.py`` limits) and judge its outputs outside it. Each question's mark and its
  status, whose fault it is included, are ``marks.py``'s; ``records.py`` keeps the
  grades to resume from, ``writers.py`` writes the CSV, the feedback and the written
  answers;
- the report: ``summary.py`` reads a class's grades and sums them up, ``report.py``
  writes them as one HTML page of what the class got wrong.
- the term around the grades: whose each submission is (``roster.py``), when it came and
  what lateness costs (``late.py``), a submission's points in all (``term.py``), the
  points given by hand on the written answers' points sheets (``manual.py``), the grades
  exported to Canvas, Moodle or Gradescope (``export.py``) and Gradescope's autograder
  zip (``gradescope.py``).
"""

from .check import check
from .questions import Exercise, Question, Wrong

__all__ = ["check", "Exercise", "Question", "Wrong"]
