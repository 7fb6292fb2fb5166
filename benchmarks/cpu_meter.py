"""CPU seconds of a command and every process it starts, sandboxes included.

``resource.getrusage(RUSAGE_CHILDREN)`` misses what a grading spends in its sandboxes (they are
forked by a zygote and reaped inside their own PID namespace, so their time never reaches our
rusage: measured, it reported 2 CPU-s for a complete notebook whose QA training alone takes 4).
A cpuacct cgroup counts every task started inside it, however it is reaped. This module puts the
command in a fresh cgroup (v1 ``cpuacct`` or v2 ``cpu.stat``; needs root) and reads its usage; where
no cgroup can be made it falls back to rusage and says so (``CpuUsage.method``).
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

V1 = Path("/sys/fs/cgroup/cpuacct")
V2_CANDIDATES = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


@dataclass(frozen=True)
class CpuUsage:
    cpu_s: float
    wall_s: float
    method: str  # "cgroup-v1", "cgroup-v2" or "rusage (sandboxes not counted)"
    returncode: int


def _make_group() -> tuple[Path, str] | None:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    if os.geteuid() != 0:
        return None
    if (V1 / "cpuacct.usage").is_file():
        try:
            group = V1 / name
            group.mkdir()
            return group, "cgroup-v1"
        except OSError:
            pass
    for root in V2_CANDIDATES:
        if (root / "cgroup.controllers").is_file():
            try:
                group = root / name
                group.mkdir()
                return group, "cgroup-v2"
            except OSError:
                continue
    return None


def _usage_s(group: Path, method: str) -> float:
    if method == "cgroup-v1":
        return int((group / "cpuacct.usage").read_text()) / 1e9
    for line in (group / "cpu.stat").read_text().splitlines():
        key, value = line.split()
        if key == "usage_usec":
            return int(value) / 1e6
    return 0.0


def run_measured(command: list[str], **kwargs) -> CpuUsage:
    """Run ``command`` (``subprocess.run`` keyword arguments allowed) and return its CPU and wall time."""
    made = _make_group()
    began = time.monotonic()
    if made is None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, check=False, **kwargs)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return CpuUsage(cpu, time.monotonic() - began, "rusage (sandboxes not counted)", done.returncode)
    group, method = made
    procs = str(group / "cgroup.procs")

    def enter() -> None:  # runs in the child before exec: it and all it starts are counted
        with open(procs, "w") as f:
            f.write(str(os.getpid()))

    try:
        done = subprocess.run(command, preexec_fn=enter, check=False, **kwargs)
        wall = time.monotonic() - began
        for _ in range(50):  # stragglers (a sandbox being torn down) still count; wait for them
            if not (group / "cgroup.procs").read_text().strip():
                break
            time.sleep(0.1)
        cpu = _usage_s(group, method)
    finally:
        try:
            group.rmdir()
        except OSError:
            pass
    return CpuUsage(cpu, wall, method, done.returncode)
