"""Batch grading: run a class's submitted notebooks in sandboxed kernels, judge outside.

The trust boundary: the learner's code is untrusted, everything else is not. Each
submission is graded by ``grade_submission`` (one submission in, one row out: a thread
pool or a cluster can call it as it is), which hands it to a worker process (workers.py
here, worker.py the process itself) that its thread keeps for the command's submissions,
one after another. The worker restores the locked cells from the student version, takes
a fresh kernel in a sandbox (sandbox.py) with a private folder of its own, and runs the
learner's cells there, one by one. It never runs a grading cell in the kernel: at each
one it asks the kernel, through ``probe.run``, what the learner's code produces on cases
it picks (the public ones, hidden ones and fresh random ones) as JSON, and judges that
against the question table, which never enters the kernel. So nothing the learner's
code does in its kernel (swallowing exceptions, replacing ``check``, printing forged
lines, killing processes) can turn a wrong or missing answer into points.

The worker writes each question's mark as one line as soon as it is decided (marks.py),
so a kernel that dies, a notebook out of its time budget or a worker that is killed
keeps the points earned before it. Every question ends with points and a status, never
a silent zero (marks.STATUSES); a status that is the grader's fault is flagged for
review and graded again by ``--resume`` (records.py). The files the instructor reads
are written by writers.py.
"""

import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..errors import GradingError
from . import course, workers
from .cluster import end_with_the_grader, lost_workers_said
from .limits import Limits
from .marks import GRADER_ERROR, Grade, Mark, all_marks
from .submissions import (belongs_elsewhere, content_hash, other_exercises,
                          read_for_grading, shown, student_id, submission_files)
from .writers import points

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


# --- one submission, from the outside --------------------------------------------------


def grade_submission(path, name, template_text, root, limits=Limits(), sandboxed=True,
                     text=None, student=None, variant=None):
    """Grade one submitted notebook of the exercise called name into a Grade (never
    raises): its text, as the grader read it (read from path here if not given), judged
    as the variant of the learner with the id student (by default the one
    submissions.student_id reads from the file's folder), or as the variant given (the
    build judges a source: variant 0). Every argument is plain data, so a thread pool or
    a cluster can call it."""
    setup, ahead = workers.setup(name, template_text, root, limits, sandboxed), workers.take()
    try:
        exercise = workers.worker_for(setup).exercise
    except (GradingError, OSError) as exc:  # the grader is stopping, or its disk is full
        return Grade(str(path), all_marks(course.exercise(name, root), GRADER_ERROR,
                                          f"the grader could not start a worker: {exc}"))
    if text is None:
        text, unread = read_for_grading(path)
        if unread:
            return Grade(str(path), all_marks(exercise, *unread))
    if variant is None:
        try:
            variant = exercise.variant_of(student if student is not None
                                          else student_id(path, path))
        except GradingError as exc:  # no student id to choose the variant by
            return Grade(str(path), all_marks(exercise, GRADER_ERROR, str(exc)))
    marks, unfinished = {}, None
    for _ in range(2):  # a second try, with a new worker, if one failed before any mark
        try:
            marks, unfinished = workers.worker_for(setup).grade(text, variant, ahead)
        except (GradingError, OSError) as exc:
            marks, unfinished = {}, (GRADER_ERROR, f"the grader could not start a worker: {exc}")
        if marks or not unfinished or unfinished[0] != GRADER_ERROR:
            break
    status, detail = unfinished or (GRADER_ERROR, "the grader's worker gave no mark")
    for q in exercise.questions:
        marks.setdefault(q.id, Mark(status, 0.0, detail))
    return Grade(str(path), {q.id: marks[q.id] for q in exercise.questions}, content_hash(text))


# --- many submissions ----------------------------------------------------------------


def start_workers(n, exercise, template, root, limits=Limits(), sandboxed=True):
    """Start n workers for the exercise now (see workers.start_workers)."""
    import nbformat

    workers.start_workers(n, workers.setup(exercise.name, nbformat.writes(template), root,
                                           limits, sandboxed))


class Stopped(Exception):
    """The grader was told to stop (SIGTERM, SIGINT or SIGHUP), after its workers and
    their sandboxes were killed; ``signal`` is the signal's number."""

    def __init__(self, signum):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signal = signum


