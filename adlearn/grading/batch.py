"""Batch grading: run a class's submitted notebooks in sandboxed kernels, judge outside.

The trust boundary: the learner's code is untrusted, everything else is not. Each
submission is graded by ``grade_submission`` (one submission in, one row out: a thread
pool or a cluster can call it as it is), which hands it to a worker process
(``adlearn.grading.worker``) that its thread keeps for the command's submissions, one
after another. The worker restores the locked cells from the student version, takes a
fresh kernel in a sandbox (``sandbox.py``) with a private folder of its own, and runs
the learner's cells there, one by one. It never runs a grading cell in the kernel: at
each one it asks the kernel, through ``probe.run``, what the learner's code produces on
cases it picks (the public ones, hidden ones and fresh random ones) as JSON, and
judges that against the question table, which never enters the kernel. So nothing the
learner's code does in its kernel (swallowing exceptions, replacing ``check``, printing
forged lines, killing processes) can turn a wrong or missing answer into points.

The worker writes each question's mark as one JSON line as soon as it is decided, so a
kernel that dies, or a worker that is killed, keeps the points earned before it; a
worker that stops, or overruns a submission's deadline and is killed, is replaced for
the next submission. Every question ends with points and a status, never a silent
zero: passed, failed (with the hint), not answered, error, timeout, kernel died,
invalid notebook, manual (an explanation, graded by hand) or missing (its cell was
deleted).
"""

import atexit
import csv
import hashlib
import json
import math
import os
import queue
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import astuple, dataclass, field
from pathlib import Path

from ..errors import GradingError
from . import course, notebooks
from .limits import Limits
from .questions import FAILED, NOT_ANSWERED, PASSED

ERROR, TIMEOUT, DIED, INVALID, MANUAL, MISSING = (
    "error", "timeout", "kernel died", "invalid notebook", "manual", "missing")
STATUSES = (PASSED, FAILED, NOT_ANSWERED, ERROR, TIMEOUT, DIED, INVALID, MANUAL, MISSING)
MAX_BYTES = 20 * 2**20  # a submission larger than this is not a notebook to grade


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


# --- one submission, from the outside --------------------------------------------------


def grade_submission(path, name, template_text, root, limits=Limits(), sandboxed=True):
    """Grade one submitted notebook file of the exercise called name into a Grade (never
    raises). Every argument is plain data, so a thread pool or a cluster can call it."""
    setup = _setup(name, template_text, root, limits, sandboxed)
    exercise = _worker(setup).exercise
    try:
        text = read_submission_file(path)
    except GradingError as exc:
        return Grade(str(path), _all(exercise, INVALID, str(exc)))
    marks, why = {}, ""
    for _ in range(2):  # a second try, with a new worker, if one failed before any mark
        marks, why = _worker(setup).grade(text, deadline(text, limits))
        if marks or not why:
            break
    status = TIMEOUT if why.startswith("the whole notebook") else ERROR
    for q in exercise.questions:
        marks.setdefault(q.id, Mark(status, 0.0, why or "the grader's worker gave no mark"))
    return Grade(str(path), {q.id: marks[q.id] for q in exercise.questions}, content_hash(text))


def _setup(name, template_text, root, limits, sandboxed):
    """What a worker is set up with: what every submission of a command shares."""
    return {"template": template_text, "root": str(root), "exercise": name,
            "sandboxed": sandboxed, "limits": list(astuple(limits))}


def deadline(text, limits):
    """The seconds a worker may take over a submission: its start, then every cell (and
    probe) running into the timeout."""
    cells = text.count('"cell_type"') + 2
    return 90 + limits.timeout * (cells + 1)


