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

from .marks import BY_HAND, MANUAL, STATUSES
from .submissions import shown
from .term import Term

NAME_BYTES = 255 - len(".md")  # a file name's limit on Linux, macOS and Windows


def points(x):
    return f"{x:g}"


def in_points(x):
    """x points, in words: "1 point", "2.5 points"."""
    return f"{points(x)} point{'' if x == 1 else 's'}"


# --- the CSV ---------------------------------------------------------------------------


TERM_COLUMNS = ["student", "name", "email", "submitted", "days late", "autograded",
                "by hand", "late penalty", "total", "possible"]


def csv_header(exercise):
    header = ["submission"] + TERM_COLUMNS
    for q in exercise.questions:
        header += [q.id, f"{q.id} status"] + ([f"{q.id} mistake"] if q.autograded else [])
    return header


def csv_row(grade, exercise, scores=None):
    """A grade's row: the submission, its student and lateness, its points (scores: a
    term.Scores; by default without a roster or a deadline), and each question's
    points, status and known mistake."""
    scores = scores or Term().scores(grade, exercise)
    student, late = scores.student, scores.late
    row = [shown(grade.submission), *(
        [student.id, student.name, student.email] if student else ["", "", ""]),
        late.when if late else "", late.days if late and late.days else "",
        points(scores.autograded), "" if scores.by_hand is None else points(scores.by_hand),
        points(scores.penalty) if scores.penalty else "", points(scores.total),
        points(scores.possible)]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        if q.autograded:
            row += [points(mark.points), mark.status, mark.mistake or ""]
        else:
            row += [points(mark.points) if mark.status == BY_HAND else "", mark.status]
    return row


def write_csv(grades, exercise, path, term=Term()):
    """One row per submission: its student and lateness (term: a term.Term), its points,
    and points and status per question; atomically."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(csv_header(exercise))
            for g in grades:
                writer.writerow(csv_row(g, exercise, term.scores(g, exercise)))
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


# --- one file per learner ----------------------------------------------------------------


def relative_names(grades):
    """Each submission's whole path relative to the folder they share, without .ipynb
    (grades: Grades, or the submissions' paths)."""
    paths = [os.path.abspath(getattr(g, "submission", g)) for g in grades]
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


def keys(grades, term=Term()):
    """Each submission's name on the points sheets and in the collected answers: its
    student's id from the roster, else its relative name, escaped (``shown``: text any
    file can hold); grades: Grades, or paths."""
    return [term.student_id(getattr(g, "submission", g)) or shown(name)
            for g, name in zip(grades, relative_names(grades))]


def one_line(text):
    return " ".join(str(text).split())


def feedback_text(grade, exercise, name=None, scores=None):
    """A learner's feedback, in markdown: who (the roster's student, else the
    submission's relative name, by default its file's name: never a path of the grader's
    machine), the exercise, when it came and its late penalty, the points, and each
    question's status, points and hint, or the points by hand and their comment."""
    scores = scores or Term().scores(grade, exercise)
    student, late = scores.student, scores.late
    name = name or os.path.basename(grade.submission).removesuffix(".ipynb")
    who = ("Student: " + (f"{one_line(student.name)} ({code_span(student.id)})"
                          if student.name else code_span(student.id)) if student
           else f"Submission: {code_span(shown(name))}")
    lines = [f"# {exercise.title}: feedback", "", who, "",
             f"Exercise: {code_span(exercise.name)}", ""]
    if late:
        taken = (f": {late.percent:g} % of the points taken ({points(scores.penalty)})"
                 if late.percent else "")
        lines += [f"Submitted {late.when}, " + (
            f"{late.days} day{'' if late.days == 1 else 's'} after the deadline{taken}."
            if late.days else "in time."), ""]
    hand = "" if exercise.possible == scores.possible else "; by hand: " + (
        "not graded yet" if scores.by_hand is None else
        f"{points(scores.by_hand)} of {points(scores.possible - exercise.possible)}")
    lines += [f"Score: {points(scores.total)} of {points(scores.possible)} (autograded "
              f"{points(scores.autograded)} of {points(exercise.possible)}{hand}"
              + (f"; late penalty: -{points(scores.penalty)}" if scores.penalty else "")
              + ")", ""]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        score = (f" ({points(mark.points)} of {points(q.points)})"
                 if q.autograded or mark.status == BY_HAND else "")
        if STATUSES[mark.status].grader:  # its detail is the instructor's (the grader's paths)
            lines.append(f"- **{q.id}**: {mark.status}{score}. The grader failed here, not "
                         "your code: your instructor will grade it again.")
            continue
        if mark.status == BY_HAND:
            detail = f"Comment: {one_line(mark.detail)}" if mark.detail.strip() else ""
        elif mark.status == MANUAL:
            detail = "Your instructor grades this answer by hand."
        else:
            detail = mark.detail[:1].upper() + mark.detail[1:]  # a passed one's: a cell timed out
        lines.append(f"- **{q.id}**: {mark.status}{score}" + (f". {detail}" if detail else ""))
    return "\n".join(lines) + "\n"


def write_feedback(grades, exercise, folder, say=print, term=Term()):
    """One markdown file per submission in folder, named after the submission's path;
    the paths that could not be written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return _write_each([(folder / f"{name}.md",
                         feedback_text(g, exercise, relative, term.scores(g, exercise)))
                        for g, name, relative in zip(grades, file_names(grades),
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
                  fenced(mark.text.strip()) if mark.status in (MANUAL, BY_HAND)
                  else f"*({mark.status})*",
                  ""]
    return "\n".join(lines)


def write_answers(grades, exercise, folder, say=print, term=Term()):
    """The written answers, one markdown file per question (graded by hand), each
    learner's under their name on the points sheets (``keys``); the paths that could
    not be written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = keys(grades, term)
    return _write_each([(folder / f"{q.id}.md", answers_text(grades, names, exercise, q))
                        for q in exercise.questions if not q.autograded], say)
