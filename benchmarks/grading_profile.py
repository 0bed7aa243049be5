"""Where one submission's grading time goes: each step of a worker's path, timed.

A class of the finite-differences exercise (the solution, the blank notebook and a known
wrong answer in turn) is graded one submission at a time, in this process, by the same
functions a worker runs (worker.Kernel, worker.grade_notebook), with every defence on
(run as root, in a mount namespace of its own: each kernel in a bubblewrap sandbox as a
user of its own, its folder a tmpfs of its own). Each step is wrapped with a timer that
adds up its wall time and this process's CPU time; the kernel's own CPU time is read
from /proc before it is stopped. Steps that a worker overlaps (the next kernel starts
while the current submission is graded) are timed here one after another, so the wall
times add up to one submission's path, not to the worker's rate.

Also timed: what starting a process costs (Python, a worker's imports, the grader's
check that a sandbox can start), each once per command or per worker, not per submission.

    python benchmarks/grading_profile.py          # 12 submissions: about half a minute
    python benchmarks/grading_profile.py -n 30
"""

import argparse
import asyncio
import functools
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import nbformat
from engine import machine  # benchmarks/engine.py
from grading import NAME, kinds  # benchmarks/grading.py

WALL, CPU, CALLS = defaultdict(float), defaultdict(float), defaultdict(int)
KERNEL_CPU = []  # each sandbox's CPU seconds (bwrap's and the kernel's), read as it is stopped


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def add(label, wall, cpu):
    WALL[label] += wall
    CPU[label] += cpu
    CALLS[label] += 1


def timed(owner, name, label):
    """Replace owner.name (a function or method, async or not) by one that times it."""
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):
        @functools.wraps(original)
        async def wrapper(*args, **kwargs):
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return await original(*args, **kwargs)
            finally:
                add(label, time.perf_counter() - wall, _cpu() - cpu)
    else:
        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return original(*args, **kwargs)
            finally:
                add(label(*args) if callable(label) else label,
                    time.perf_counter() - wall, _cpu() - cpu)
    setattr(owner, name, wrapper)


def process_seconds(pid):
    """The CPU seconds a process has used so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command_seconds(argv, runs=3):
    """The median wall and CPU seconds (its own and its children's) of a command."""
    results = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        results.append((time.perf_counter() - wall, after.ru_utime + after.ru_stime
                        - before.ru_utime - before.ru_stime))
    results.sort()
    return results[len(results) // 2]


def instrument():
    from nbclient import NotebookClient

    from adlearn.grading import kernel, rules, sandbox, worker
    from adlearn.grading.questions import Question

    timed(worker, "read_submission", "read the submission (JSON, nbformat)")
    timed(worker, "restore_locked_cells", "restore the locked cells")
    timed(sandbox, "new_user", "kernel: pick its user")
    timed(sandbox, "cap", "kernel: mount its tmpfs")
    timed(kernel.tempfile, "mkdtemp", "kernel: make its folder")
    timed(kernel.SandboxedKernelManager, "format_kernel_cmd", "kernel: the bwrap command line")
    timed(kernel.SandboxedKernelManager, "start_kernel",
          "kernel: launch (connection file, Popen bwrap)")
    timed(NotebookClient, "start_new_kernel_client",
          "kernel: wait until it answers (start-up, ready)")
    timed(worker.Run, "execute", lambda run, cell, index: (
        f"run cell {index + 1}" if "adlearn.grading.probe" not in cell.source else "probe"))
    timed(Question, "grading_cases", "judge: pick the cases")
    timed(Question, "judge_result", "judge: the outputs against the reference")
    timed(worker, "learner_uses", "judge: the own-work rule (ast)")
    timed(rules, "parse_cell", "  of which: ast parse of a cell")
    timed(kernel.SandboxedKernelManager, "shutdown_kernel", "close: stop the kernel")
    stop = kernel.SandboxedKernelManager.shutdown_kernel

    async def shutdown_kernel(km, *args, **kwargs):  # first, read the kernel's CPU time
        KERNEL_CPU.append(sum(process_seconds(p) for p in sandbox.naming(km.folder)))
        return await stop(km, *args, **kwargs)

    kernel.SandboxedKernelManager.shutdown_kernel = shutdown_kernel
    timed(sandbox, "end", "close: end what names its folder (/proc scan)")
    timed(sandbox, "uncap", "close: unmount its tmpfs")
    timed(kernel.shutil, "rmtree", "close: remove its folder")
    timed(worker, "NotebookClient", "run: make the notebook client")
    return worker


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=12, help="submissions (default 12)")
    args = parser.parse_args()
    if os.geteuid() == 0 and not os.environ.get("ADLEARN_PROFILE_UNSHARED"):
        os.environ["ADLEARN_PROFILE_UNSHARED"] = "1"  # as a worker runs: its own mounts
        os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", "--",
                              sys.executable, *sys.argv])
    print(f"machine: {machine()}")
    print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.n} "
          f"submissions of {NAME}, one at a time")
    python = command_seconds([sys.executable, "-c", "pass"])
    imports = command_seconds([sys.executable, "-c", "import adlearn.grading.worker"])
    grader = command_seconds([sys.executable, "-c", "import adlearn.cli, "
                              "adlearn.grading.batch, adlearn.grading.worker"])
    kernel_imports = command_seconds([sys.executable, "-c", "import ipykernel.kernelapp"])

    from adlearn.grading import course, notebooks, sandbox
    from adlearn.grading.limits import Limits

    wall = time.perf_counter()
    sandbox.available()
    available = time.perf_counter() - wall
    exercise = course.exercise(NAME)
    template = notebooks.read(course.student_path(course.default_root(), NAME))
    texts = [nbformat.writes(nb) for nb in kinds()]  # benchmarks/grading.py's class
    limits, totals, marks = Limits(), [], []
    with tempfile.TemporaryDirectory(prefix="adlearn-profile-") as where:
        worker = instrument()
        for i in range(args.n):
            began, cpu = time.perf_counter(), _cpu()
            kernel = worker.Kernel(limits, True, where)
            worker.grade_notebook(texts[i % 3], template, exercise, kernel,
                                  say=lambda qid, mark: marks.append(mark))
            kernel.close()
            totals.append((time.perf_counter() - began, _cpu() - cpu))
    n = args.n
    print("\nonce per command or worker (median of 3, wall / CPU seconds):")
    for label, (wall, cpu) in [("python -c pass", python),
                               ("a worker's imports (adlearn.grading.worker)", imports),
                               ("the grader's imports (cli, batch, worker)", grader),
                               ("a kernel's imports, unsandboxed (ipykernel)", kernel_imports)]:
        print(f"  {label:48} {wall:6.3f} / {cpu:.3f}")
    print(f"  {'sandbox.available() (bwrap /bin/true)':48} {available:6.3f}")
    print(f"\nper submission, mean over {n} (wall ms / this process's CPU ms, calls):")
    for label in WALL:
        print(f"  {label:52} {WALL[label] / n * 1000:7.1f} / {CPU[label] / n * 1000:6.1f}"
              f"  ({CALLS[label] / n:g} a submission)")
    wall = sum(t[0] for t in totals) / n
    cpu = sum(t[1] for t in totals) / n
    print(f"  {'whole path (kernel made to kernel closed)':52} {wall * 1000:7.1f} / "
          f"{cpu * 1000:6.1f}")
    print(f"  {'the sandbox (bwrap, the kernel): CPU ms at its stop':52} {'':7} / "
          f"{sum(KERNEL_CPU) / n * 1000:6.1f}")
    print(f"marks: {sorted({m.status for m in marks})}")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
