"""What one graded submission may use (a light module: the command line reads its defaults)."""

import json
from dataclasses import dataclass

START_SECONDS = 20  # a submission's budget beyond its cells: its kernel's start, its probes


@dataclass(frozen=True)
class Limits:
    """Seconds a cell may run before it is interrupted, the kernel's memory in MB (a
    larger allocation raises MemoryError), its CPU seconds (beyond them it is killed),
    the processes and threads its sandbox may run, the largest file it may write and all
    it may write (its private folder and /tmp together), in MB, and the wall-clock
    seconds the whole submission may take (0: derived from the exercise's notebook, see
    budget)."""

    timeout: float = 30
    memory_mb: int = 2048
    cpu_seconds: int = 300
    processes: int = 64
    file_mb: int = 64
    disk_mb: int = 256
    budget: float = 0


def budget(template_text, limits):
    """The wall-clock seconds one submission may take: limits.budget if given, else
    derived from the exercise's own student notebook (never from the submission): a
    kernel's start, and each of its code cells (grading cells included) running into
    the cell timeout."""
    if limits.budget:
        return limits.budget
    cells = json.loads(template_text)["cells"]
    return START_SECONDS + limits.timeout * sum(c.get("cell_type") == "code" for c in cells)
