"""The record of a grading run: every finished grade, one JSON line each, appended as it
comes (``grades.jsonl`` beside ``grades.csv``), so that a grader stopped or killed midway
loses nothing and ``--resume`` grades only the rest.

Its first line names the exercise and the course folder it was graded from (so that
``report`` and ``--resume`` need no ``--course``); each grade's line carries the hash of
the question table that judged it, so a grade judged by a table changed since is graded
again."""

import json
from pathlib import Path

from ..errors import GradingError
from .marks import Grade, read_mark
from .course import table_hash
from .submissions import current_hash


class Record:
    """The grades of one exercise's run, on disk as they come. With resume, the grades
    already there are read back; a submission whose text has not changed since (the
    same hash), that the grader did not fail on and that the same question table judged
    is not graded again. course: the course folder, recorded in the first line with the
    exercise (its question table's hash goes with each grade)."""

    def __init__(self, exercise, path, resume=False, course=None):
        self.exercise, self.path, self.grades, self.tables = exercise, Path(path), {}, {}
        self.table = table_hash(course, exercise.name) if course else ""
        if resume and self.path.is_file():
            self._read()
            self.file = open(self.path, "a", encoding="utf-8")
            if self.path.read_bytes()[-1:] not in (b"", b"\n"):  # a line cut by a kill
                self.file.write("\n")
        else:
            self.file = open(self.path, "w", encoding="utf-8")
            self._write({"exercise": exercise.name}
                        | ({"course": str(Path(course).resolve())} if course else {}))

    def _read(self):
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            name = json.loads(lines[0])["exercise"]
        except (IndexError, ValueError, TypeError, KeyError):
            raise GradingError(f"--resume: {self.path} is not a record of adlearn grade") from None
        if name != self.exercise.name:
            raise GradingError(f"--resume: {self.path} records the exercise {name!r}, "
                               f"not {self.exercise.name!r}; give another -o")
        for line in lines[1:]:
            grade = read_grade(line, self.exercise)
            if grade:
                self.grades[grade.submission] = grade  # the latest line of each
                self.tables[grade.submission] = json.loads(line).get("table", "")

    def judged_by_another_table(self, path):
        """Whether the submission at path was recorded as judged by a question table
        other than the one of this run (a reference changed since)."""
        return str(path) in self.grades and self.tables.get(str(path), "") != self.table

    def known(self, path):
        """The recorded grade of the submission at path, if its text is unchanged, the
        grader did not fail on it and the same question table judged it."""
        grade = self.grades.get(str(path))
        if (grade is None or grade.graders_fault or not grade.sha256
                or self.judged_by_another_table(path)):
            return None
        return grade if grade.sha256 == current_hash(path) else None

    def add(self, grade):
        self.grades[grade.submission] = grade
        self.tables[grade.submission] = self.table
        self._write({"submission": grade.submission, "sha256": grade.sha256,
                     "marks": {q: m.wire() for q, m in grade.marks.items()}}
                    | ({"table": self.table} if self.table else {}))

    def _write(self, entry):
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


def read_grade(line, exercise):
    """A Grade from a record's line, if it is whole and marks every question."""
    try:
        entry = json.loads(line)
        marks = {q.id: read_mark(entry["marks"][q.id], q) for q in exercise.questions}
        grade = Grade(str(entry["submission"]), marks, str(entry["sha256"]))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return grade if all(marks.values()) else None


def recorded_course(path):
    """The course folder a record names ("" if there is no record at path, or it names
    none)."""
    try:
        with open(path, encoding="utf-8") as f:
            return str(json.loads(f.readline()).get("course", ""))
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError):
        return ""


def record_path(output):
    """Where the record of a CSV's grades is kept: grades.csv → grades.jsonl."""
    return Path(output).with_suffix(".jsonl")
