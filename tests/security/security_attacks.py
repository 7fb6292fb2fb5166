"""Hostile submissions for the security course, each with what it may score at most.

Every attack is a ``.py`` submission (cells split at ``# %%``) written into the batch with its
``@@TOKEN@@`` placeholders filled in by :func:`security_harness.render`: the attacker is assumed to
know the grader's layout (absolute paths of the course, the hidden suite, the reference, the
results folder and another student's submission), but not the random secrets.

Scoring is checked against honest work of the same quality: ``expect`` is the exact score per
exercise that the honest part of the attack earns; ``at_most`` bounds the total where the attack
may also sabotage its own honest part (a fork storm that leaves no room for threads). The
``leak`` exercise can only be passed by reading a secret, so it must always be 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from security_payloads_files import (
    COPY_VICTIM,
    ENV_SECRETS,
    FAKE_RESULTS,
    FILESYSTEM_HUNT,
    IMPORT_REFERENCE,
    MAGICS,
    MEMORY_SCAN,
    PRIVILEGE,
    PROC_SCAN,
    READ_ABSOLUTE,
    READ_RELATIVE,
    UNMOUNT_HIDDEN,
    WRITE_OUTSIDE,
)
from security_payloads_processes import (
    BACKGROUND,
    CLOSE_RPC,
    DISK_FILL,
    EXCEPTIONS_AT_IMPORT,
    FLOOD,
    FORGED_CELL_REPLY,
    FORK_STORM,
    FORK_STORM_IMPORT,
    HOSTILE_EXCEPTIONS,
    IGNORE_SIGNALS,
    INSPECT,
    KILL_PARENT,
    MEMORY_BOMB_IMPORT,
    MEMORY_BOMB_ITEM,
    NETWORK,
    OS_EXIT,
    RPC_HIJACK,
    SEGFAULT_ITEM,
    STD_STREAMS,
    SWALLOW_ALARM,
    SYS_EXIT,
    THREAD_STORM,
)
from security_payloads_values import (
    CUSTOM_EQ,
    FAKE_CONFIG,
    MONKEYPATCH,
    NESTED_AND_HUGE,
    REDUCE_PAYLOAD,
    SUBCLASS_VALUES,
    TENSOR_SUBCLASS,
)

# ------------------------------------------------------------------ honest building blocks

HONEST = '''
ANSWER = 42

def add(a, b):
    return a + b
'''

FULL = HONEST + '''
import torch

def softmax(x):
    e = torch.exp(x - x.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)

def summary(values):
    ordered = sorted(values)
    return {"n": len(values), "total": sum(values), "label": f"{len(values)} values", "sorted": ordered}

class Counter:
    def __init__(self, start=0):
        self.value = start

    def bump(self, by=1):
        self.value += by
        return self.value

def slow(n):
    return n
'''

# The loot box: attacks add whatever they read to LOOT; the guesses search it for the secrets and
# print what they found, so a leak shows up both in the score and in the student-visible output.
LOOT = '''
import re as _re
LOOT = ""

def _find(pattern):
    found = _re.search(pattern, LOOT)
    return found.group(1) if found else "nothing found"

def guess_reference():
    return _find(r'REFERENCE_SECRET = "([^"]+)"')

def guess_hidden():
    return _find(r'HIDDEN_SECRET = "([^"]+)"')

def _report():
    print("LOOT", len(LOOT), guess_reference(), guess_hidden(), _find(r'(VICTIM_CANARY = "[^"]+")'),
          _find(r'(AUTOGRADER_SEC_TOKEN=[0-9a-f]+)'), _find(r'(SECRET-LINE-[0-9a-f]+)'))
    for line in LOOT.splitlines():
        if "SECRET" in line or "CANARY" in line:
            print("LOOT LINE", line[:200])
'''

HONEST_SCORE = {"honest": 3.0, "leak": 0.0, "values": 0.0, "objects": 0.0, "timing": 0.0}
FULL_SCORE = {"honest": 3.0, "leak": 0.0, "values": 4.0, "objects": 2.0, "timing": 1.0}
FULL_BUT_TIMING = {**FULL_SCORE, "timing": 0.0}


def cells(*sources: str) -> str:
    """A percent-format ``.py`` file: one ``# %%`` cell per source."""
    return "".join(f"# %%\n{source.strip()}\n\n" for source in sources)


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    source: str
    expect: dict[str, float] | None = None
    at_most: float | None = None



