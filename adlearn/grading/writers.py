"""What the instructor reads after grading: the CSV, each learner's feedback and the
written answers, collected per question.

A submission's name is whatever its file system allows: bytes that are not UTF-8 (a
Latin-1 ``résumé.ipynb`` from a Windows zip), newlines, quotes, markdown. It is written
escaped (``submissions.shown``); a file named after it stays within the file system's 255 bytes
(``file_names``); and what one learner wrote can neither end its own block of the
collected answers nor start another's (``fenced``). One file that cannot be written
(a full disk, say) is reported and the others are still written.
"""

import csv
import hashlib
import os
import re
import tempfile
import urllib.parse
from pathlib import Path

from .marks import MANUAL, STATUSES
from .submissions import shown

NAME_BYTES = 255 - len(".md")  # a file name's limit on Linux, macOS and Windows


def points(x):
    return f"{x:g}"


def in_points(x):
    """x points, in words: "1 point", "2.5 points"."""
    return f"{points(x)} point{'' if x == 1 else 's'}"


# --- the CSV ---------------------------------------------------------------------------


def csv_header(exercise):
    header = ["submission", "total", "possible"]
    for q in exercise.questions:
        header += [q.id, f"{q.id} status"] + ([f"{q.id} mistake"] if q.autograded else [])
    return header


def csv_row(grade, exercise):
    row = [shown(grade.submission), points(grade.total), points(exercise.possible)]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        if q.autograded:
            row += [points(mark.points), mark.status, mark.mistake or ""]
        else:
            row += ["", mark.status]
    return row


def write_csv(grades, exercise, path):
    """One row per submission: points and status per question, the total; atomically."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(csv_header(exercise))
            for g in grades:
                writer.writerow(csv_row(g, exercise))
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


# --- one file per learner ----------------------------------------------------------------


def relative_names(grades):
    """Each submission's whole path relative to the folder they share, without .ipynb."""
    paths = [os.path.abspath(g.submission) for g in grades]
    common = os.path.commonpath(paths) if paths else ""
    if len(paths) == 1:
        common = os.path.dirname(common)
    return [os.path.relpath(p, common).removesuffix(".ipynb") for p in paths]


def file_names(grades):
    """Each submission's name for its own files: its relative name, escaped (so
    alice/x.ipynb and alice__x.ipynb cannot collide); a name too long for a file is cut
    and ends with a hash of the whole."""
    return [_within_limit(urllib.parse.quote(name, safe="", errors="surrogateescape"))
            for name in relative_names(grades)]


def _within_limit(name):
    if len(name) <= NAME_BYTES:  # quoted: ASCII, a byte a character
        return name
    digest = hashlib.sha256(name.encode("ascii")).hexdigest()[:16]
    head = name[:NAME_BYTES - len(digest) - 1]
    head = re.sub(r"%[0-9A-F]?$", "", head)  # not half an escape
    return f"{head}-{digest}"


def _write_each(files, say):
    """Write each (path, text); a file that cannot be written is said, and the rest are
    still written. The paths that could not be written."""
    failed = []
    for path, text in files:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            failed.append(path)
            say(f"could not write {shown(str(path))}: {exc.strerror or exc}")
    return failed


def feedback_text(grade, exercise, name=None):
    """A learner's feedback: each question's status, points and hint, in markdown. The
    submission is named by name (its path relative to the class's folder; by default its
    file's name), never by a path of the grader's machine."""
    name = name or os.path.basename(grade.submission).removesuffix(".ipynb")
    lines = [f"# {exercise.title}: feedback", "",
             f"Submission: {code_span(shown(name))}", "",
             f"Autograded score: {points(grade.total)} of {points(exercise.possible)}", ""]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        score = "" if not q.autograded else f" ({points(mark.points)} of {points(q.points)})"
        detail = mark.detail[:1].upper() + mark.detail[1:]  # a passed one's: a cell timed out
        if STATUSES[mark.status].grader:  # its detail is the instructor's (the grader's paths)
            lines.append(f"- **{q.id}**: {mark.status}{score}. The grader failed here, not "
                         "your code: your instructor will grade it again.")
            continue
        lines.append(f"- **{q.id}**: {mark.status}{score}" + (f". {detail}" if detail else ""))
    return "\n".join(lines) + "\n"


def write_feedback(grades, exercise, folder, say=print):
    """One markdown file per submission in folder, named after the submission's path;
    the paths that could not be written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return _write_each([(folder / f"{file}.md", feedback_text(g, exercise, name))
                        for g, file, name in zip(grades, file_names(grades),
                                                 relative_names(grades))], say)


# --- the written answers ------------------------------------------------------------------


def code_span(text):
    """text as a markdown code span: nothing in it is markdown or HTML."""
    ticks = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
    return f"{ticks} {text} {ticks}"


def fenced(text):
    """text as a fenced block whose fence is longer than any run of backticks or tildes
    in it: nothing in it (a heading, an unclosed ``<!--``, a fence) can end the block."""
    longest = max((len(run) for run in re.findall("`+|~+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def answers_text(grades, names, exercise, q):
    """The written answers to question q, each submission's under its name, quoted."""
    lines = [f"# {exercise.title}: {q.id} ({in_points(q.points)}, by hand)", ""]
    if q.prompt:
        lines += [f"Asked: {q.prompt}.", ""]
    for g, name in zip(grades, names):
        mark = g.marks[q.id]
        lines += [f"## {code_span(shown(name))}", "",
                  fenced(mark.text.strip()) if mark.status == MANUAL else f"*({mark.status})*",
                  ""]
    return "\n".join(lines)


def write_answers(grades, exercise, folder, say=print):
    """The written answers, one markdown file per question (graded by hand); the paths
    that could not be written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = relative_names(grades)
    return _write_each([(folder / f"{q.id}.md", answers_text(grades, names, exercise, q))
                        for q in exercise.questions if not q.autograded], say)
