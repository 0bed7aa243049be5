"""Points by hand: the written answers count.

``adlearn grade ... --answers DIR`` writes, beside each question's collected answers
(``roundoff.md``), its points sheet (``roundoff.csv``): a CSV with the columns
``student,points,comment`` and a line per submission, which the instructor fills. A
student is named as in the answers file: their roster id, else the submission's path
relative to the folder the submissions share. Only those names go on the sheet, never a
learner's text; a name that a spreadsheet would take for a formula (``=...``) is written
with a ``'`` in front, which reading takes off again. A sheet already there keeps what
was filled in (lines are only added).

``adlearn grade ... --resume --manual DIR`` reads the sheets back: every line with
points becomes that question's mark, ``graded by hand`` with its points and comment, in
the record, the CSV, the feedback and the report. The sheets are read whole before
anything is graded or recorded: points outside 0 to the question's points, an unknown
student or a malformed line end the command with one line naming the file and the line,
and the record stays as it was.
"""

import csv
import io
import math
from dataclasses import replace
from pathlib import Path

from ..errors import GradingError
from .marks import BY_HAND, Mark
from .term import Term
from .writers import _write_each, keys

HEADER = ["student", "points", "comment"]
FORMULA = tuple("=+-@\t\r")  # what makes a spreadsheet read a cell as a formula


def sheet_path(folder, question):
    return Path(folder) / f"{question.id}.csv"


def guarded(name):
    """name as a spreadsheet cell that is never taken for a formula."""
    return "'" + name if name.startswith(FORMULA) else name


def unguarded(cell):
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA) else cell


# --- writing the sheets ------------------------------------------------------------------


def sheet_text(rows):
    """A points sheet of (student, points, comment) rows, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows([guarded(student), points, comment] for student, points, comment in rows)
    return out.getvalue()


def write_sheets(grades, exercise, folder, term=Term(), say=print):
    """A points sheet per question graded by hand, in folder, a line per submission;
    a sheet already there keeps its lines (a malformed one is left as it is, and said).
    The paths that could not be written."""
    names, files, failed = keys(grades, term), [], []
    Path(folder).mkdir(parents=True, exist_ok=True)
    for q in exercise.questions:
        if q.autograded:
            continue
        path = sheet_path(folder, q)
        try:
            kept = _read_lines(path, q, None) if path.exists() else {}
        except GradingError as exc:
            say(f"kept {path} as it is: {exc}")
            failed.append(path)
            continue
        rows = list(kept.values())
        filled = {student for student, _, _ in rows}
        rows += [(name, "", "") for name in names if name not in filled]
        files.append((path, sheet_text(rows)))
    return failed + _write_each(files, say)


# --- reading them back ---------------------------------------------------------------------


def read_sheets(folder, exercise, students):
    """{question id: {student: (points, comment)}} from the points sheets in folder,
    for the students (their names on the sheets) graded; lines without points are
    left out. GradingError, naming the file and the line, for anything else."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"--manual {folder}: no such folder (adlearn grade ... --answers "
                           "DIR writes the points sheets)")
    by_hand = [q for q in exercise.questions if not q.autograded]
    found = {q.id: _points(sheet_path(folder, q), q, set(students))
             for q in by_hand if sheet_path(folder, q).is_file()}
    if not found:
        expected = ", ".join(f"{q.id}.csv" for q in by_hand) or "none: every question of "\
            f"{exercise.name} is autograded"
        raise GradingError(f"--manual {folder}: no points sheet in it (expected: {expected})")
    return found


def _points(path, question, students):
    """The filled lines of one sheet as {student: (points, comment)}."""
    found = {}
    for number, (student, given, comment) in _read_lines(path, question, students).items():
        if not given.strip():
            continue
        where = f"{path}, line {number}"
        try:
            value = float(given)
        except ValueError:
            raise GradingError(f"{where}: the points {given!r} are not a number") from None
        if not (math.isfinite(value) and 0 <= value <= question.points):
            raise GradingError(f"{where}: {given} points is outside 0 to "
                               f"{question.points:g}, the points of {question.id}")
        found[student] = (value, comment.strip())
    return found


def _read_lines(path, question, students):
    """The lines of a sheet: {line number: (student, points, comment)}. students: the
    names allowed (None: any)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GradingError(f"{path}: cannot read it as a CSV file of UTF-8 text "
                           f"({getattr(exc, 'strerror', None) or exc})") from None
    if not lines or [h.strip().lower() for h in lines[0]] != HEADER:
        raise GradingError(f"{path}, line 1: a points sheet's header is "
                           f"{','.join(HEADER)}")
    found, seen = {}, {}
    for number, line in enumerate(lines[1:], 2):
        if not any(cell.strip() for cell in line):
            continue
        where = f"{path}, line {number}"
        if len(line) not in (2, 3):
            raise GradingError(f"{where}: {len(line)} fields, not the 3 of "
                               f"{','.join(HEADER)}")
        student, given, comment = unguarded(line[0].strip()), line[1], (line[2:] or [""])[0]
        if students is not None and student not in students:
            raise GradingError(f"{where}: no submission of the student {student!r} was "
                               f"graded (a sheet names students as in {question.id}.md)")
        if student in seen:
            raise GradingError(f"{where}: the student {student!r} is on line "
                               f"{seen[student]} too")
        seen[student] = number
        found[number] = (student, given, comment)
    return found


def apply(grades, exercise, sheets, term=Term()):
    """The grades with the sheets' points: each filled line becomes its question's mark,
    ``graded by hand`` (the answer's text kept). (grades, the grades that changed)."""
    result, changed = [], []
    for grade, name in zip(grades, keys(grades, term)):
        marks = dict(grade.marks)
        for qid, given in sheets.items():
            if name in given:
                value, comment = given[name]
                marks[qid] = Mark(BY_HAND, value, comment, marks[qid].text)
        new = replace(grade, marks=marks) if marks != grade.marks else grade
        result.append(new)
        if new is not grade:
            changed.append(new)
    return result, changed
