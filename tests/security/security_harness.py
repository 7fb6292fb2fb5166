"""Helpers of the security suite: a fresh course with random secrets, submissions, and the checks.

The course is copied from ``tests/security/course`` into ``build/`` (outside /tmp, which every
sandbox replaces with its own tmpfs, so that what hides the files is the grader's mount rules and
not an accident of where the test put them). Secrets are random per run: an attack can only learn
them by reading them, and a secret found in any student-visible output is a leak.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core.results import SubmissionResult, to_gradescope

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).resolve().parent / "course"
UID_BASE = 64100  # apart from the default 61000, so runs of other test suites never look like survivors
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
WORLD_WRITABLE_HOST_DIRS = ("/run/lock", "/var/lock", "/var/tmp", "/dev/shm")


@dataclass
class Course:
    """A scratch copy of the security course, with its secrets."""

    root: Path
    pwned: Path
    secrets: dict[str, str]
    env_token: str

    @property
    def config_file(self) -> Path:
        return self.root / "course_config.py"

    @property
    def hidden_dir(self) -> Path:
        return self.root / "hidden" / "sec"

    @property
    def reference_dir(self) -> Path:
        return self.root / "sec_reference"

    @property
    def submissions(self) -> Path:
        return self.root / "submissions"

    @property
    def out(self) -> Path:
        return self.root / "build" / "results"

    def distinctive(self) -> list[str]:
        """Random strings that exist only in the hidden suite, the reference, the victim and the env."""
        return [*self.secrets.values(), self.env_token]

    def give_to(self, uid: int) -> None:
        """Make ``uid`` own the course (a grader that runs as that user owns its files)."""
        for path in [self.root, self.pwned, *self.root.rglob("*"), *self.pwned.rglob("*")]:
            os.lchown(path, uid, uid)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.pwned, ignore_errors=True)


def make_course(*, require_all: bool = False, uid_base: int = UID_BASE, isolation: str = "",
                parent: Path = REPO / "build") -> Course:
    """Copy the template course into ``parent`` (``build/``) and fill in fresh secrets.

    ``isolation``: extra ``Isolation(...)`` keyword arguments, e.g. ``"pid_namespace=False"``.
    """
    tag = secrets.token_hex(4)
    root = parent / f"security-{tag}"
    pwned = parent / f"security-{tag}-pwned"
    shutil.copytree(TEMPLATE, root, ignore=shutil.ignore_patterns("__pycache__"))
    pwned.mkdir(parents=True)
    values = {
        "@@HIDDEN_SECRET@@": secrets.token_hex(16),
        "@@REFERENCE_SECRET@@": secrets.token_hex(16),
        "@@HIDDEN_MARKER@@": f"SECRET-LINE-{secrets.token_hex(8)}",
        "@@REFERENCE_MARKER@@": f"SECRET-LINE-{secrets.token_hex(8)}",
        "@@VICTIM_CANARY@@": secrets.token_hex(16),
    }
    for path in root.rglob("*.py"):
        text = path.read_text()
        for token, value in values.items():
            text = text.replace(token, value)
        text = text.replace("uid_base=64100", f"uid_base={uid_base}")
        text = text.replace("require_all=False", f"require_all={require_all}{', ' if isolation else ''}{isolation}")
        path.write_text(text)
    (root / "submissions").mkdir()
    (root / "build" / "results").mkdir(parents=True)
    for folder in (root, root / "build", root.parent):
        os.chmod(folder, 0o755)
    return Course(root=root, pwned=pwned, secrets=values, env_token=secrets.token_hex(16))


def render(source: str, course: Course, *, port: int = 9, abstract: str = "none") -> str:
    """Fill an attack's placeholders: the attacker knows every path, not the secrets."""
    tokens = {
        "@@COURSE_REL@@": str(course.root).lstrip("/"),
        "@@COURSE@@": str(course.root),
        "@@HIDDEN_DIR@@": str(course.hidden_dir),
        "@@HIDDEN_FILE@@": str(course.hidden_dir / "test_sec.py"),
        "@@REFERENCE_DIR@@": str(course.reference_dir),
        "@@REFERENCE_FILE@@": str(course.reference_dir / "__init__.py"),
        "@@OUT@@": str(course.out),
        "@@SUBMISSIONS@@": str(course.submissions),
        "@@VICTIM@@": str(course.submissions / "victim.py"),
        "@@PWNED@@": str(course.pwned),
        "@@REPO@@": str(REPO),
        "@@SITE@@": SITE_PACKAGES,
        "@@PORT@@": str(port),
        "@@ABSTRACT@@": abstract,
        "@@VICTIM_CANARY@@": course.secrets["@@VICTIM_CANARY@@"],
    }
    for token, value in tokens.items():
        source = source.replace(token, value)
    return source


# ------------------------------------------------------------------ what students see


def student_view(result: SubmissionResult) -> str:
    """Everything a student is shown: the Gradescope rendering without staff fields."""
    return json.dumps(to_gradescope(result, include_staff=False))


def leaks(result: SubmissionResult, course: Course) -> list[str]:
    view = student_view(result)
    return [text for text in course.distinctive() if text in view]


def exercise_scores(result: SubmissionResult) -> dict[str, float]:
    return {number: got for number, (got, _) in result.exercise_scores().items()}


# ------------------------------------------------------------------ what survives


def processes_of_uids(uids: range) -> list[str]:
    """``pid uid name`` of every live (non-zombie) process whose real uid is in ``uids``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "0").split()[0])
        if uid in uids and not fields.get("State", "").strip().startswith("Z"):
            found.append(f"{entry} uid={uid} {fields.get('Name', '').strip()}")
    return found


def wait_for_no_processes(uids: range, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = processes_of_uids(uids)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def attack_files_on_host() -> list[str]:
    """Files an attack may have dropped in the host's world-writable folders."""
    found = []
    for folder in WORLD_WRITABLE_HOST_DIRS:
        try:
            found += [f"{folder}/{name}" for name in os.listdir(folder) if name.startswith("sec-attack")]
        except OSError:
            pass
    return found


# ------------------------------------------------------------------ listeners that must stay silent


@dataclass
class Listener:
    """A TCP socket on the host's loopback and an abstract unix socket; counts who got through."""

    port: int = 0
    abstract: str = ""
    connections: list[str] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Listener:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(16)
        self.port = tcp.getsockname()[1]
        self.abstract = f"autograder-security-{secrets.token_hex(6)}"
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind("\0" + self.abstract)
        unix.listen(16)
        self._sockets = [tcp, unix]
        for sock in self._sockets:
            sock.settimeout(0.2)
            threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        return self

    def _accept(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, address = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(repr(address))
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        for sock in self._sockets:
            sock.close()


def python() -> str:
    return sys.executable


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
