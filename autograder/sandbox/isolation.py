"""The layers that confine a sandbox process: namespaces, mounts, rlimits, uid, environment.

Applied in the forked child before any student code runs. Each layer is tried; one that the kernel
or our privileges refuse is recorded in the returned report (the judge warns once, or refuses to
grade when the course config says ``require_all``), never silently skipped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

WORKDIR = "/tmp/work"
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


@dataclass
class Plan:
    """What the judge asks for one sandbox (sent to the zygote as data)."""

    uid: int | None
    network: bool = True
    pid: bool = True
    mount: bool = True
    #: host paths bound read-only into the sandbox's empty root, besides the system's and Python's
    #: (autograder.sandbox.rootfs)
    allow: list[str] = field(default_factory=list)
    #: course roots and the package's checkout: no Python path that is or holds one is bound
    secret_roots: list[str] = field(default_factory=list)
    #: secrets covered should the allow-list still show one of them (defence in depth)
    hide: list[str] = field(default_factory=list)
    workdir_source: str | None = None
    workdir_skip: list[str] = field(default_factory=list)
    workdir_mb: int = 256
    memory_mb: int = 6144
    gpu: bool = False
    cpu_time_s: int = 1800
    max_processes: int = 256
    max_open_files: int = 512
    max_file_size_mb: int = 64
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(**data)


def unshare(flags: int) -> None:
    if _libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    result = _libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
        data.encode() if data else None,
    )
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def umount(target: str) -> None:
    if _libc.umount2(target.encode(), MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"umount {target}: {os.strerror(errno)}")


def enter_namespaces(plan: Plan, report: dict[str, Any]) -> bool:
    """Unshare what the plan asks for (in the forked child). Returns whether a pid namespace was made."""
    flags = CLONE_NEWIPC | CLONE_NEWUTS
    flags |= CLONE_NEWNET if plan.network else 0
    flags |= CLONE_NEWNS if plan.mount else 0
    flags |= CLONE_NEWPID if plan.pid else 0
    if os.geteuid() != 0:
        # Unprivileged: a new user namespace gives us the capabilities to build the same layers. The
        # ids map to themselves, not to root: once drop_privileges clears the capabilities, nothing
        # (not even exec of a setuid binary) gives them back, so the allow-listed root it builds stays.
        uid, gid = os.getuid(), os.getgid()
        try:
            unshare(CLONE_NEWUSER | flags)
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
            report["user_namespace"] = True
            report.update(network=plan.network, mount=plan.mount, pid=plan.pid)
            return plan.pid
        except OSError as exc:
            report["user_namespace"] = False
            report["warnings"].append(f"no user namespace ({exc.strerror}): namespaces unavailable")
            report.update(network=False, mount=False, pid=False)
            return False
    try:
        unshare(flags)
        report.update(network=plan.network, mount=plan.mount, pid=plan.pid)
        return plan.pid
    except OSError as exc:
        report["warnings"].append(f"namespaces refused ({exc.strerror})")
        report.update(network=False, mount=False, pid=False)
        return False


#: the host-/tmp folders of sandboxes without a private /tmp (the judge removes them: client.remove_scratch)
SCRATCH_PREFIX = "autograder-sandbox-"


def prepare_workdir(plan: Plan, uid: int | None, *, target: str | None = None, source: str | None = None) -> str:
    """A working directory holding the sheet's public files (what students have).

    ``target``: where it goes, in the private /tmp of the sandbox's root being built (its path
    there is ``WORKDIR``). Without a mount namespace /tmp is the host's, shared with every other
    sandbox, so a fresh directory is made there instead. ``source``: another path to
    ``plan.workdir_source`` (a descriptor's, while the new root covers the folder it lies in).
    """
    workdir = target or os.path.realpath(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    os.makedirs(workdir, exist_ok=True)
    source = source or plan.workdir_source
    if source and os.path.isdir(source):
        skip = set(plan.workdir_skip)
        for entry in os.scandir(source):
            if entry.name in skip or entry.name.startswith("."):
                continue
            target = os.path.join(workdir, entry.name)
            if entry.is_dir():
                shutil.copytree(entry.path, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(entry.path, target)
    if uid is not None:
        for folder, dirs, files in os.walk(workdir):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, uid, uid)
    return workdir


def apply_rlimits(plan: Plan) -> None:
    mb = 1024 * 1024
    memory = plan.memory_mb * mb
    if plan.gpu:
        # RLIMIT_AS breaks CUDA's large virtual reservations; the data segment still bounds heaps.
        _set(resource.RLIMIT_DATA, memory)
    else:
        _set(resource.RLIMIT_AS, _current_vm_bytes() + memory)
    _set(resource.RLIMIT_CPU, plan.cpu_time_s)
    _set(resource.RLIMIT_NPROC, plan.max_processes)
    _set(resource.RLIMIT_NOFILE, plan.max_open_files)
    _set(resource.RLIMIT_FSIZE, plan.max_file_size_mb * mb)
    _set(resource.RLIMIT_CORE, 0)
    # RLIMIT_AS bounds each process, not their sum: should the host run out of memory, the kernel
    # kills sandbox processes first, not the judge or the worker. A process may raise its own score
    # but only a privileged one may lower it again.
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass


def _set(which: int, value: int) -> None:
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _current_vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def drop_privileges(uid: int | None, report: dict[str, Any]) -> None:
    """Become ``uid`` (when root), or else keep the uid but shed every capability; never regain any.

    Without capabilities the sandbox cannot undo the mounts of its allow-listed root (in a user namespace of
    its own, or as a root that could not or was told not to switch uid). ``no_new_privs`` makes the
    kernel ignore setuid bits and file capabilities on exec, so ``su``, ``mount`` or ``umount`` run
    by student code gain nothing, and neither does uid 0 exec-ing a program.
    """
    euid = os.geteuid()
    if report.get("user_namespace"):
        _clear_capabilities()
        report["uid"], report["separate_uid"] = os.getuid(), False
    elif uid is None or euid != 0:
        report["uid"], report["separate_uid"] = euid, False
        if euid == 0:
            _shed_root_capabilities(report)
    else:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)  # from root to non-zero ids: every capability is dropped
            report["uid"], report["separate_uid"] = uid, True
        except OSError as exc:  # e.g. root of a container whose user namespace does not map uid
            report["warnings"].append(f"could not switch to uid {uid} ({exc.strerror})")
            report["uid"], report["separate_uid"] = euid, False
            _shed_root_capabilities(report)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        report["warnings"].append("could not set no_new_privs")


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when ``parent`` (its keeper) dies, whatever kills it.

    Set after the uid switch (a change of credentials clears it). Student code may clear it again;
    it is a second line only: the keeper kills the sandbox itself when the judge goes away.
    """
    if _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0 and os.getppid() not in (parent, 0):
        os._exit(70)  # the keeper died before the request took effect (pid 1 of a namespace sees 0)


def kill_sandbox(pid: int, *, pid_namespace: bool, uid: int | None) -> None:
    """SIGKILL the sandbox ``pid`` and everything it started.

    In a pid namespace ``pid`` is its init: the kernel kills every other process in it. Without one,
    the sandbox's process group, and every process of its own uid (which catches the ones that left
    the group with setsid; the uid is leased to this grader alone, see :mod:`uids`).
    """
    targets = [pid] if pid_namespace else [pid, -pid]
    for target in targets:
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if not pid_namespace and uid and os.geteuid() == 0 and uid != os.geteuid():
        kill_uid(uid)


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (the sandbox's own), for when no pid namespace holds them.

    Without a pid namespace a process that called setsid() has left the sandbox's process group;
    the per-worker uid still marks it. A short-lived child takes that uid and sends SIGKILL to -1,
    which reaches exactly the processes that uid may signal: its own.
    """
    child = os.fork()
    if child == 0:
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(child, 0)


def _shed_root_capabilities(report: dict[str, Any]) -> None:
    try:
        _clear_capabilities()
    except OSError as exc:
        report["warnings"].append(f"student code keeps root's capabilities ({exc})")


def _clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (capset(2), version 3)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (Data * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"capset: {os.strerror(errno)}")


def scrub_environment(extra: dict[str, str], workdir: str = WORKDIR) -> None:
    """Student code sees no tokens: only a fixed, minimal environment."""
    os.environ.clear()
    os.environ.update({
        "PATH": SAFE_PATH, "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": os.path.join(workdir, ".hf"), "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".mpl"), "PYTHONDONTWRITEBYTECODE": "1",
    })
    os.environ.update(extra)