class Worker:
    """A worker process (``python -m adlearn.grading.worker``) set up for one command's
    submissions (setup: the student version, the course folder, the exercise's name,
    the limits, whether to sandbox), which grades them one at a time. The question
    table is loaded once, here and in the worker, never in a kernel. Its kernels'
    folders are made in a folder of its own, removed when it ends, killed or not."""

    def __init__(self, setup):
        self.setup, self.exercise = setup, course.exercise(setup["exercise"], setup["root"])
        self.lock, self.closed, self.lines = threading.Lock(), False, queue.Queue()
        self.folder = tempfile.mkdtemp(prefix="adlearn-worker-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adlearn.grading.worker", self.folder],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self._send(setup)

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the worker stopped

    def _send(self, entry):
        try:
            self.process.stdin.write(json.dumps(entry) + "\n")
            self.process.stdin.flush()
        except OSError:  # it stopped; what it wrote says the rest
            pass

    def usable(self, setup):
        return not self.closed and self.process.poll() is None and self.setup == setup

    def grade(self, text, seconds):
        """Marks for one submission's text, and why the worker stopped early ("" if it
        finished); past the seconds given it is killed."""
        end, marks = time.monotonic() + seconds, {}
        with self.lock:  # sent from a thread, so that the deadline holds even for a
            # worker that does not read (a large submission fills the pipe)
            threading.Thread(target=self._send, args=({"submission": text},),
                             daemon=True).start()
            while True:
                try:
                    line = self.lines.get(timeout=max(end - time.monotonic(), 0))
                except queue.Empty:
                    self.closed = True
                    self.finish(0)
                    return marks, f"the whole notebook ran over {seconds:g} s"
                if line is None:
                    self.closed = True
                    self.finish(0)
                    return marks, (f"the grader's worker stopped "
                                   f"(exit code {self.process.returncode})")
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry == {"done": True}:
                    return marks, ""
                if isinstance(entry, dict) and "question" in entry:
                    mark = _checked_mark(entry, self.exercise)
                    if mark:
                        marks.setdefault(entry["question"], mark)

    def close(self):
        """Tell it to stop once idle (then it stops its next kernel). False if it is
        grading now: then it stays, for its thread to use or replace."""
        if not self.lock.acquire(blocking=False):
            return False
        try:
            self.closed = True
            try:
                self.process.stdin.close()
            except OSError:
                pass
        finally:
            self.lock.release()
        return True

    def finish(self, seconds):
        """Wait at most seconds for it to end, then kill it (and so its kernels, which
        die with it); remove its folder."""
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_kept = threading.local()  # the worker of each grading thread
_workers = []  # every worker this process started and has not closed
_spares = []  # those started ahead, not yet taken by a thread
_workers_lock = threading.Lock()


def start_workers(n, exercise, template, root, limits=Limits(), sandboxed=True):
    """Start n workers now, for the first grading threads to take as their own: they
    (and their first kernels) start up while the command starts the rest."""
    import nbformat

    setup = _setup(exercise.name, nbformat.writes(template), root, limits, sandboxed)
    started = [Worker(setup) for _ in range(n)]
    with _workers_lock:
        _workers.extend(started)
        _spares.extend(started)


def _worker(setup):
    """The calling thread's worker for setup: its own, a spare, or a new one."""
    worker = getattr(_kept, "worker", None)
    if worker is None or not worker.usable(setup):
        if worker is not None:
            worker.close()
        with _workers_lock:
            worker = next((w for w in _spares if w.usable(setup)), None)
            if worker:
                _spares.remove(worker)
            else:
                worker = Worker(setup)
                _workers.append(worker)
        _kept.worker = worker
    return worker


def close_workers(wait=10):
    """Stop every worker of this process that is not grading now, and wait for them
    (at most wait seconds; then they are killed). A command calls it when it is done."""
    with _workers_lock:
        closed = [w for w in _workers if w.close()]
        _workers[:] = [w for w in _workers if w not in closed]
        _spares[:] = [w for w in _spares if w not in closed]
    end = time.monotonic() + wait
    for worker in closed:
        worker.finish(max(end - time.monotonic(), 0))


atexit.register(close_workers)


def _checked_mark(entry, exercise):
    """A mark line as a Mark, if it is one of the exercise's questions (points capped)."""
    try:
        q = exercise.question(entry["question"])
        points = float(entry.get("points", 0))
    except (GradingError, TypeError, ValueError):
        return None
    status, mistake = entry.get("status"), entry.get("mistake", 0)
    if status not in STATUSES or not math.isfinite(points):
        return None
    if type(mistake) is not int or not 0 <= mistake <= len(q.wrong) or status != FAILED:
        mistake = 0
    points = min(max(points, 0.0), q.points) if status == PASSED else 0.0
    return Mark(status, points, str(entry.get("detail", ""))[:2000],
                str(entry.get("text", ""))[:20000], mistake)


def read_submission_file(path):
    """A submission's text; GradingError if it is not a regular file of UTF-8 text.
    Opened without blocking, so a FIFO named *.ipynb cannot hang the grader."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise GradingError(f"cannot read the file: {exc.strerror}") from None
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


def _all(exercise, status, detail):
    return {q.id: Mark(status, 0.0, detail) for q in exercise.questions}


# --- which files, which exercise ------------------------------------------------------


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
                say(f"skipped {p}: {kind}, not a notebook file")
            else:
                found.append(p)
    if not found:
        raise GradingError("no notebooks to grade in " + ", ".join(map(str, paths)))
    return found


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


def belongs_elsewhere(path, exercise, others):
    """The name of the other exercise a submission belongs to ("" if none): it has
    none of this exercise's grade_ids and some of another's."""
    try:
        ids = grade_ids(read_submission_file(path))
    except GradingError:
        return ""
    if ids & {q.id for q in exercise.questions}:
        return ""
    return next((name for name, theirs in others.items() if ids & theirs), "")


def other_exercises(root, exercise):
    """The grade_ids of every other exercise's student version under root, by name."""
    found = {}
    for name in course.names(root):
        if name != exercise.name and course.student_path(root, name).is_file():
            found[name] = grade_ids(course.student_path(root, name).read_text(encoding="utf-8"))
    return found


