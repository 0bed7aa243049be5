"""The class roster: who each submission is (``adlearn grade ... --roster roster.csv``).

A roster is a CSV file with a header line. Its columns (in any order):

- ``folder``: the name of the folder a student's notebook was collected into
  (``submissions/alice/finite_differences.ipynb`` is in the folder ``alice``);
- ``id``: the student's id (the one the grades are exported under);
- ``name`` and ``email`` (optional);
- ``submitted`` (optional): when the student handed it in, as an LMS export gives it
  (ISO 8601: ``2026-12-20T22:10``, ``2026-12-20T22:10:00Z``); without it, a
  submission's time is its file's modification time (see late.py).

``Roster.find`` is the one lookup from a submission to its student.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import GradingError
from .late import parse_time

COLUMNS = ("folder", "id", "name", "email", "submitted")
REQUIRED = ("folder", "id")


@dataclass(frozen=True)
class Student:
    """One line of the roster: the student's id, name and email, the folder their work
    is in, and when they handed it in (None: the file's time is used)."""

    id: str
    name: str = ""
    email: str = ""
    folder: str = ""
    submitted: object = None  # an aware datetime, or None


class Roster:
    """The students of a roster, by the folder their submissions are in."""

    def __init__(self, students, path="roster"):
        self.students, self.path = list(students), Path(path)
        self.by_folder = {s.folder: s for s in self.students}

    def find(self, submission):
        """The Student whose folder holds the submission (a path), or None."""
        return self.by_folder.get(Path(submission).parent.name)

    def missing(self, submissions):
        """(the submissions no student's folder holds, the students with no submission)."""
        found = {Path(p).parent.name for p in submissions}
        return ([p for p in submissions if self.find(p) is None],
                [s for s in self.students if s.folder not in found])


def read_roster(path):
    """The Roster in the CSV file at path; GradingError naming the file and the line for
    one that is not a roster (no header, a missing column, a folder or an id given
    twice, a time that is not one)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise GradingError(f"--roster {path}: cannot read it as UTF-8 text "
                           f"({getattr(exc, 'strerror', None) or exc})") from None
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise GradingError(f"--roster {path}: not a CSV file ({exc})") from None
    header = [h.strip().lower() for h in lines[0]] if lines else []
    lacking = [c for c in REQUIRED if c not in header]
    if lacking:
        raise GradingError(f"{path}, line 1: the roster's header needs the columns "
                           f"{', '.join(REQUIRED)} (and may have {', '.join(COLUMNS[2:])}); "
                           f"it has no {', '.join(lacking)}")
    students, lines_of = [], {"folder": {}, "id": {}}
    for number, line in enumerate(lines[1:], 2):
        if not any(field.strip() for field in line):
            continue
        where = f"{path}, line {number}"
        if len(line) != len(header):
            raise GradingError(f"{where}: {len(line)} fields, not the {len(header)} of "
                               "the header")
        fields = {h: v.strip() for h, v in zip(header, line)}
        for key, seen in lines_of.items():
            if not fields[key]:
                raise GradingError(f"{where}: every student needs a folder and an id")
            if fields[key] in seen:
                raise GradingError(f"{where}: the {key} {fields[key]!r} is on line "
                                   f"{seen[fields[key]]} too")
            seen[fields[key]] = number
        submitted = fields.get("submitted")
        students.append(Student(
            fields["id"], fields.get("name", ""), fields.get("email", ""), fields["folder"],
            parse_time(submitted, f"{where}: submitted") if submitted else None))
    return Roster(students, path)
