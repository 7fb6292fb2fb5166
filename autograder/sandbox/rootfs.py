"""The sandbox's file system: an empty root holding read-only binds of exactly what student code needs.

Built in the sandbox's own mount namespace, before any student code runs (``build_root``): a small
tmpfs becomes the new root; each allow-listed host path is bound into it at its own absolute path
(the zygote is warm, so modules and shared libraries it imports lazily must be found where they
were), with the symbolic links on the way recreated; private tmpfs hold ``/tmp`` (with the working
folder), ``/dev/shm`` and ``/var/tmp``; then ``pivot_root`` (or, where the kernel refuses it, a
chroot) and the old root is detached. No other host path exists for the student: another copy of
the course, the package's own checkout or the grader's home are not hidden, they are absent.

What is bound is listed in docs/security.md ("What the mount namespace does").
"""

from __future__ import annotations

import ctypes
import glob
import os
import re
import stat
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from autograder.sandbox import isolation as iso

#: system folders every Python needs (the interpreter's shared libraries, the loader, /bin/sh)
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: the few /etc files Python, glibc (loader, locale, time zone) and torch read; nothing else of /etc
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/timezone",
             "/etc/locale.alias", "/etc/locale.gen", "/etc/nsswitch.conf", "/etc/alternatives", "/etc/os-release",
             "/etc/mime.types", "/etc/fonts")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
#: what CUDA opens besides the libraries under /usr: the device nodes and the topology in /sys
GPU_PATHS = ("/dev/nvidia*", "/dev/nvidia-caps", "/dev/dri", "/sys", "/run/nvidia-persistenced")
#: without a GPU, /sys only for the CPU topology (glibc's and torch's CPU counts)
CPU_SYS = ("/sys/devices/system/cpu",)
#: where the private tmpfs go, and their sizes in MB (None: Plan.workdir_mb)
SCRATCH = (("/tmp", None), ("/dev/shm", 16), ("/var/tmp", 1))
# Per-mount options as /proc/self/mountinfo spells them; a read-only remount must repeat them (in a
# user namespace the kernel refuses to clear flags that were locked when the namespace was made).
_MOUNT_OPTION_FLAGS = {"nosuid": iso.MS_NOSUID, "nodev": iso.MS_NODEV, "noexec": iso.MS_NOEXEC,
                       "noatime": iso.MS_NOATIME, "nodiratime": iso.MS_NODIRATIME, "relatime": iso.MS_RELATIME,
                       "strictatime": iso.MS_STRICTATIME}

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203, "s390x": 217}


#: where the new root is assembled (any existing folder: its own contents stay reachable through descriptors)
STAGES = ("/mnt", "/media", "/srv", "/opt", "/tmp")


def setup_mounts(plan: iso.Plan, report: dict[str, Any]) -> str | None:
    """In the sandbox's mount namespace: build the allow-listed root and enter it. The working folder,
    or None without a mount namespace (then the caller makes one in the host's /tmp)."""
    if not report.get("mount"):
        return None
    iso.mount("none", "/", None, iso.MS_REC | iso.MS_PRIVATE)
    stages = [d for d in STAGES if os.path.isdir(d) and not os.path.islink(d)]
    used = [plan.workdir_source or "", *plan.allow, *plan.secret_roots]
    # any stage works (what it covers stays reachable through descriptors); an unused one is simplest
    stage = next((d for d in stages if not any(_within(p, d) for p in used)), stages[0] if stages else None)
    if stage is None:
        raise OSError(f"no folder to build the sandbox's root in (one of {', '.join(STAGES)})")
    return build_root(plan, report, stage)


