"""What one graded submission may use (a light module: the command line reads its defaults)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Seconds a cell may run before it is interrupted, the kernel's memory in MB (a
    larger allocation raises MemoryError) and its CPU seconds (beyond them it is killed)."""

    timeout: float = 30
    memory_mb: int = 2048
    cpu_seconds: int = 300