def find_template(name_or_path, root=None):
    """The exercise, its student notebook and the course folder, from an exercise name
    (in the course folder root, by default the default course) or the student
    notebook's path (its folder is the course folder)."""
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
    return exercise, template, Path(root)


# --- many submissions ----------------------------------------------------------------


def local_slots(scheduler=None, jobs=1):
    """How many submissions this machine grades at once: jobs, or N for ``local:N``; 0
    on a cluster elsewhere."""
    if not scheduler:
        return max(1, jobs)
    if not scheduler.startswith("local:"):
        return 0
    n = scheduler.removeprefix("local:")
    if not n.isdigit() or int(n) < 1:
        raise GradingError(f"--scheduler {scheduler}: give local:N with N workers, "
                           "a whole number of at least 1")
    return int(n)


@contextmanager
def executor(scheduler=None, jobs=1):
    """Where grade_submission runs, as a concurrent.futures executor: jobs threads here
    (each one's worker is a process of its own), or a dask.distributed cluster, at the
    scheduler's address or ``local:N`` (a LocalCluster of N single-thread workers in
    this process: each task's worker and kernel are processes of their own, so the
    sandbox does not depend on dask's). A scheduler that cannot be reached is a
    GradingError, before anything is graded. At the end, the workers are stopped."""
    slots = local_slots(scheduler, jobs)
    if not scheduler:
        try:
            with ThreadPoolExecutor(max_workers=slots) as pool:
                yield pool
        finally:
            close_workers()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise GradingError("--scheduler needs dask.distributed: "
                           "pip install 'adlearn[grade]'") from None
    cluster = None
    if slots:
        cluster = LocalCluster(n_workers=slots, threads_per_worker=1, processes=False,
                               dashboard_address=None)
    try:
        client = Client(cluster or scheduler, timeout="5s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise GradingError(f"--scheduler {scheduler}: cannot reach the dask scheduler "
                           f"({type(exc).__name__}: {exc})".replace("\n", " ")) from None
    try:
        with client.get_executor(pure=False) as pool:
            yield pool
    finally:
        if not cluster:  # the workers on the cluster's machines
            client.run(close_workers, on_error="ignore")
        client.close()
        if cluster:
            cluster.close()
        close_workers()


def grade(exercise, template, root, paths, jobs=1, limits=Limits(), sandboxed=True,
          say=print, progress=None, record=None, pool=None):
    """Grade every submission (several at a time, in pool: see executor); a Grade per
    submission, in order. Another exercise's notebooks are skipped with a line. Each
    finished grade goes into the record (a Record) at once, then to progress (a
    Progress); a submission the record already holds, unchanged, is not graded again."""
    import nbformat

    template_text = nbformat.writes(template)
    others = other_exercises(root, exercise)
    files = []
    for p in submission_files(paths, say):
        elsewhere = belongs_elsewhere(p, exercise, others)
        if elsewhere:
            say(f"skipped {p}: a notebook of the exercise {elsewhere}, not {exercise.name}")
        else:
            files.append(p)
    grades = {p: record.known(p) for p in files} if record else {}
    todo = [p for p in files if not grades.get(p)]
    if len(todo) < len(files):
        say(f"resumed: {len(files) - len(todo)} graded before, {len(todo)} to grade")
    if progress:
        progress.start(len(todo))
    with ExitStack() as stack:
        pool = pool or stack.enter_context(executor(jobs=jobs))
        futures = {pool.submit(grade_submission, p, exercise.name, template_text, root,
                               limits, sandboxed): p for p in todo}
        for future in as_completed(futures):
            grades[futures[future]] = future.result()
            if record:
                record.add(grades[futures[future]])
            if progress:
                progress.add(grades[futures[future]])
    return [grades[p] for p in files]


class Progress:
    """What the grader says as each submission is finished: on a terminal, one bar that
    redraws in place (count, rate, time left); otherwise a plain line per submission."""

    def __init__(self, stream=sys.stderr, clock=time.monotonic):
        self.stream, self.clock = stream, clock
        self.bar = hasattr(stream, "isatty") and stream.isatty()

    def start(self, total):
        self.total, self.done, self.began = total, 0, self.clock()

    def add(self, grade):
        self.done += 1
        elapsed = max(self.clock() - self.began, 1e-9)
        rate = self.done / elapsed * 60  # a minute
        left = (self.total - self.done) * elapsed / self.done
        figures = f"{self.done}/{self.total}  {rate:.1f}/min  {left:.0f} s left"
        if self.bar:
            filled = round(20 * self.done / max(self.total, 1))
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\r[{'#' * filled}{'.' * (20 - filled)}] {figures}{end}")
        else:
            self.stream.write(f"graded {figures}: {grade.submission} {_points(grade.total)}\n")
        self.stream.flush()


