"""The submissions: which files to grade, which exercise they are, and their text.

A submission is read by the grader only (never by a kernel): as a regular file of UTF-8
text no larger than MAX_BYTES, opened without following a symbolic link and without
blocking (a FIFO named *.ipynb cannot hang the grader). A file that is not such text is
the learner's (an invalid notebook); a file the grader cannot open is the grader's.
"""

import hashlib
import json
import os
import re
import stat
from pathlib import Path

from ..errors import GradingError
from . import course, notebooks
from .marks import GRADER_ERROR, INVALID

MAX_BYTES = 20 * 2**20  # a submission larger than this is not a notebook to grade


def shown(name):
    """A submission's name (a path, as the file system gave it) as text that can be
    written anywhere: bytes that are not UTF-8 as ``\\xe9``, control characters (a
    newline) as their escapes."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: m.group().encode("unicode_escape").decode(),
                  text)


class Unreadable(GradingError):
    """A submission the grader could not open (its permissions, a vanished file): the
    grader's failure, not the learner's."""


def read_submission_file(path):
    """A submission's text; GradingError if it is not a regular file of UTF-8 text.
    Opened without blocking, so a FIFO named *.ipynb cannot hang the grader."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise Unreadable(f"the grader cannot read the file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise GradingError("not a regular file")
        if info.st_size > MAX_BYTES:
            raise GradingError(f"the file is larger than {MAX_BYTES // 2**20} MB")
        data = f.read(MAX_BYTES + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise GradingError("the file is not UTF-8 text") from None


def content_hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_hash(path):
    """The hash of a submission's text as it is now ("" if it cannot be read)."""
    try:
        return content_hash(read_submission_file(path))
    except GradingError:
        return ""


def read_for_grading(path):
    """A submission's text, read here by the grader (the workers, on a cluster perhaps
    on other machines, are sent the text: no shared file system is assumed), or, for a
    file it cannot grade, why: (text, None) or (None, (status, detail)). A file the grader
    cannot open is the grader's failure; one that is not UTF-8 text, the learner's."""
    try:
        return read_submission_file(path), None
    except Unreadable as exc:
        return None, (GRADER_ERROR, str(exc))
    except GradingError as exc:
        return None, (INVALID, str(exc))


def submission_files(paths, say=print):
    """The notebook files to grade: files as given, folders searched for *.ipynb
    (sorted). What is not a regular file (a folder, a symlink, a FIFO) is skipped with
    a line saying why."""
    found = []
    for path in map(Path, paths):
        if path.is_dir() and not path.is_symlink():
            candidates = sorted(p for p in path.rglob("*.ipynb")
                                if ".ipynb_checkpoints" not in p.parts)
        elif path.exists() or path.is_symlink():
            candidates = [path]
        else:
            raise GradingError(f"no such submission: {path}")
        for p in candidates:
            kind = _not_a_file(p)
            if kind:
                say(f"skipped {shown(str(p))}: {kind}, not a notebook file")
            else:
                found.append(p)
    if not found:
        raise GradingError("no notebooks to grade in " + ", ".join(map(str, paths)))
    return found


def student_id(path, given):
    """The student id of the submission at path, found from given (the path on the
    command line that led to it): the name of the folder directly under given, when
    given is the class folder (class/ID/notebook.ipynb); the folder the file is in, when
    the file was given itself (ID/notebook.ipynb); the file's own name without .ipynb
    when it lies in the class folder itself (class/ID.ipynb). The one place a
    submission's id is read."""
    path, given = Path(path), Path(given)
    if path == given:
        return path.resolve().parent.name
    parts = path.relative_to(given).parts
    return parts[0] if len(parts) > 1 else path.stem


def _not_a_file(path):
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if not stat.S_ISREG(mode):
        return "a FIFO or device"
    return ""


def grade_ids(text):
    """The grade_ids of a notebook's cells, read as JSON ({} if it is not a notebook)."""
    try:
        nb = json.loads(text)
        return {notebooks.nbgrader(c).get("grade_id") for c in nb["cells"]} - {None}
    except Exception:
        return set()


def belongs_elsewhere(text, exercise, others):
    """What a submission's text is, if not a notebook of this exercise ("" if it is one,
    or might be): a notebook of another exercise of the course (others: their grade_ids
    by name), or of another course, whose nbgrader metadata names none of this
    exercise's questions. A notebook with no nbgrader metadata at all is graded (its
    answers are found by what its code defines: the "metadata lost" case)."""
    ids = grade_ids(text)
    if not ids or ids & {q.id for q in exercise.questions}:
        return ""
    other = next((name for name, theirs in others.items() if ids & theirs), "")
    if other:
        return f"a notebook of the exercise {other}"
    return ("a notebook of another course (its nbgrader metadata names none of this "
            "exercise's questions)")


def other_exercises(root, exercise):
    """The grade_ids of every other exercise's student version under root, by name."""
    found = {}
    for name in course.names(root):
        if name != exercise.name and course.student_path(root, name).is_file():
            found[name] = grade_ids(course.student_path(root, name).read_text(encoding="utf-8"))
    return found


def find_template(name_or_path, root=None):
    """The exercise, its student notebook and the course folder (an absolute path: the
    workers of a cluster may run in other folders), from an exercise name (in the course
    folder root, by default the default course) or the student notebook's path (its
    folder is the course folder)."""
    path = Path(name_or_path)
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise GradingError(f"no such notebook: {path}")
        if root is not None and path.parent.resolve() != Path(root).resolve():
            raise GradingError(f"{path} is not in the course folder {root}: give the "
                               "exercise's name")
        name, root = path.stem, path.parent
    else:
        name, root = name_or_path, root or course.default_root()
        path = course.student_path(root, name)
    exercise = course.exercise(name, root)
    rebuild = f"(run: adlearn exercises build --course {root})"
    if not path.is_file():
        raise GradingError(f"the exercise {name!r} has no student version {path} {rebuild}")
    template = notebooks.read(path)
    try:
        notebooks.validate(template, exercise, where=f"the student version {path}")
    except GradingError as exc:
        raise GradingError(f"{exc} {rebuild}") from None
    return exercise, template, Path(root).resolve()
