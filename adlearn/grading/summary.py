"""A class's grades, read and summed up: what ``adlearn report`` says, before any HTML.

It reads the CSV that ``adlearn grade`` wrote (and the record beside it, ``grades.jsonl``,
which names the exercise and keeps each mark's detail), loads the exercise's question
table (for the known mistakes' hints and the tutorial sections), and sums the class up:
each question's statuses, the known mistakes that fired, most frequent first, the wrong
answers none explains, the submissions to read by hand, the score distribution.
"""

import csv
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import GradingError
from ..text import counted
from . import course
from .marks import FAILED, PASSED, REVIEW, STATUSES
from .records import record_path, recorded_course
from .submissions import shown
from .writers import csv_header


# --- reading the grades ----------------------------------------------------------------


@dataclass
class Row:
    """One submission's line of the CSV: its total, and each question's status and known
    mistake (its number in the question's ``wrong``; 0: none), with the mark's detail
    from the record ("" without one)."""

    submission: str
    total: float
    statuses: dict
    mistakes: dict
    details: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)  # the whole line, by column


def read_grades(path, root=None):
    """The exercise and a Row per submission of a grades CSV, judged by the question
    tables of the course folder root (by default the one its record names); GradingError,
    saying what is wrong and where, for a file that is not one."""
    path = Path(path)
    if not path.is_file():
        raise GradingError(f"no such grades file: {path}")
    try:
        lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GradingError(f"{path} is not a grades CSV of adlearn grade ({exc})") from None
    if not lines or lines[0][:1] != ["submission"] or "total" not in lines[0]:
        raise GradingError(f"{path} is not a grades CSV of adlearn grade (its first line "
                           "should begin submission,student,...)")
    header, details = lines[0], _record_details(record_path(path))
    root = root or recorded_course(record_path(path)) or None
    exercise = _exercise_of(header, details.pop(None, ""), root, path)
    rows = [_row(line, number, exercise, path) for number, line in enumerate(lines[1:], 2)
            if line]
    for row in rows:
        row.details = details.get(row.submission, {})
    return exercise, rows


