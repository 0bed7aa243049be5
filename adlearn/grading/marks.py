"""What the grader says about a question: its status, a Mark, a submission's Grade, and
the one wire format of a mark (the worker's lines, the record's lines and the report read
and write it here, and nowhere else).

Every status says whose it is. Only the learner's own code earns ``failed``, ``error``,
``timeout`` and the like; what the grader, the machine or another submission caused
(a worker killed from outside, a full disk, a crash in the judge, a file the grader could
not read) is ``grader error``: flagged for review, never counted as the learner's answer,
and graded again by ``--resume``. A status a person should look at before the points
stand is ``review``; the CSV, the feedback, the class report and ``--resume`` all read
these two properties from the table below.
"""

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    """A status: its name (as the CSV writes it), what it means in the instructor's
    words, whether the grader caused it (not the learner's code), and whether a person
    should read the submission before its points stand."""

    name: str
    meaning: str
    grader: bool = False
    review: bool = False


PASSED, FAILED, NOT_ANSWERED = "passed", "failed", "not answered"
ERROR, TIMEOUT, OUT_OF_TIME, DIED = "error", "timeout", "out of time", "kernel died"
NO_RESULT, INVALID, MANUAL, MISSING = "no result", "invalid notebook", "manual", "missing"
METADATA_LOST, GRADER_ERROR = "metadata lost", "grader error"
DYNAMIC, BY_HAND = "dynamic access", "graded by hand"
EARNS = (PASSED, DYNAMIC, BY_HAND)  # the statuses that keep the points the answer earned

STATUSES = {s.name: s for s in (
    Status(PASSED, "the answer is right on every test"),
    Status(FAILED, "the answer is wrong on some test"),
    Status(NOT_ANSWERED, "the learner left the question as it was given"),
    Status(ERROR, "the learner's code raised, or never defined the answer", review=True),
    Status(TIMEOUT, "a cell ran longer than the cell timeout and was interrupted",
           review=True),
    Status(OUT_OF_TIME, "the notebook used up its time budget before the question was "
           "checked", review=True),
    Status(DIED, "the kernel died (a crash, or the memory limit) before the question was "
           "checked", review=True),
    Status(NO_RESULT, "the kernel gave no result for the answer (the learner's code changed "
           "how Jupyter shows values, or stopped the kernel)", review=True),
    Status(INVALID, "the file is not a notebook the grader can read", review=True),
    Status(MANUAL, "a written answer, to grade by hand"),
    Status(BY_HAND, "a written answer the instructor graded: the points and the comment "
           "of the points sheet (adlearn grade ... --manual DIR)"),
    Status(MISSING, "the cell for the answer was deleted", review=True),
    Status(METADATA_LOST, "the notebook's cells lost their nbgrader metadata: judged by what "
           "its code defines, to check by hand", review=True),
    Status(DYNAMIC, "the answer passed, but the learner's code reaches names in a way the "
           "grader cannot read (getattr with a computed name, eval, importlib, "
           "sys.modules): to read by hand for a use the question rules out", review=True),
    Status(GRADER_ERROR, "the grader failed, not the learner (a worker killed from outside, "
           "a full disk, a crash in the judge): --resume grades it again", grader=True,
           review=True),
)}
REVIEW = tuple(s for s, status in STATUSES.items() if status.review)


@dataclass
class Mark:
    """One question's result: its status, the points it earned and why (a hint, an
    error); for a written answer, its text; the known mistake it matched (its number
    in the question's ``wrong``, from 1; 0: none), so the class's misconceptions count."""

    status: str
    points: float = 0.0
    detail: str = ""
    text: str = ""
    mistake: int = 0

    def wire(self):
        """The mark as JSON data: a worker's line (with its question) and a record's."""
        return {"status": self.status, "points": self.points, "detail": self.detail,
                "text": self.text, "mistake": self.mistake}


def read_mark(entry, question):
    """A mark from its wire form, checked against its question: None if it is not one
    (an unknown status, points that are not a number); points capped at the question's
    and given only for ``passed``, a mistake only for one of the question's known ones."""
    try:
        points = float(entry.get("points", 0))
    except (TypeError, ValueError, AttributeError):
        return None
    status, mistake = entry.get("status"), entry.get("mistake", 0)
    if status not in STATUSES or not math.isfinite(points):
        return None
    if type(mistake) is not int or not 0 <= mistake <= len(question.wrong) or status != FAILED:
        mistake = 0
    points = min(max(points, 0.0), question.points) if status in EARNS else 0.0
    return Mark(status, points, str(entry.get("detail", ""))[:2000],
                str(entry.get("text", ""))[:20000], mistake)


def read_line(entry, exercise):
    """A worker's line (a mark with its question's id) as (id, Mark), if it marks one of
    the exercise's questions; else None."""
    if not isinstance(entry, dict):
        return None
    q = next((q for q in exercise.questions if q.id == entry.get("question")), None)
    mark = q and read_mark(entry, q)
    return (q.id, mark) if mark else None


@dataclass
class Grade:
    """One submission's result: a Mark per question id, in the exercise's order, and
    the hash of the text graded (so a resumed run knows whether it changed)."""

    submission: str
    marks: dict = field(default_factory=dict)
    sha256: str = ""

    @property
    def total(self):
        return sum(m.points for m in self.marks.values())

    @property
    def graders_fault(self):
        """Whether the grader failed on some question (then ``--resume`` grades it again)."""
        return any(STATUSES[m.status].grader for m in self.marks.values())


def all_marks(exercise, status, detail):
    """The same mark for every question of the exercise."""
    return {q.id: Mark(status, 0.0, detail) for q in exercise.questions}
