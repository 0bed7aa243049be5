"""Grading on a real dask cluster: a scheduler and workers that are processes of their own,
each worker in a working folder of its own (as on other machines: no shared folder with
the grader is assumed), started with the ``dask`` command as an instructor would.
"""

import csv
import math
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


def slow_solution(seconds=2):
    """The solution, with a cell that takes a while (so a run can be cut midway)."""
    import nbformat

    nb = source()
    nb.cells.insert(2, nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"))
    return nb


def descendants(pids):
    """The processes below pids (by parent), as {pid: command line}."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                "utf-8", "replace")
        except OSError:
            continue
        children.setdefault(parent, []).append((int(pid), line))
    found, todo = {}, list(pids)
    while todo:
        for pid, line in children.get(todo.pop(), []):
            found[pid] = line
            todo.append(pid)
    return found


def graders_processes(dask_workers):
    """The grading workers and sandboxed kernels that the dask workers started."""
    return {pid: line for pid, line in descendants([p.pid for p, _ in dask_workers]).items()
            if "adlearn" in line or "ipykernel" in line or "bwrap" in line}


def test_a_dask_worker_killed_midway_the_survivor_finishes_and_the_loss_is_said(
        tmp_path, capsys):
    import threading

    for name in "abcdef":
        notebooks.write(slow_solution(), tmp_path / "subs" / f"{name}.ipynb")
    out = tmp_path / "grades.csv"
    with dask_cluster() as (address, dask_workers):
        victim = dask_workers[0][0]

        def kill_once_grading():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not graders_processes(dask_workers[:1]):
                time.sleep(0.1)
            os.killpg(victim.pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_once_grading)
        killer.start()
        status = main(["grade", NAME, str(tmp_path / "subs"), "-o", str(out), "--course",
                       str(EXERCISES), "--scheduler", address, "--timeout", "10"])
        killer.join()
        assert victim.poll() is not None
    err = capsys.readouterr().err
    assert "a dask worker was lost (tcp://127.0.0.1:" in err and "graded again on the others" in err
    assert status == 0
    assert {n: r["total"] for n, r in rows(out).items()} == {
        f"{n}.ipynb": f"{FULL:g}" for n in "abcdef"}


def test_a_killed_graders_kernels_on_the_cluster_end_within_the_stated_delay(tmp_path):
    """SIGKILL the grader (it cannot catch it) once it has graded one submission: each
    dask worker ends its grading workers and their pre-started sandboxed kernels within
    ORPHAN_SECONDS + POLL_SECONDS of the scheduler losing the grader (the README's
    figure), and the cluster grades the next command's submissions as before."""
    from adlearn.grading.cluster import ORPHAN_SECONDS, POLL_SECONDS

    for name in "abcdef":
        notebooks.write(slow_solution(3), tmp_path / "subs" / f"{name}.ipynb")
    out = tmp_path / "grades.csv"
    with dask_cluster() as (address, dask_workers):
        argv = [sys.executable, "-m", "adlearn.cli", "grade", NAME, str(tmp_path / "subs"),
                "-o", str(out), "--course", str(EXERCISES), "--scheduler", address,
                "--timeout", "10"]
        grader = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        record = out.with_suffix(".jsonl")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and grader.poll() is None and (
                not record.exists() or len(record.read_text().splitlines()) < 2):
            time.sleep(0.05)
        assert graders_processes(dask_workers)  # grading, and the next kernels started
        os.killpg(grader.pid, signal.SIGKILL)
        grader.wait()
        killed = time.monotonic()
        while graders_processes(dask_workers) and time.monotonic() < killed + 30:
            time.sleep(0.1)
        took = time.monotonic() - killed
        assert graders_processes(dask_workers) == {}
        stated = math.ceil(ORPHAN_SECONDS + POLL_SECONDS)
        assert f"within {stated} seconds of the scheduler losing the grader" in " ".join(
            Path("README.md").read_text().split())
        assert took <= stated + 1  # a second for the scheduler and the processes' ends
        assert subprocess.run(argv + ["--resume"], capture_output=True).returncode == 0
    assert {n: r["total"] for n, r in rows(out).items()} == {
        f"{n}.ipynb": f"{FULL:g}" for n in "abcdef"}