def _record_details(path):
    """From the record beside the CSV: {None: the exercise's name, submission: {question:
    detail}} (the latest line of each submission); {} if there is none to read."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        found = {None: str(json.loads(lines[0])["exercise"])}
    except (OSError, UnicodeDecodeError, ValueError, IndexError, TypeError, KeyError):
        return {}
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            found[shown(str(entry["submission"]))] = {str(q): str(m.get("detail", ""))
                                               for q, m in entry["marks"].items()}
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # a line cut short by a killed run
    return found


def _exercise_of(header, name, root, path):
    """The exercise whose CSV columns these are: the one the record names, else the one
    of the course whose columns match."""
    root = Path(root or course.default_root())
    if name:
        exercise = course.exercise(name, root)
        if csv_header(exercise) != header:
            raise GradingError(f"{path}: its columns are not those of the exercise {name} "
                               f"that {record_path(path).name} names (its questions now: "
                               f"{', '.join(q.id for q in exercise.questions)})")
        return exercise
    matches = [e for e in (course.exercise(n, root) for n in course.names(root))
               if csv_header(e) == header]
    if len(matches) != 1:
        which = ("no exercise" if not matches else
                 "several exercises (" + ", ".join(e.name for e in matches) + ")")
        raise GradingError(f"{path}: its columns match {which} in {root}, and there is no "
                           f"{record_path(path).name} beside it to name the exercise "
                           "(give --course, the course folder it was graded from)")
    return matches[0]


def _row(line, number, exercise, path):
    where = f"{path}, line {number}"
    header = csv_header(exercise)
    if len(line) != len(header):
        raise GradingError(f"{where}: {counted(len(line), 'field')}, not the {len(header)} "
                           "of the header")
    fields = dict(zip(header, line))
    try:
        total = float(fields["total"])
    except ValueError:
        raise GradingError(f"{where}: the total {fields['total']!r} is not a number") from None
    if not math.isfinite(total):
        raise GradingError(f"{where}: the total {fields['total']!r} is not a number")
    statuses, mistakes = {}, {}
    for q in exercise.questions:
        status = fields[f"{q.id} status"]
        if status not in STATUSES:
            raise GradingError(f"{where}: {q.id}'s status {status!r} is not one of "
                               f"{', '.join(STATUSES)}")
        mistake = fields.get(f"{q.id} mistake", "")
        if mistake and not (mistake.isdigit() and 1 <= int(mistake) <= len(q.wrong)):
            raise GradingError(f"{where}: {q.id}'s mistake {mistake!r} is not the number of "
                               f"a known mistake (it has "
                               f"{counted(len(q.wrong), 'known mistake')})")
        statuses[q.id], mistakes[q.id] = status, int(mistake or 0)
    return Row(fields["submission"], total, statuses, mistakes, fields=fields)


# --- what the class got wrong ----------------------------------------------------------


@dataclass
class Misconception:
    """A known mistake that fired: its question, its number in the question's ``wrong``,
    and the submissions that made it."""

    question: object
    number: int
    submissions: list

    @property
    def hint(self):
        return self.question.wrong[self.number - 1].hint


@dataclass
class QuestionSummary:
    """One question across the class: how many marks of each status, and its known
    mistakes that fired (most frequent first), and the wrong answers none explains (the
    submissions, and what each returned, as its mark's detail says: "" if unknown)."""

    question: object
    statuses: Counter
    mistakes: list
    unexplained: list
    returned: list = field(default_factory=list)

    @property
    def pass_rate(self):
        """The share of the submissions that passed it (0 to 1; 0 for no submission)."""
        return self.statuses[PASSED] / max(sum(self.statuses.values()), 1)

    @property
    def wrong_answers(self):
        """What the wrong answers none explains returned, each with how many returned it,
        most frequent first ("" for those the record does not say)."""
        return Counter(self.returned).most_common()


RETURNED = re.compile(r"\((on .+ your code returned .+|your code gave .+)\)$", re.S)


def returned(detail):
    """What a wrong answer returned, as its mark's detail says it ("" if it does not):
    "on f(x=1) your code returned 0.5" or "your code gave h_best = 0.1"."""
    found = RETURNED.search(detail)
    return found.group(1) if found else ""


@dataclass
class Summary:
    """What the report says about a class: the exercise, a Row per submission, and
    what follows from them."""

    exercise: object
    rows: list

    @cached_property
    def questions(self):
        return [_question_summary(q, self.rows) for q in self.exercise.questions]

    @property
    def misconceptions(self):
        """Every known mistake that fired, most frequent first (ties in question order)."""
        found = [m for s in self.questions for m in s.mistakes]
        return sorted(found, key=lambda m: -len(m.submissions))

    @property
    def statuses(self):
        """For each status that occurs: how many marks have it, and in how many submissions."""
        marks = Counter(s for row in self.rows for s in row.statuses.values())
        submissions = Counter(s for row in self.rows for s in set(row.statuses.values()))
        return [(s, marks[s], submissions[s]) for s in STATUSES if marks[s]]

    @property
    def to_read(self):
        """(submission, reasons) of each submission with a status to review (the grader's
        failures among them): each reason names the questions, the status and the
        mark's detail."""
        found = []
        for row in self.rows:
            reasons = {}
            for qid, status in row.statuses.items():
                if status in REVIEW:
                    reasons.setdefault((status, row.details.get(qid, "")), []).append(qid)
            if reasons:
                found.append((row.submission, [
                    f"{', '.join(qids)}: {status}" + (f" ({detail})" if detail else "")
                    for (status, detail), qids in reasons.items()]))
        return found


def _question_summary(q, rows):
    statuses = Counter(row.statuses[q.id] for row in rows)
    by_mistake = {}
    for row in rows:
        if row.statuses[q.id] == FAILED and row.mistakes[q.id]:
            by_mistake.setdefault(row.mistakes[q.id], []).append(row.submission)
    mistakes = sorted((Misconception(q, n, subs) for n, subs in by_mistake.items()),
                      key=lambda m: (-len(m.submissions), m.number))
    wrong = [row for row in rows if row.statuses[q.id] == FAILED and not row.mistakes[q.id]]
    return QuestionSummary(q, statuses, mistakes, [row.submission for row in wrong],
                           [returned(row.details.get(q.id, "")) for row in wrong])


def score_bins(totals, possible):
    """The histogram's bars as (label, count): one per score when the scores are whole
    numbers up to 30, else ten equal ranges from 0 to the points possible."""
    if all(float(t).is_integer() for t in totals) and float(possible).is_integer() \
            and possible <= 30:
        counts = Counter(int(t) for t in totals)
        return [(str(k), counts[k]) for k in range(int(max(possible, *totals, 0)) + 1)]
    top = max(possible, *totals, 1e-9)
    width = top / 10
    counts = Counter(min(int(t / width), 9) for t in totals)
    return [(f"{k * width:.3g}–{(k + 1) * width:.3g}", counts[k]) for k in range(10)]
