"""The judge's memory limit (RLIMIT_DATA above what it holds when forked)."""

from __future__ import annotations

import contextlib
from pathlib import Path


def limit_memory(extra_mb: int) -> None:
    """Let this process take at most ``extra_mb`` more memory than it holds now (RLIMIT_DATA).

    What the judge decodes from the sandbox is bounded per call (``Limits.max_return_mb``); this
    bounds what a hidden test keeps of many calls, and anything else one submission makes the
    judge hold: past it an allocation raises MemoryError (that check fails) instead of the host's
    OOM killer choosing a victim among N judges. The data segment, not the address space: CUDA
    reserves far more address space than it uses, and torch's and glibc's large blocks are private
    writable mappings, which RLIMIT_DATA counts.
    """
    import resource

    data_kb = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmData:"):
                data_kb = int(line.split()[1])
    limit = data_kb * 1024 + extra_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