# --- what the instructor reads --------------------------------------------------------


def csv_header(exercise):
    header = ["submission", "total", "possible"]
    for q in exercise.questions:
        header += [q.id, f"{q.id} status"] + ([f"{q.id} mistake"] if q.autograded else [])
    return header


def csv_row(grade, exercise):
    row = [grade.submission, _points(grade.total), _points(exercise.possible)]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        if q.autograded:
            row += [_points(mark.points), mark.status, mark.mistake or ""]
        else:
            row += ["", mark.status]
    return row


class Record:
    """Every finished grade, one JSON line each, appended as it comes (``grades.jsonl``
    beside ``grades.csv``), so a run killed midway loses nothing. With resume, the
    grades already there are read back, and a submission whose text has not changed
    since (the same hash) is not graded again; the first line names the exercise."""

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
            grade = self._grade(line)
            if grade:
                self.grades[grade.submission] = grade  # the latest line of each

    def _grade(self, line):
        """A Grade from a line, if it is whole and marks every question."""
        try:
            entry = json.loads(line)
            marks = {q: _checked_mark({**m, "question": q}, self.exercise)
                     for q, m in entry["marks"].items()}
            grade = Grade(str(entry["submission"]), marks, str(entry["sha256"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        ids = [q.id for q in self.exercise.questions]
        if any(marks.get(q) is None for q in ids):
            return None
        grade.marks = {q: marks[q] for q in ids}
        return grade

    def known(self, path):
        """The recorded grade of the submission at path, if its text is unchanged."""
        grade = self.grades.get(str(path))
        return grade if grade and grade.sha256 and grade.sha256 == current_hash(path) else None

    def add(self, grade):
        self.grades[grade.submission] = grade
        self._write({"submission": grade.submission, "sha256": grade.sha256,
                     "marks": {q: vars(m) for q, m in grade.marks.items()}})

    def _write(self, entry):
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


def record_path(output):
    """Where the record of a CSV's grades is kept: grades.csv → grades.jsonl."""
    return Path(output).with_suffix(".jsonl")


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


def _points(x):
    return f"{x:g}"


def feedback_text(grade, exercise):
    """A learner's feedback: each question's status, points and hint, in markdown."""
    lines = [f"# {exercise.title}: feedback", "", f"Submission: `{grade.submission}`", "",
             f"Autograded score: {_points(grade.total)} of {_points(exercise.possible)}", ""]
    for q in exercise.questions:
        mark = grade.marks[q.id]
        score = "" if not q.autograded else f" ({_points(mark.points)} of {_points(q.points)})"
        detail = mark.detail[:1].upper() + mark.detail[1:] if mark.status != PASSED else ""
        lines.append(f"- **{q.id}**: {mark.status}{score}" + (f". {detail}" if detail else ""))
    return "\n".join(lines) + "\n"


def file_names(grades):
    """Each submission's name for its own files: its whole path relative to the folder
    they share, escaped (so alice/x.ipynb and alice__x.ipynb cannot collide)."""
    paths = [os.path.abspath(g.submission) for g in grades]
    common = os.path.commonpath(paths) if paths else ""
    if len(paths) == 1:
        common = os.path.dirname(common)
    return [urllib.parse.quote(os.path.relpath(p, common).removesuffix(".ipynb"), safe="")
            for p in paths]


def write_feedback(grades, exercise, folder):
    """One markdown file per submission in folder, named after the submission's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for g, name in zip(grades, file_names(grades)):
        (folder / f"{name}.md").write_text(feedback_text(g, exercise), encoding="utf-8")


def write_answers(grades, exercise, folder):
    """The written answers, one markdown file per question (graded by hand), each
    submission's answer under its name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = file_names(grades)
    for q in exercise.questions:
        if q.autograded:
            continue
        lines = [f"# {exercise.title}: {q.id} ({_points(q.points)} points, by hand)", ""]
        if q.prompt:
            lines += [f"Asked: {q.prompt}.", ""]
        for g, name in zip(grades, names):
            mark = g.marks[q.id]
            lines += [f"## {urllib.parse.unquote(name)}", "",
                      mark.text.strip() if mark.status == MANUAL else f"*({mark.status})*", ""]
        (folder / f"{q.id}.md").write_text("\n".join(lines), encoding="utf-8")
