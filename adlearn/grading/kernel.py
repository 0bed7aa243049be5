"""A fresh kernel for one submission, in a sandbox (sandbox.py) and a private folder of
its own.

A worker (worker.py) makes one ``Kernel`` a submission, one submission ahead, so that it
starts up while the one before is graded. Its kernel is IPython's, run in bubblewrap as
a user of its own, reached through unix sockets in its folder (a tmpfs of
``Limits.disk_mb`` when the worker runs as root, so that it can fill only itself) and
interrupted by a message; ``close`` leaves nothing of it for the next submission.
jupyter_client's kernel manager and client are adapted for that here, and made to wait
less: a submission's slot is mostly a kernel's start and end.
"""

import queue
import shutil
import subprocess
import sys
import tempfile
import time

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from . import sandbox

# The kernel: IPython's, started as ipykernel_launcher starts it, without the debugger,
# which grading never uses and whose imports (debugpy) were a quarter of a kernel's start
# (benchmarks/grading_profile.md). The learner's code may still import debugpy.
LAUNCHER = ("import sys; del sys.path[0]; sys.modules['debugpy'] = None; "
            "from ipykernel import debugger, kernelapp; del sys.modules['debugpy']; "
            "kernelapp.launch_new_instance()")
KERNEL_OPTIONS = ["--HistoryManager.enabled=False"]  # In[] stays; no history file or thread
QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # for the kernel


class ReadyClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready once the kernel has answered and its
    broadcasts (IOPub) reach this process. jupyter_client's own wait then listens on until
    the broadcasts have been quiet for 0.2 s: idle time in every submission's slot, for
    messages that nbclient ignores anyway (it reads only what answers its own requests)."""

    async def wait_for_ready(self, timeout=None):
        end = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
                if reply["msg_type"] == "kernel_info_reply":
                    await self.iopub_channel.get_msg(timeout=0.2)  # IOPub is connected
                    self._handle_kernel_info_reply(reply)
                    return
            except queue.Empty:
                pass
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > end:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in a bubblewrap sandbox (sandbox.py) as user,
    reached through unix sockets in its private folder and interrupted by a message (a
    signal cannot reach into the sandbox's session). Not sandboxed, only its CPU time
    is limited (its memory by this process's own limit, which it inherits)."""

    def __init__(self, folder, limits, sandboxed, user, **kwargs):
        super().__init__(kernel_name="python3", transport="ipc", ip=f"{folder}/kernel",
                         connection_file=f"{folder}/kernel.json", **kwargs)
        self.folder, self.limits, self.sandboxed, self.user = folder, limits, sandboxed, user
        self.client_factory = ReadyClient

    def format_kernel_cmd(self, extra_arguments=None):
        """In the sandbox: this environment's Python running LAUNCHER (no kernelspec is
        read). Without it (--no-sandbox), the kernelspec's command under a CPU limit: a
        kernelspec may run the kernel as another user (Gradescope's does, gradescope.py)."""
        if not self.sandboxed:
            return (["prlimit", f"--cpu={self.limits.cpu_seconds}", "--"]
                    + super().format_kernel_cmd(extra_arguments))
        return sandbox.command(self.folder, self.limits, self.user) + [
            sys.executable, "-c", LAUNCHER, "-f", self.connection_file, *KERNEL_OPTIONS]

    async def _async_wait(self, pollinterval=0.1):
        """Wait for a killed kernel to end, looking every 5 ms (jupyter_client looks every
        100 ms: a tenth of a second of each submission's slot)."""
        await super()._async_wait(pollinterval=0.005)

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        sandbox.give(self.connection_file, self.user)

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec


class Kernel:
    """A fresh kernel in a private folder of its own (a tmpfs of limits.disk_mb when
    this worker has a mount namespace of its own), started as soon as it is made (it
    starts up while the worker goes on); if it could not start, NotebookClient tries
    again when it is used, and says why it cannot."""

    def __init__(self, limits, sandboxed, where):
        self.limits, self.sandboxed = limits, sandboxed
        self.folder = tempfile.mkdtemp(prefix="adlearn-grade-", dir=where)
        self.user = sandbox.new_user()
        self.capped = sandbox.cap(self.folder, limits.disk_mb, self.user)
        self.km = SandboxedKernelManager(self.folder, limits, sandboxed, self.user)
        try:  # the kernel gets none of this process's streams: its marks go to stdout
            run_sync(self.km.start_kernel)(cwd=self.folder, **QUIET)
        except Exception:
            pass

    def close(self):
        """Stop the kernel (if it still runs), and whatever of its sandbox is left
        (``sandbox.end``), and remove its folder."""
        try:
            if run_sync(self.km.is_alive)():
                run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            sandbox.end(self.folder)
            if self.capped:
                sandbox.uncap(self.folder)
            shutil.rmtree(self.folder, ignore_errors=True)
