"""The grader's side of its worker processes: starting them, handing each a submission
within its time budget, replacing one that stops, and ending them all.

A worker (``python -m adlearn.grading.worker``, worker.py) is set up once with what
every submission of a command shares, then grades the submissions its grading thread
gives it, one after another. It is started in a session of its own (a Ctrl-C at the
terminal reaches the grader, which ends it) and, when the grader runs as root, in a
mount namespace of its own (``unshare``), where it mounts each kernel's private folder
as a size-limited tmpfs. It ends when the grader does, however the grader ends: the
grader kills it on SIGTERM, SIGINT or SIGHUP (``kill_workers``), and the kernel kills
it when the grader is killed outright (a parent-death signal; the thread that started
it must live as long as it is used: the grader's main thread or a grading thread, which
lives as long as its pool). Its kernels die with it, all but one it was starting as it
was killed (see sandbox.end): that one the grader ends when it finishes the worker, or,
if the grader was killed too, the next worker started in the same temporary folder.

Each submission has one wall-clock budget, whatever its cell count (limits.budget):
past it, the worker is killed and the questions not marked yet are "out of time".
"""

import atexit
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import astuple

from ..errors import GradingError
from . import course, sandbox
from .limits import Limits, budget
from .marks import GRADER_ERROR, OUT_OF_TIME, read_line

PREFIX = "adlearn-worker-"  # a worker's folder's name: PREFIX and random letters


def end_left_behind():
    """End what workers that died left running: the sandboxes of a worker folder (in the
    temporary folder) that no worker names any more (a grader killed outright as a
    worker started a kernel: see sandbox.end)."""
    where, lines = tempfile.gettempdir(), sandbox.command_lines()
    for name in os.listdir(where):
        folder = os.path.join(where, name)
        found = sandbox.naming(folder, lines) if name.startswith(PREFIX) else []
        if found and not any(b"adlearn.grading.worker" in lines[pid] for pid in found):
            sandbox.end(folder)


def setup(name, template_text, root, limits=Limits(), sandboxed=True):
    """What a worker is set up with: what every submission of a command shares."""
    return {"template": template_text, "root": str(root), "exercise": name,
            "sandboxed": sandboxed, "limits": list(astuple(limits))}


def _command(folder):
    """The worker's command line: in a mount namespace of its own when run by root."""
    argv = [sys.executable, "-m", "adlearn.grading.worker", folder]
    if os.geteuid() == 0 and shutil.which("unshare"):
        return ["unshare", "--mount", "--propagation", "private", "--", *argv]
    return argv


class Worker:
    """A worker process set up for one command's submissions (setup: the student
    version, the course folder, the exercise's name, the limits, whether to sandbox),
    which grades them one at a time. The question table is loaded once, here and in the
    worker, never in a kernel. Its kernels' folders are made in a folder of its own,
    removed when it ends, killed or not."""

    def __init__(self, setup):
        self.setup, self.exercise = setup, course.exercise(setup["exercise"], setup["root"])
        self.budget = budget(setup["template"], Limits(*setup["limits"]))
        self.lock, self.closed, self.lines = threading.Lock(), False, queue.Queue()
        end_left_behind()
        self.folder = tempfile.mkdtemp(prefix=PREFIX)
        self.process = subprocess.Popen(
            _command(self.folder), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
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

    def grade(self, text, variant=0, ahead=True):
        """Marks for one submission's text, and, if the worker did not finish it, the
        status and detail of the questions it did not mark: past the budget it is
        killed (out of time); a worker that stopped is the grader's failure. ahead:
        whether to start a kernel for a next submission while it grades this one."""
        end, marks = time.monotonic() + self.budget, {}
        with self.lock:  # sent from a thread, so that the budget holds even for a
            # worker that does not read (a large submission fills the pipe)
            entry = {"submission": text, "budget": self.budget, "variant": variant,
                     "ahead": ahead}
            threading.Thread(target=self._send, args=(entry,), daemon=True).start()
            while True:
                try:
                    line = self.lines.get(timeout=max(end - time.monotonic(), 0))
                except queue.Empty:
                    self.closed = True
                    self.finish(0)
                    return marks, (OUT_OF_TIME, f"the notebook used up its time budget of "
                                                f"{self.budget:g} s before this question was "
                                                "checked")
                if line is None:
                    self.closed = True
                    self.finish(0)
                    return marks, (GRADER_ERROR, f"the grader's worker stopped "
                                                 f"(exit code {self.process.returncode})")
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry == {"done": True}:
                    return marks, None
                marked = read_line(entry, self.exercise)
                if marked:
                    marks.setdefault(*marked)

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
        """Wait at most seconds for it to end, then kill it; end whatever of its kernels
        is left (``sandbox.end``: one it was starting as it was killed may not die with
        it); remove its folder."""
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        sandbox.end(self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)


_kept = threading.local()  # the worker of each grading thread
_workers = []  # every worker this process started and has not closed
_spares = []  # those started ahead, not yet taken by a thread
_workers_lock = threading.Lock()
_stopping = threading.Event()  # set by kill_workers: no new worker starts
_left = [None]  # the submissions not yet handed to this process's workers (None: unknown)


def expect(n):
    """Say how many submissions this process's workers will be given now (None: not
    known, as on a cluster's machines), so that none starts a kernel for nothing."""
    with _workers_lock:
        _left[0] = n


def take():
    """Count one submission as handed to a worker; whether that worker should start a
    kernel for a next one while it grades this one: not if this was the last (then
    at most the other workers' kernels, started before it was taken, go unused)."""
    with _workers_lock:
        if _left[0] is None:
            return True
        _left[0] = max(_left[0] - 1, 0)
        return _left[0] > 0


def start_workers(n, setup):
    """Start n workers now, for the first grading threads to take as their own: they
    (and their first kernels) start up while the command starts the rest."""
    started = [Worker(setup) for _ in range(n)]
    with _workers_lock:
        _workers.extend(started)
        _spares.extend(started)


def worker_for(setup):
    """The calling thread's worker for setup: its own, a spare, or a new one
    (GradingError once the grader is stopping)."""
    worker = getattr(_kept, "worker", None)
    if worker is None or not worker.usable(setup):
        if worker is not None:
            worker.close()
        with _workers_lock:
            if _stopping.is_set():
                raise GradingError("the grader was stopped before it graded this submission")
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


def kill_workers():
    """Kill every worker of this process at once, and their sandboxes (``sandbox.end``),
    and start no new one until ``resume_workers``: how a stopped grader ends its work."""
    with _workers_lock:
        _stopping.set()
        for worker in _workers:
            worker.process.kill()
        for worker in _workers:
            sandbox.end(worker.folder)


def any_workers():
    """Whether this process has a worker that it started and has not closed."""
    with _workers_lock:
        return bool(_workers)


def resume_workers():
    """Let workers start again (after kill_workers, once the stopped run has ended)."""
    _stopping.clear()


atexit.register(close_workers)
