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
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

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


def enter_namespaces(plan: Plan, report: dict[str, Any]) -> bool:
    """Unshare what the plan asks for (in the forked child). Returns whether a pid namespace was made."""
    flags = CLONE_NEWIPC | CLONE_NEWUTS
    flags |= CLONE_NEWNET if plan.network else 0
    flags |= CLONE_NEWNS if plan.mount else 0
    flags |= CLONE_NEWPID if plan.pid else 0
    if os.geteuid() != 0:
        # Unprivileged: a user namespace makes us root inside it, so the same layers can work.
        uid, gid = os.getuid(), os.getgid()
        try:
            unshare(CLONE_NEWUSER | flags)
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
            Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
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


def setup_mounts(plan: Plan, report: dict[str, Any]) -> None:
    """Inside the new mount (and pid) namespace: private /proc, /tmp, /dev/shm; hide secrets."""
    if not report.get("mount"):
        return
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    if report.get("pid"):
        try:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError as exc:
            report["warnings"].append(f"could not mount a private /proc: {exc}")
    for scratch, size in (("/tmp", plan.workdir_mb), ("/dev/shm", 16), ("/var/tmp", 1)):
        if os.path.isdir(scratch):
            mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=1777")
    hidden = []
    for path in plan.hide:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")
        else:
            mount("/dev/null", path, None, MS_BIND)
        hidden.append(path)
    report["hidden"] = hidden


def prepare_workdir(plan: Plan, uid: int | None) -> str:
    """A private working directory holding the sheet's public files (what students have)."""
    os.makedirs(WORKDIR, exist_ok=True)
    if plan.workdir_source and os.path.isdir(plan.workdir_source):
        skip = set(plan.workdir_skip)
        for entry in os.scandir(plan.workdir_source):
            if entry.name in skip or entry.name.startswith("."):
                continue
            target = os.path.join(WORKDIR, entry.name)
            if entry.is_dir():
                shutil.copytree(entry.path, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(entry.path, target)
    if uid is not None:
        for folder, dirs, files in os.walk(WORKDIR):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, uid, uid)
    return WORKDIR


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


def _set(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _current_vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def drop_privileges(uid: int | None, report: dict[str, Any]) -> None:
    if uid is None or os.geteuid() != 0 or report.get("user_namespace"):
        report["uid"] = os.geteuid() if not report.get("user_namespace") else os.getuid()
        report["separate_uid"] = False
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    report["uid"] = uid
    report["separate_uid"] = True


def scrub_environment(extra: dict[str, str]) -> None:
    """Student code sees no tokens: only a fixed, minimal environment."""
    os.environ.clear()
    os.environ.update({
        "PATH": SAFE_PATH, "HOME": WORKDIR, "TMPDIR": WORKDIR, "LANG": "C.UTF-8",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": os.path.join(WORKDIR, ".hf"), "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(WORKDIR, ".mpl"), "PYTHONDONTWRITEBYTECODE": "1",
    })
    os.environ.update(extra)
