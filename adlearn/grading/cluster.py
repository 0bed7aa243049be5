"""Grading on a dask.distributed cluster: what the grader and the cluster's workers do
about each other's loss.

- A dask worker lost mid-run (killed, its machine gone): dask grades its submissions
  again on the other workers; the grader says on screen that a worker was lost
  (``lost_workers_said``).
- A grader lost mid-run (SIGKILL, which it cannot catch): its tasks are released by
  the scheduler at once (its connection closes), and each dask worker, watching for a
  task of a grader's (a worker plugin, ``end_with_the_grader``), ends its grading
  workers and their pre-started sandboxed kernels ORPHAN_SECONDS after the last one (at
  most ORPHAN_SECONDS + POLL_SECONDS after the scheduler lost the grader).
"""

import sys
import threading
from contextlib import contextmanager

from . import workers

ORPHAN_SECONDS = 3  # a dask worker ends its kernels this long after a grader's last task
POLL_SECONDS = 0.5
TASK = "grade_submission"  # the name its tasks' keys begin with
GONE = ("cancelled", "released", "forgotten", "error")  # a task no grader waits for


@contextmanager
def lost_workers_said(client, stream=None):
    """Within it, a line on stream (stderr) for each worker that leaves the cluster."""
    stop, stream = threading.Event(), sys.stderr if stream is None else stream

    def addresses():
        return set(client.scheduler_info()["workers"])

    def watch(known):
        while not stop.wait(POLL_SECONDS):
            try:
                now = addresses()
            except Exception:  # the scheduler is gone: the tasks say so
                return
            for address in sorted(known - now):
                stream.write(f"a dask worker was lost ({address}): its submissions are "
                             "graded again on the others\n")
                stream.flush()
            known = now

    thread = threading.Thread(target=watch, args=(addresses(),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def end_with_the_grader(client):
    """Have each worker of the client's cluster, now and joining later, end its grading
    workers and their kernels ORPHAN_SECONDS after the last task of a grader is no
    longer wanted (the grader was killed, or lost its connection to the scheduler)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class EndWithTheGrader(WorkerPlugin):
        idempotent = True  # one per worker, whichever grader registered it first

        def setup(self, worker):
            self.closing, self.stopped = threading.Event(), threading.Event()
            threading.Thread(target=_watch, args=(worker, self), daemon=True).start()

        def teardown(self, worker):
            self.closing.set()

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and _graders(key) and self.stopped.is_set():
                self.stopped.clear()  # a grader's again: its workers may start
                workers.resume_workers()

    client.register_plugin(EndWithTheGrader(), name="adlearn-end-with-the-grader")


def _graders(key):
    return str(key).startswith(TASK)


def _wanted(dask_worker):
    """Whether a task of a grader's is wanted on the dask worker (waiting, running or
    held for its grader)."""
    for _ in range(3):  # the worker's own thread changes the table as it goes
        try:
            return any(_graders(key) and task.state not in GONE
                       for key, task in list(dask_worker.state.tasks.items()))
        except RuntimeError:
            continue
    return True


def _watch(dask_worker, plugin):
    idle = 0.0
    while not plugin.closing.wait(POLL_SECONDS):
        idle = 0.0 if _wanted(dask_worker) else idle + POLL_SECONDS
        if idle >= ORPHAN_SECONDS and not plugin.stopped.is_set() and workers.any_workers():
            plugin.stopped.set()
            workers.kill_workers()  # and their kernels; none starts until a grader's task
            workers.close_workers(0)
