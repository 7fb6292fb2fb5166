"""Sandbox uids that no two grader processes on one host hold at the same time.

RLIMIT_NPROC counts every process of a uid, and a process may signal every other process of its
uid: two graders whose sandboxes share a uid (two TAs grading at once, ``grade`` beside ``serve``)
would count against, and could kill, each other's student processes. So a grader leases each uid
before its sandboxes use it: an exclusive ``flock`` on one lock file per uid, held by the process
that leased it (a grading worker, or whoever calls :func:`lease`) until it exits. The kernel drops
the lock when that process dies however it dies, so nothing is left to clean up.

A uid is taken only when its lock is free and no process runs as it (a sandbox left over from a
crashed grader, or a grader of an older version that takes no lock); otherwise the next uid of the
range is tried. The lock files live in ``/run/autograder-uids`` (root-only, as only root switches
uids); graders in separate containers share a uid only where their ``/run`` differs, so give each
container its own ``Isolation.uid_base`` (or a shared ``/run/autograder-uids``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import threading
from pathlib import Path

#: how many uids from ``Isolation.uid_base`` on a host's graders may use
UID_RANGE = 1000

_leases: dict[int, int] = {}  # wanted uid -> leased uid, for the life of this process
_fds: dict[int, int] = {}  # leased uid -> its locked file
_lock = threading.Lock()


class UidsExhausted(RuntimeError):
    """Every uid of the range is held by another grader or runs processes."""


def lock_dir() -> Path:
    """Where the per-uid lock files live: a folder only this user may write to."""
    if os.geteuid() == 0 and os.path.isdir("/run") and os.access("/run", os.W_OK):
        folder = Path("/run/autograder-uids")
    else:
        folder = Path(tempfile.gettempdir()) / f"autograder-uids-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise UidsExhausted(f"{folder} must be a folder of uid {os.geteuid()} that no one else may write to; "
                            "remove it and grade again")
    return folder


def lease(wanted: int, *, base: int) -> int:
    """A uid for this process's sandboxes: ``wanted`` when free, else the next free one of the range.

    The same ``wanted`` always gives the same uid within one process (a worker's judges, forked
    after the lease, share its lock). ``base``: the start of the range (``Isolation.uid_base``).
    """
    with _lock:
        if wanted in _leases:
            return _leases[wanted]
        folder = lock_dir()
        start = wanted - base
        for step in range(UID_RANGE):
            uid = base + (start + step) % UID_RANGE
            if uid in _fds:
                continue
            fd = os.open(folder / f"{uid}.lock", os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            if has_processes(uid):
                os.close(fd)  # drops the lock
                continue
            _fds[uid] = fd
            _leases[wanted] = uid
            return uid
        raise UidsExhausted(f"no free sandbox uid in {base}..{base + UID_RANGE - 1}: other graders hold them all")


def has_processes(uid: int) -> bool:
    """Whether any process on this host (in our pid namespace) runs as ``uid``."""
    # /proc/PID/status, not the folder's owner: a process that switched uid is not dumpable, and
    # the kernel then shows its /proc folder as root's
    wanted = str(uid)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"{entry.path}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"Uid:"):
                        if wanted in line.decode().split()[1:]:
                            return True
                        break
        except OSError:
            continue
    return False


def release_all() -> None:
    """Give back every uid this process leased (tests; a process's exit does the same)."""
    with _lock:
        for fd in _fds.values():
            os.close(fd)
        _fds.clear()
        _leases.clear()
