"""Grading on a real dask cluster: a scheduler and workers that are processes of their own,
each worker in a working folder of its own (as on other machines: no shared folder with
the grader is assumed), started with the ``dask`` command as an instructor would.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from adlearn.cli import main
from adlearn.grading import course, notebooks, submissions

NAME = "finite_differences"
EXERCISES = Path("exercises").resolve()
FULL = course.exercise(NAME, EXERCISES).possible
DASK = Path(sys.executable).parent / "dask"


def source():
    return notebooks.read(course.source_path(EXERCISES, NAME))


@contextmanager
def dask_cluster(n_workers=2):
    """A scheduler on the loopback and n single-thread workers without a nanny (a killed
    worker stays dead), each started in an empty folder of its own with a temporary
    folder of its own (TMPDIR). Yields (address, [(worker process, its TMPDIR)])."""
    base = Path(tempfile.mkdtemp(prefix="adlearn-dask-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    scheduler_file = base / "scheduler.json"
    started = [subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", scheduler_file], cwd=base, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = []
    for i in range(n_workers):
        home, temp = base / f"worker{i}", base / f"t{i}"
        home.mkdir(), temp.mkdir()
        process = subprocess.Popen(
            [DASK, "worker", "--scheduler-file", scheduler_file, "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
            cwd=home, env={**env, "TMPDIR": str(temp)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(process)
        workers.append((process, temp))
    import json

    from distributed import Client

    address = json.loads(scheduler_file.read_text())["address"]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n_workers, timeout=60)
    try:
        yield address, workers
    finally:
        for process in reversed(started):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster() as found:
        yield found


def rows(path):
    with open(path, newline="") as f:
        return {os.path.basename(r["submission"]): r for r in csv.DictReader(f)}


def test_relative_paths_on_a_cluster_whose_workers_run_in_other_folders(
        tmp_path, monkeypatch, cluster, capsys):
    """The submissions and the course folder given relative to the grader's folder: the
    grader reads each submission and sends its text, so every one is graded, though
    the workers run elsewhere. A file the grader cannot read is the grader's failure,
    and the exit status says so."""
    address, _ = cluster
    work = tmp_path / "instructor"
    for name in "abc":
        notebooks.write(source(), work / "subs" / f"{name}.ipynb")
    monkeypatch.chdir(work)
    argv = ["grade", NAME, "subs", "-o", "grades.csv", "--course",
            os.path.relpath(EXERCISES, work), "--scheduler", address, "--timeout", "10"]
    assert main(argv) == 0
    assert {n: r["total"] for n, r in rows("grades.csv").items()} == {
        f"{n}.ipynb": f"{FULL:g}" for n in "abc"}

    read = submissions.read_submission_file

    def unreadable(path):
        if Path(path).name == "c.ipynb":
            raise submissions.Unreadable("the grader cannot read the file: Permission denied")
        return read(path)

    monkeypatch.setattr(submissions, "read_submission_file", unreadable)
    capsys.readouterr()
    assert main(argv) == 1
    graded = rows("grades.csv")
    assert graded["a.ipynb"]["total"] == f"{FULL:g}"
    assert graded["c.ipynb"]["central status"] == "grader error"
    assert "the grader failed on 1 submission" in capsys.readouterr().out