# ------------------------------------------------------------------ the catalog

ATTACKS: list[Attack] = [
    Attack("r01_read_absolute", "read the hidden suite, reference and course by absolute path",
           cells(HONEST, LOOT, READ_ABSOLUTE), HONEST_SCORE),
    Attack("r02_read_relative", "relative paths from the workdir, sys.path and the given module",
           cells(HONEST, LOOT, READ_RELATIVE), HONEST_SCORE),
    Attack("r03_proc_scan", "/proc/<pid>/{cwd,root,fd,environ,cmdline}, /proc/1/.., mount points, pids",
           cells(HONEST, LOOT, PROC_SCAN), HONEST_SCORE),
    Attack("r04_import_reference", "import the reference and the hidden test module",
           cells(HONEST, LOOT, IMPORT_REFERENCE), HONEST_SCORE),
    Attack("r05_memory_scan", "search the sandbox's own memory (inherited from the zygote) for secrets",
           cells(HONEST, LOOT, MEMORY_SCAN), HONEST_SCORE),
    Attack("r06_filesystem_hunt", "walk the file system for any copy of the secrets",
           cells(HONEST, LOOT, FILESYSTEM_HUNT), HONEST_SCORE),
    Attack("r07_copy_victim", "copy another submission of the batch and its result",
           cells(HONEST, LOOT, COPY_VICTIM), HONEST_SCORE),
    Attack("r08_env_secrets", "read tokens from the environment and /proc/*/environ",
           cells(HONEST, LOOT, ENV_SECRETS), HONEST_SCORE),
    Attack("r09_unmount_hidden", "unmount the hiding mounts, own namespaces, bind mounts",
           cells(HONEST, LOOT, UNMOUNT_HIDDEN), HONEST_SCORE),
    Attack("r10_privilege", "setuid(0), raise rlimits, setuid binaries", cells(HONEST, LOOT, PRIVILEGE),
           HONEST_SCORE),
    Attack("r11_shell_magics", "!cat, %run and os.popen of the hidden files", cells(HONEST, LOOT, MAGICS),
           HONEST_SCORE),
    Attack("l01_inspect", "report its own limits, uid, environment and capabilities", cells(HONEST, INSPECT),
           HONEST_SCORE),
    Attack("w01_write_outside", "overwrite results, the victim, the hidden suite, the venv",
           cells(HONEST, WRITE_OUTSIDE), HONEST_SCORE),
    Attack("w02_disk_fill", "fill every writable folder", cells(FULL, DISK_FILL), FULL_SCORE),
    Attack("f01_fake_results", "print fake result JSON on stdout and stderr", cells(HONEST, FAKE_RESULTS),
           HONEST_SCORE),
    Attack("e01_os_exit", "os._exit at import (a later cell)", cells(FULL, OS_EXIT), FULL_SCORE),
    Attack("e02_sys_exit", "sys.exit at import", cells(FULL, SYS_EXIT), FULL_SCORE),
    Attack("e03_exceptions_at_import", "KeyboardInterrupt, SystemExit, hostile __str__, huge message",
           cells(FULL, *EXCEPTIONS_AT_IMPORT), FULL_SCORE),
    Attack("e04_hang_at_import", "an endless loop at import (a later cell)", cells(FULL, "while True:\n    pass"),
           FULL_SCORE),
    Attack("k01_kill_parent", "kill/stop the parent, the process group and everything (-1)",
           cells(FULL, KILL_PARENT), FULL_SCORE),
    Attack("k02_ignore_signals", "ignore SIGALRM/SIGTERM and catch BaseException in a loop",
           cells(FULL, IGNORE_SIGNALS), FULL_BUT_TIMING),
    Attack("k03_swallow_alarm", "disarm the soft timer and replace the SIGALRM handler",
           cells(FULL, SWALLOW_ALARM), FULL_BUT_TIMING),
    Attack("k04_fork_storm_item", "fork storm of busy processes inside one item",
           cells(FULL, FORK_STORM), FULL_BUT_TIMING),
    Attack("k05_fork_storm_import", "hundreds of sleeping children at import", cells(FULL, FORK_STORM_IMPORT),
           None, at_most=10.0),
    Attack("k06_thread_storm", "a thousand threads at import", cells(FULL, THREAD_STORM), None, at_most=10.0),
    Attack("m01_memory_bomb_item", "allocate until the limit inside one item", cells(FULL, MEMORY_BOMB_ITEM),
           FULL_BUT_TIMING),
    Attack("m02_memory_bomb_import", "allocate until the limit at import", cells(FULL, MEMORY_BOMB_IMPORT),
           FULL_SCORE),
    Attack("m03_segfault_item", "crash the interpreter inside one item", cells(FULL, SEGFAULT_ITEM),
           FULL_BUT_TIMING),
    Attack("o01_flood", "flood stdout and stderr, also from a thread", cells(HONEST, FLOOD), HONEST_SCORE),
    Attack("n01_network", "TCP to the host's loopback and the internet, DNS, UDP, abstract sockets",
           cells(HONEST, NETWORK), HONEST_SCORE),
    Attack("v01_monkeypatch", "patch torch, math, numpy, pytest and the compare helpers in the sandbox",
           cells(HONEST, MONKEYPATCH), HONEST_SCORE),
    Attack("v02_tensor_subclass", "tensor subclass with __torch_function__ and __eq__ that lie",
           cells(HONEST, TENSOR_SUBCLASS), HONEST_SCORE),
    Attack("v03_custom_eq", "objects, int and str subclasses whose __eq__ is always True",
           cells(CUSTOM_EQ), {"honest": 0.0, "leak": 0.0, "values": 0.0, "objects": 0.0, "timing": 0.0}),
    Attack("v04_reduce_payload", "__reduce__ payloads, pickled bytes, object arrays",
           cells(HONEST, REDUCE_PAYLOAD), HONEST_SCORE),
    Attack("v05_nested_and_huge", "deep, self-referential, huge and oversized return values",
           cells(HONEST, NESTED_AND_HUGE), HONEST_SCORE),
    Attack("v06_subclass_values", "subclasses whose conversion hooks raise (the value held is sent)",
           cells(HONEST, SUBCLASS_VALUES), {**HONEST_SCORE, "timing": 1.0}),
    Attack("v07_fake_config", "a fake transformers config whose to_dict() is hostile", cells(HONEST, FAKE_CONFIG),
           HONEST_SCORE),
    Attack("b01_background", "setsid double fork daemon, nohup, daemon thread writing files",
           cells(FULL, BACKGROUND), FULL_SCORE),
    Attack("p01_rpc_hijack", "write forged and oversized replies on the RPC socket",
           cells(HONEST, RPC_HIJACK), None, at_most=4.0),
    Attack("p02_hostile_exceptions", "exceptions whose name, message or str are hostile",
           cells(HONEST, HOSTILE_EXCEPTIONS), HONEST_SCORE),
    Attack("p03_std_streams", "read stdin, close stdout/stderr", cells(FULL, STD_STREAMS), FULL_SCORE),
    Attack("p04_close_rpc", "close every descriptor, the RPC socket included", cells(FULL, CLOSE_RPC),
           FULL_SCORE),
    Attack("p05_forged_cell_reply", "forge the reply to the judge's request to run a cell",
           cells(FULL, FORGED_CELL_REPLY), FULL_SCORE),
]

# One honest submission is the victim others try to copy; controls placed around the attacks show
# that no attack changes another submission's grade.
VICTIM = cells(FULL + '\nVICTIM_CANARY = "@@VICTIM_CANARY@@"\n')
CONTROL = cells(FULL)

