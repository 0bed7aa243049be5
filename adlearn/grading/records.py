"""The record of a grading run: every finished grade, one JSON line each, appended as it
comes (``grades.jsonl`` beside ``grades.csv``), so that a grader stopped or killed midway
loses nothing and ``--resume`` grades only the rest."""

import json
from pathlib import Path

from ..errors import GradingError
from .marks import Grade, read_mark
from .submissions import current_hash


class Record:
    """The grades of one exercise's run, on disk as they come. With resume, the grades
    already there are read back; a submission whose text has not changed since (the
    same hash) and that the grader did not fail on is not graded again. The first line
    names the exercise."""

    def __init__(self, exercise, path, resume=False):
        self.exercise, self.path, self.grades = exercise, Path(path), {}
        if resume and self.path.is_file():
            self._read()
            self.file = open(self.path, "a", encoding="utf-8")
            if self.path.read_bytes()[-1:] not in (b"", b"\n"):  # a line cut by a kill
                self.file.write("\n")
        else:
            self.file = open(self.path, "w", encoding="utf-8")
            self._write({"exercise": exercise.name})

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

    def known(self, path):
        """The recorded grade of the submission at path, if its text is unchanged and
        the grader did not fail on it."""
        grade = self.grades.get(str(path))
        if grade is None or grade.graders_fault or not grade.sha256:
            return None
        return grade if grade.sha256 == current_hash(path) else None

    def add(self, grade):
        self.grades[grade.submission] = grade
        self._write({"submission": grade.submission, "sha256": grade.sha256,
                     "marks": {q: m.wire() for q, m in grade.marks.items()}})

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


def read_exercise_name(path):
    """The exercise a record names ("" if there is no record to read at path)."""
    try:
        with open(path, encoding="utf-8") as f:
            return str(json.loads(f.readline())["exercise"])
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
        return ""


def record_path(output):
    """Where the record of a CSV's grades is kept: grades.csv → grades.jsonl."""
    return Path(output).with_suffix(".jsonl")