@contextmanager
def stopped_by_signals():
    """Within it (in the main thread), SIGTERM, SIGINT or SIGHUP kill every worker at
    once (their sandboxes die with them) and raise Stopped; what was recorded stays."""
    def stop(signum, frame):
        workers.kill_workers()
        raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.signal(s, stop) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        workers.resume_workers()


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
def executor(scheduler=None, jobs=1, dashboard=False):
    """Where grade_submission runs, as a concurrent.futures executor: jobs threads here
    (each one's worker is a process of its own), or a dask.distributed cluster, at the
    scheduler's address or ``local:N`` (a LocalCluster of N single-thread workers in
    this process: each task's worker and kernel are processes of their own, so the
    sandbox does not depend on dask's). A local cluster listens on the loopback only,
    with dask's dashboard only if asked (then at 127.0.0.1:8787). A scheduler that
    cannot be reached is a GradingError, before anything is graded. At the end, the
    workers are stopped (and the submissions not started yet are not)."""
    slots = local_slots(scheduler, jobs)
    if not scheduler:
        pool = ThreadPoolExecutor(max_workers=slots)
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
            workers.close_workers()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise GradingError("--scheduler needs dask.distributed: "
                           "pip install 'adlearn[grade]'") from None
    cluster = None
    if slots:
        cluster = LocalCluster(n_workers=slots, threads_per_worker=1, processes=False,
                               worker_dashboard_address="127.0.0.1:0",
                               dashboard_address=f"127.0.0.1:{8787 if dashboard else 0}",
                               scheduler_kwargs={"dashboard": dashboard})
    try:
        client = Client(cluster or scheduler, timeout="5s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise GradingError(f"--scheduler {scheduler}: cannot reach the dask scheduler "
                           f"({type(exc).__name__}: {exc})".replace("\n", " ")) from None
    try:
        if not cluster:  # on other machines: a killed grader's kernels must end there
            end_with_the_grader(client)
        with lost_workers_said(client), client.get_executor(pure=False) as pool:
            yield pool
    finally:
        if not cluster:  # the workers on the cluster's machines
            client.run(workers.close_workers, on_error="ignore")
        client.close()
        if cluster:
            cluster.close()
        workers.close_workers()


def grade(exercise, template, root, paths, jobs=1, limits=Limits(), sandboxed=True,
          say=print, progress=None, record=None, pool=None, student_of=None):
    """Grade every submission (several at a time, in pool: see executor); a Grade per
    submission, in order, each judged as its student's variant (the id student_of(path)
    gives, a roster's, else the one submissions.student_id reads from its folder). The
    grader reads each submission and sends its text (the workers of a cluster may be on
    other machines); another exercise's or another course's notebooks are skipped with a
    line. Each finished grade goes into the record
    (a Record) at once, then to progress (a Progress); a submission the record already
    holds, unchanged, is not graded again."""
    import nbformat

    template_text = nbformat.writes(template)
    others = other_exercises(root, exercise)
    files, read, students = [], {}, {}
    for p in submission_files(paths, say):
        given = next(g for g in map(Path, paths) if p == g or g in p.parents)
        students[p] = (student_of and student_of(p)) or student_id(p, given)
        read[p] = read_for_grading(p)  # (text, None) or (None, (status, detail))
        elsewhere = belongs_elsewhere(read[p][0] or "", exercise, others)
        if elsewhere:
            say(f"skipped {shown(str(p))}: {elsewhere}, not {exercise.name}")
        else:
            files.append(p)
    grades = {p: record.known(p) for p in files} if record else {}
    todo = [p for p in files if not grades.get(p)]
    again = sum(map(record.judged_by_another_table, files)) if record else 0
    if len(todo) < len(files) or again:
        say(f"resumed: {len(files) - len(todo)} graded before, {len(todo)} to grade"
            + (f", {again} of them again: the question table changed since they were "
               "graded" if again else ""))
    if progress:
        progress.start(len(todo))

    def done(p, grade):
        grades[p] = grade
        if record:
            record.add(grade)
        if progress:
            progress.add(grade)

    with ExitStack() as stack:
        pool = pool or stack.enter_context(executor(jobs=jobs))
        workers.expect(sum(1 for p in todo if not read[p][1]))  # the ones sent
        stack.callback(workers.expect, None)
        futures = {}
        for p in todo:
            text, unread = read[p]
            if unread:
                done(p, Grade(str(p), all_marks(exercise, *unread)))
            else:
                futures[pool.submit(grade_submission, str(p), exercise.name, template_text,
                                    root, limits, sandboxed, text, students[p])] = p
        for future in as_completed(futures):
            try:
                grade = future.result()
            except Exception as exc:  # on a cluster: a task lost (KilledWorker), or one
                # whose worker lacks the course folder
                grade = Grade(str(futures[future]), all_marks(
                    exercise, GRADER_ERROR, f"the task failed on the cluster: "
                                            f"{type(exc).__name__}: {exc}"))
            done(futures[future], grade)
    return [grades[p] for p in files]


class Progress:
    """What the grader says as each submission is finished: on a terminal, one bar that
    redraws in place (count, rate, time left); otherwise a plain line per submission."""

    def __init__(self, stream=None, clock=time.monotonic):
        self.stream, self.clock = sys.stderr if stream is None else stream, clock
        self.bar = hasattr(self.stream, "isatty") and self.stream.isatty()

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
            self.stream.write(f"graded {figures}: {shown(grade.submission)} "
                              f"{points(grade.total)}\n")
        self.stream.flush()

