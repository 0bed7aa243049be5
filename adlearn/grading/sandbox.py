"""The sandbox a submission's kernel runs in: bubblewrap (``bwrap``, Flatpak's sandbox).

The kernel gets its own namespaces (processes, network, IPC, hostname, and users, or,
when the grader runs as root, a user id of its own): it sees and can signal only its own
processes, reaches no network, and every process it starts
dies with the sandbox (``--die-with-parent``; when the sandbox's first process ends, the
kernel ends every other one in its process namespace). Its file system shows only what
a kernel needs, read-only: the system's programs and libraries (``/usr``), a few files
of ``/etc``, the Python installation and environment, and adlearn's package; plus a
private writable folder holding its own copy of the notebook and its connection files,
and an empty ``/tmp`` of TMP_BYTES (a tmpfs of the sandbox's own). The course folder,
the references and the other submissions are not in it. Inside, ``prlimit`` sets the
limits on memory, CPU time, processes and file size before the kernel starts.

The kernel is reached through unix sockets in the private folder (jupyter_client's
``transport="ipc"``), since the sandbox has no network to share: so the folder is on a
file system the worker sees too. A worker run by root in a mount namespace of its own
makes that folder a tmpfs of its own (``cap``): all the kernel writes fits in that size
and ``/tmp``'s, and filling them fills nobody else's.
"""

import ctypes
import itertools
import os
import shutil
import signal
import site
import subprocess
import sys
import time
from pathlib import Path

FIRST_UID = 200_000  # the users sandboxes run as when the grader runs as root
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "localtime",
       "mime.types", "nsswitch.conf", "passwd", "group")
USERS_EACH = 8  # users per process: a worker runs two sandboxes at most (its kernel and
# the next one, started ahead), and a stopped one may take a moment to end
FILES = 10_000  # the files (inodes) a kernel's folder may hold
TMP_BYTES = 64 * 2**20
_sandboxes = itertools.count()


def available():
    """Why no sandbox can start here ("" if one can): no bwrap, or bwrap refused."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (Debian and Ubuntu: apt-get install bubblewrap)"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="adlearn-sandbox-") as folder:
        tried = subprocess.run([*command(folder), "/bin/true"], capture_output=True,
                               text=True, timeout=30)
    if tried.returncode != 0:
        return f"bubblewrap cannot start a sandbox here: {tried.stderr.strip()[:200]}"
    return ""


def readable_paths():
    """The folders a kernel needs to read: the Python installation, its environment and
    the folder adlearn is imported from (an editable install's source, say)."""
    import adlearn

    package = os.path.dirname(os.path.realpath(adlearn.__file__))
    paths = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix,
             *site.getsitepackages(), package}
    found = sorted(p for p in map(os.path.realpath, paths) if os.path.isdir(p))
    return [p for p in found if not p.startswith("/usr/")
            and not any(p != q and p.startswith(q + os.sep) for q in found)]


def new_user():
    """The user the next sandbox started by this (root) process runs as: one of its own,
    so that no two sandboxes share a process limit (a worker's, other workers', and the
    kernel a worker starts ahead for its next submission)."""
    return FIRST_UID + (os.getpid() % 100_000) * USERS_EACH + next(_sandboxes) % USERS_EACH


def own_mounts():
    """Whether this process runs as root in a mount namespace of its own (not its
    parent's): then what it mounts, no other process sees, and it vanishes with it."""
    try:
        return os.geteuid() == 0 and (os.readlink("/proc/self/ns/mnt")
                                      != os.readlink(f"/proc/{os.getppid()}/ns/mnt"))
    except OSError:
        return False


def _libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{name}: {os.strerror(error)}")


def cap(folder, mb, user):
    """Mount a tmpfs of mb MB (and FILES files) on folder, the user's, if this process
    has a mount namespace of its own; whether it did."""
    if not own_mounts():
        return False
    options = f"size={mb}m,nr_inodes={FILES},mode=0711,uid={user},gid={user}"
    _libc_call("mount", b"tmpfs", os.fsencode(folder), b"tmpfs", 0, options.encode())
    return True


def uncap(folder):
    """Unmount the tmpfs on folder (its files go with it)."""
    _libc_call("umount2", os.fsencode(folder), 2)  # MNT_DETACH


def give(path, user):
    """Make path (in a sandbox's private folder) the sandbox's user's, when run by root."""
    if os.geteuid() == 0:
        os.chown(path, user, user)


def command_lines():
    """Each process's id (this one's left out) and its command line's arguments (bytes)."""
    lines = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            lines[int(pid)] = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:  # it ended
            pass
    lines.pop(os.getpid(), None)
    return lines


def naming(folder, lines=None):
    """The ids of the processes, other than this one, whose command line names folder or
    a path in it: the sandboxes made in it (bwrap's arguments), their kernels (their
    connection files) and the worker whose folder it is. lines: command_lines()."""
    exact = os.fsencode(folder)
    inside = os.path.join(exact, b"")
    return [pid for pid, args in (lines or command_lines()).items()
            if any(a == exact or a.startswith(inside) for a in args)]


def end(folder, seconds=2):
    """Kill every process that names folder (``naming``) until none is left, for at
    most seconds. ``--die-with-parent`` alone is not enough: bwrap runs the sandbox in a
    process it clones, which asks for its parent-death signal only once it runs; if the
    first bwrap is killed before that (its starter killed just as it started a kernel),
    the sandbox and its kernel run on, children of init."""
    until = time.monotonic() + seconds
    while (found := naming(folder)) and time.monotonic() < until:
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # it ended, or is not ours to end
                pass
        time.sleep(0.02)  # a process it was cloning as it was killed shows up now


def command(folder, limits=None, user=None):
    """The command that runs a kernel's argv in a sandbox whose private folder is folder.

    Run by root, the sandbox gets no user namespace (in one, the kernel would still be
    root outside, whom the process limit does not bind): inside it, setpriv switches to
    an ordinary user (user, by default a new one), without any capability, before the
    kernel starts.
    """
    root = os.geteuid() == 0
    args = ["bwrap", *(["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                        "--unshare-cgroup-try"] if root else ["--unshare-all"]),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr", "--proc", "/proc",
            "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    made = {"/", "/usr", "/tmp"}
    for path in [*readable_paths(), str(folder)]:
        for parent in reversed(Path(path).parents):  # searchable by the sandbox's user
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
    for path in readable_paths():
        args += ["--ro-bind", path, path]
    args += ["--bind", str(folder), str(folder), "--chdir", str(folder), "--clearenv",
             "--setenv", "HOME", str(folder), "--setenv", "PATH", "/usr/bin:/bin",
             "--setenv", "LANG", "C.UTF-8", "--setenv", "MPLBACKEND", "Agg",
             "--setenv", "PYTHONNOUSERSITE", "1"]
    inside = []
    if root:
        user = new_user() if user is None else user
        give(folder, user)
        os.chmod(folder, 0o711)  # bwrap, root without its capabilities, enters it
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        inside = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                  "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    if limits is not None:
        inside += ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--cpu={limits.cpu_seconds}",
                   f"--nproc={limits.processes}", f"--fsize={limits.file_mb * 2**20}", "--"]
    return [*args, "--", *inside]