def python_paths(secret_roots: Sequence[str]) -> list[str]:
    """The interpreter, its standard library, site-packages and the ``autograder`` package folder, as
    this process (the zygote) found them.

    Only ``sys.path`` entries inside the Python environment (its prefixes) are kept: not the current
    folder, nor the checkout an editable install adds. One that is a course root or holds one is
    left out too. The package is bound alone, never the checkout around it: the sandbox runtime
    imports it, but the checkout's other entries (its reference and hidden suite) stay out.
    """
    import autograder

    envs = [os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    roots = [os.path.realpath(r) for r in secret_roots]
    # the interpreter's installation whole (/usr, a conda or uv Python: its lib/ holds the shared
    # libraries of lib-dynload's modules); of a virtual environment only what Python reads
    paths = [sys.executable, os.path.join(sys.prefix, "pyvenv.cfg"), sys.base_prefix, *_mapped_folders()]
    paths += [entry for entry in sys.path if entry and os.path.isabs(entry)
              and any(_within(os.path.realpath(entry), env) for env in envs)]

    def allowed(path: str) -> bool:
        real = os.path.realpath(path)
        if any(_within(root, real) for root in roots):
            return False  # the path is a course root or holds one
        return not any(_within(real, root) for root in roots) or any(_within(real, env) for env in envs)

    return [os.path.dirname(autograder.__file__), *filter(allowed, paths)]


def _mapped_folders() -> list[str]:
    """Folders of the shared libraries this process has loaded (found the way the loader found them):
    a library that a lazily imported module loads later usually lies next to one of them."""
    folders = set()
    try:
        with open("/proc/self/maps") as handle:
            for line in handle:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith("/") and ".so" in fields[5]:
                    folders.add(os.path.dirname(fields[5].strip()))
    except OSError:
        return []
    return sorted(f for f in folders if not f.startswith(("/proc", "/dev", "/tmp", "/var/tmp", "/run", "/memfd")))


def wanted_paths(plan: iso.Plan) -> list[str]:
    """Every host path the new root shows (as the host names it; symbolic links are followed later)."""
    wanted = [*SYSTEM_PATHS, *ETC_FILES, *DEVICES, *python_paths(plan.secret_roots), *plan.allow]
    return wanted + (_globbed(GPU_PATHS) if plan.gpu else list(CPU_SYS))


def build_root(plan: iso.Plan, report: dict[str, Any], stage: str) -> str:
    """Make ``stage`` (an existing folder) the sandbox's root, bound as the plan asks; the working folder.

    Called in the sandbox's mount namespace after ``/`` was made private. Everything about the host
    is looked up before the stage's tmpfs covers ``stage``: what to bind (held open as ``O_PATH``
    descriptors, so a path beneath ``stage`` can still be bound), the links to recreate, the secrets.
    """
    wanted = wanted_paths(plan)
    binds = _binds(wanted)
    layout = [step for path in wanted for step in _links_on_the_way(path, binds)]
    folders = {path: os.path.isdir(path) for path in binds}
    secrets = [(path, os.path.realpath(path)) for path in plan.hide if os.path.lexists(path)]
    fds = _open_all(binds, report)
    source = plan.workdir_source if plan.workdir_source and os.path.isdir(plan.workdir_source) else None
    source_fd = os.open(source, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) if source else None
    try:
        iso.mount("tmpfs", stage, "tmpfs", iso.MS_NOSUID | iso.MS_NODEV, "size=2m,mode=755")
        _scratch(plan, stage)  # first: a project under /tmp (a CI clone) is bound into the private /tmp
        for kind, path, target in layout:
            if kind == "dir":
                os.makedirs(stage + path, exist_ok=True)
            elif not os.path.lexists(stage + path):
                os.symlink(target, stage + path)
        for path, fd in fds.items():
            try:
                _bind(f"/proc/self/fd/{fd}", stage + path, directory=folders[path])
            except OSError as exc:
                report["warnings"].append(f"could not bind {path} into the sandbox's root ({exc.strerror})")
        iso.prepare_workdir(plan, plan.uid, target=stage + iso.WORKDIR,
                            source=f"/proc/self/fd/{source_fd}" if source_fd is not None else None)
    finally:
        for fd in [*fds.values(), *([source_fd] if source_fd is not None else [])]:
            os.close(fd)
    for folder in ("/proc", "/dev", "/etc"):
        os.makedirs(stage + folder, exist_ok=True)
    _dev_links(stage)
    _write_etc(stage, plan)
    make_read_only(report, stage, binds=[stage + b for b in binds])
    report["hidden"] = _cover_secrets(secrets, stage)
    _private_proc(report, stage)
    report["bound"] = sorted(fds)
    report["root"] = _enter(stage, report)
    os.chdir(iso.WORKDIR)
    return iso.WORKDIR


def _open_all(paths: Sequence[str], report: dict[str, Any]) -> dict[str, int]:
    """``O_PATH`` descriptors of ``paths``; one this process cannot reach is left out, and said so."""
    fds = {}
    for path in paths:
        try:
            fds[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError as exc:
            report["warnings"].append(f"could not bind {path} into the sandbox's root ({exc.strerror})")
    return fds


def _globbed(patterns: Iterable[str]) -> list[str]:
    return [match for pattern in patterns for match in (glob.glob(pattern) if "*" in pattern else [pattern])]


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _binds(wanted: Iterable[str]) -> list[str]:
    """The real host paths to bind: each wanted path resolved, those inside another one dropped."""
    real = sorted({os.path.realpath(p) for p in wanted if os.path.lexists(p) and os.path.exists(p)})
    kept: list[str] = []
    for path in real:  # sorted: a folder comes before what lies inside it
        if not any(_within(path, folder) for folder in kept):
            kept.append(path)
    return kept


def _links_on_the_way(path: str, binds: Sequence[str], depth: int = 0) -> list[tuple[str, str, str]]:
    """The folders and symbolic links to recreate in the stage on the way to ``path`` (``/lib ->
    usr/lib``, a venv's ``bin/python``), so that it resolves in the sandbox as on the host.

    Nothing is made inside a bind (that would write to the host): from there the bind shows the rest.
    """
    steps: list[tuple[str, str, str]] = []
    if depth > 16 or not os.path.isabs(path):
        return steps
    current = ""
    for part in [p for p in path.split("/") if p]:
        current = f"{current}/{part}"
        if any(_within(current, folder) for folder in binds):
            return steps
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return steps
        if stat.S_ISLNK(mode):
            target = os.readlink(current)
            steps.append(("link", current, target))
            steps += _links_on_the_way(os.path.normpath(os.path.join(os.path.dirname(current), target)), binds,
                                       depth + 1)
            rest = path[len(current):]
            if rest:
                steps += _links_on_the_way(os.path.realpath(current) + rest, binds, depth + 1)
            return steps
        if not stat.S_ISDIR(mode):
            return steps
        steps.append(("dir", current, ""))
    return steps


def _bind(source: str, target: str, *, directory: bool) -> None:
    os.makedirs(target if directory else os.path.dirname(target), exist_ok=True)
    if not directory and not os.path.lexists(target):
        with open(target, "w"):
            pass
    iso.mount(source, target, None, iso.MS_BIND | iso.MS_REC)


def _dev_links(stage: str) -> None:
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.makedirs(f"{stage}/dev", exist_ok=True)
        if not os.path.lexists(f"{stage}/dev/{name}"):
            os.symlink(target, f"{stage}/dev/{name}")


def _write_etc(stage: str, plan: iso.Plan) -> None:
    """A passwd and group that name only root, the student and nobody (not the host's users)."""
    uid = plan.uid if plan.uid is not None else os.getuid()
    gid = plan.uid if plan.uid is not None else os.getgid()
    os.makedirs(f"{stage}/etc", exist_ok=True)
    files = {
        "passwd": f"root:x:0:0:root:/root:/usr/sbin/nologin\nstudent:x:{uid}:{gid}:student:{iso.WORKDIR}:"
                  "/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "group": f"root:x:0:\nstudent:x:{gid}:\nnogroup:x:65534:\n",
        "hosts": "127.0.0.1 localhost\n::1 localhost\n",
        "hostname": "sandbox\n",
    }
    for name, text in files.items():
        if not os.path.lexists(f"{stage}/etc/{name}"):
            with open(f"{stage}/etc/{name}", "w") as handle:
                handle.write(text)


def _scratch(plan: iso.Plan, stage: str) -> None:
    """Private tmpfs for /tmp (``Plan.workdir_mb``), /dev/shm and /var/tmp."""
    for folder, size in SCRATCH:
        os.makedirs(stage + folder, exist_ok=True)
        size_mb = plan.workdir_mb if size is None else size
        iso.mount("tmpfs", stage + folder, "tmpfs", iso.MS_NOSUID | iso.MS_NODEV, f"size={size_mb}m,mode=1777")


def make_read_only(report: dict[str, Any], stage: str, binds: Sequence[str] = ()) -> None:
    """Remount every mount of the stage's tree read-only (its binds, what they brought along, the stage).

    Each remount repeats the mount's own flags: in a user namespace the kernel refuses to clear
    flags that were locked when the namespace was made. A mount that still refuses is covered by an
    empty read-only tmpfs when it is not itself one of the sandbox's binds (a submount that a
    recursive bind brought along, such as a container's storage), else reported. The scratch tmpfs
    stay writable; devices keep working (a read-only mount does not stop writes to a device node).
    """
    scratch = {stage + folder for folder, _ in SCRATCH}
    devices = {b for b in binds if _within(b, stage + "/dev")}
    top = {stage, *binds}
    failed = []
    for point, options in _tree(stage):
        if point in scratch:
            continue
        flags = iso.MS_REMOUNT | iso.MS_BIND | iso.MS_RDONLY | iso.MS_NOSUID
        flags |= 0 if point in devices else iso.MS_NODEV
        for option in options:
            flags |= _MOUNT_OPTION_FLAGS.get(option, 0)
        try:
            iso.mount("none", point, None, flags)
        except OSError:
            if not _cover(point, top, report):
                failed.append(point[len(stage):] or "/")
    report["read_only"] = not failed
    if failed:
        report["warnings"].append(f"could not make {len(failed)} mount(s) read-only: {', '.join(failed[:5])}")


def _tree(stage: str) -> list[tuple[str, list[str]]]:
    """``(mount point, options)`` of the mount on ``stage`` and every mount beneath it, parents first.

    Found by mount ids, not by path: mounts of the host that the stage's tmpfs now covers have
    paths under ``stage`` too, but are not part of the new root.
    """
    table = _mount_table()
    ids = [mount_id for mount_id, _, point, _ in table if point == stage]
    if not ids:
        return []
    tree, result = {ids[-1]}, []
    for mount_id, parent, point, options in table:  # the kernel lists a parent before its children
        if mount_id in tree or parent in tree:
            tree.add(mount_id)
            result.append((point, options))
    return result


def _cover(point: str, top: set[str], report: dict[str, Any]) -> bool:
    if point in top:
        return False
    try:
        iso.mount("tmpfs", point, "tmpfs", iso.MS_RDONLY | iso.MS_NOSUID | iso.MS_NODEV | iso.MS_NOEXEC,
                  "size=4k,mode=000")
    except OSError:
        return False
    report.setdefault("covered", []).append(point)
    return True


def _cover_secrets(secrets: Sequence[tuple[str, str]], stage: str) -> list[str]:
    """A secret the allow-list still shows (say, a venv made inside the hidden folder) is covered."""
    covered = []
    for path, real in secrets:
        inside = stage + real
        if not os.path.lexists(inside):
            continue
        if os.path.isdir(inside):
            iso.mount("tmpfs", inside, "tmpfs", iso.MS_RDONLY | iso.MS_NOSUID | iso.MS_NODEV, "size=4k,mode=000")
        else:
            iso.mount(stage + "/dev/null", inside, None, iso.MS_BIND)
        covered.append(path)
    return covered


def _private_proc(report: dict[str, Any], stage: str) -> None:
    """A /proc of the sandbox's own pid namespace; without one (or where refused), the host's, bound."""
    target = f"{stage}/proc"
    if report.get("pid"):
        try:
            iso.mount("proc", target, "proc", iso.MS_NOSUID | iso.MS_NODEV | iso.MS_NOEXEC)
            return
        except OSError as exc:
            report["warnings"].append(f"could not mount a private /proc: {exc}")
    iso.mount("/proc", target, None, iso.MS_BIND | iso.MS_REC)


def _enter(stage: str, report: dict[str, Any]) -> str:
    """pivot_root into ``stage`` and detach the old root; a chroot where pivot_root is refused."""
    os.chdir(stage)
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    libc = ctypes.CDLL(None, use_errno=True)
    if number is not None and libc.syscall(number, b".", b".") == 0:
        iso.umount(".")  # the old root, stacked on the new one by pivot_root(".", ".")
        os.chdir("/")
        return "pivot_root"
    errno = ctypes.get_errno()
    report["warnings"].append(f"pivot_root refused ({os.strerror(errno) if number else 'unknown system call'}): "
                              "chroot into the allow-listed root instead")
    os.chroot(stage)
    os.chdir("/")
    return "chroot"


def _mount_table() -> list[tuple[int, int, str, list[str]]]:
    """``(mount id, parent id, mount point, per-mount options)`` from /proc/self/mountinfo."""
    table = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])  # \040 is a space
            table.append((int(fields[0]), int(fields[1]), point, fields[5].split(",")))
    return table
