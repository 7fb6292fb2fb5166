"""podman for the container tests: the course image, a course folder, service containers.

Every container and volume a test makes has a unique name (``agtest-<run>-...``) and is removed
when the test ends, whatever happened. podman runs with deploy/local/containers-conf.sh's settings
(runc, explicit ulimits) through ``CONTAINERS_CONF``, so the machine's own configuration does not
matter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "service"))
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from svc_fakehub import token_for

IMAGE = os.environ.get("AUTOGRADER_TEST_IMAGE", "autograder:local")
PREFIX = "/services/autograder/"
SERVICE_TOKEN = "service-secret"
# The flags docs/deploy.md recommends for a grading container (the hub config's service command too).
RECOMMENDED = ["--user", "0", "--cap-add", "SYS_ADMIN", "--security-opt", "apparmor=unconfined"]
RUN_ID = uuid.uuid4().hex[:8]


class Podman:
    """``podman`` with this run's containers.conf; remembers what it created, to remove it."""

    def __init__(self, conf: Path) -> None:
        self.env = dict(os.environ, CONTAINERS_CONF=str(conf))
        self.containers: list[str] = []
        self.volumes: list[str] = []

    def __call__(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["podman", *args], check=False, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
        return done

    def name(self, what: str) -> str:
        return f"agtest-{RUN_ID}-{what}-{uuid.uuid4().hex[:6]}"

    def volume(self, what: str) -> str:
        name = self.name(what)
        self("volume", "create", name)
        self.volumes.append(name)
        return name

    def cleanup(self) -> None:
        for name in reversed(self.containers):
            self("rm", "--force", "--time", "5", name, check=False, timeout=120)
        for name in self.volumes:
            self("volume", "rm", "--force", name, check=False, timeout=120)
        self.containers.clear()
        self.volumes.clear()


def course_folder(points: dict[str, int]) -> Path:
    """A course for the containers: Sheet 3.2 (reference, hidden suite) and the toy sheet.

    In /var/tmp with mode 755, so that the image's non-root users can read it as well.
    """
    course = Path(tempfile.mkdtemp(prefix=f"agtest-{RUN_ID}-course-", dir="/var/tmp"))
    course.chmod(0o755)
    shutil.copytree(ROOT / "assignments", course / "assignments")
    shutil.copytree(ROOT / "reference", course / "reference")
    shutil.copytree(ROOT / "sheets" / "sheet_3_2", course / "sheets" / "sheet_3_2")  # its written questions
    shutil.copytree(ROOT / "tests" / "hidden" / "sheet_3_2", course / "tests" / "hidden" / "sheet_3_2")
    toy = ROOT / "tests" / "toy_course"
    shutil.copytree(toy / "assignments" / "toy", course / "assignments" / "toy")
    shutil.copytree(toy / "hidden" / "toy", course / "tests" / "hidden" / "toy")
    shutil.copytree(toy / "toy_reference", course / "toy_reference")
    (course / "build").mkdir()
    (course / "course_config.py").write_text(f'''"""The container tests' course: Sheet 3.2 and the toy sheet."""
from autograder.core.config import CourseConfig, Limits, SheetConfig

config = CourseConfig(
    course="container tests",
    sheets={{
        "sheet_3_2": SheetConfig(name="sheet_3_2", assignment_dir="assignments/sheet_3_2",
                                 notebook="sheet_3_2.ipynb", public_checks="public_checks.py",
                                 reference_module="reference.sheet_3_2", hidden_dir="tests/hidden/sheet_3_2",
                                 master="sheets/sheet_3_2/master.md", points={points!r}),
        "toy": SheetConfig(name="toy", assignment_dir="assignments/toy", notebook="toy.ipynb",
                           public_checks="public_checks.py", reference_module="toy_reference",
                           hidden_dir="tests/hidden/toy", points={{"basics": 4, "tensors": 3, "objects": 3}}),
    }},
    limits=Limits(cell_timeout_s=60, test_timeout_s=60, memory_mb=6144, torch_threads=1),
)
''')
    for path in course.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return course


def toy_notebook(extra_cell: str = "") -> bytes:
    """The toy sheet's correct answers as a notebook, plus ``extra_cell`` at the end."""
    import nbformat

    cells = [c.strip() for c in (ROOT / "tests/toy_course/submissions/correct.py").read_text().split("# %%")]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells + [extra_cell] if c])
    return nbformat.writes(notebook).encode()


@dataclass
class ServiceContainer:
    """``autograder serve`` in a container, reached through its published port."""

    podman: Podman
    name: str
    url: str = ""
    started: float = field(default_factory=time.monotonic)

    def wait_healthy(self, timeout: float = 300) -> float:
        """Seconds from start to a healthy service (the port is published again on each start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.podman("inspect", "--format", "{{.State.Status}}", self.name, check=False).stdout.strip()
            if state in ("exited", "stopped", "dead"):
                raise AssertionError(f"the service container {state}:\n{self.logs()}")
            port = self.podman("port", self.name, "10101/tcp", check=False).stdout.strip()
            if port:
                self.url = f"http://127.0.0.1:{port.rsplit(':', 1)[1]}{PREFIX}"
                try:
                    if httpx.get(self.url + "health", timeout=5).status_code == 200:
                        return time.monotonic() - self.started
                except httpx.HTTPError:
                    pass
            time.sleep(1)
        raise AssertionError(f"the service was not healthy within {timeout} s:\n{self.logs()}")

    def logs(self) -> str:
        done = self.podman("logs", self.name, check=False)
        return (done.stdout + done.stderr)[-6000:]

    def submit(self, user: str, sheet: str, data: bytes, filename: str = "submission.ipynb") -> int:
        answer = httpx.post(self.url + "api/submissions", headers=auth(user), data={"sheet": sheet},
                            files={"file": (filename, data)}, timeout=60)
        assert answer.status_code == 202, answer.text
        return int(answer.json()["id"])

    def view(self, user: str, submission: int) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}api/submissions/{submission}", headers=auth(user), timeout=60)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def wait_result(self, user: str, submission: int, timeout: float = 900) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.view(user, submission)
            if view["result"] is not None and view["status"] not in ("queued", "running"):
                return view
            time.sleep(2)
        raise AssertionError(f"no result for submission {submission} within {timeout} s:\n{self.logs()}")

    def stop(self, timeout: int = 90) -> int:
        """SIGTERM (tini forwards it), SIGKILL after ``timeout`` s; returns the exit code."""
        self.podman("stop", "--time", str(timeout), self.name, timeout=timeout + 60)
        return int(self.podman("inspect", "--format", "{{.State.ExitCode}}", self.name).stdout.strip())

    def start(self) -> None:
        self.started = time.monotonic()
        self.podman("start", self.name)


def start_service(podman: Podman, *, course: Path, volume: str, hub_port: int, flags: list[str]) -> ServiceContainer:
    """The image's default command (``autograder serve``) with the course mounted read-only."""
    name = podman.name("service")
    podman.containers.append(name)
    podman(
        "run", "--detach", "--name", name, *flags,
        "--volume", f"{course}:/srv/course:ro", "--volume", f"{volume}:/srv/course/build",
        "--publish", "127.0.0.1::10101",
        "--env", f"JUPYTERHUB_API_TOKEN={SERVICE_TOKEN}",
        "--env", f"JUPYTERHUB_API_URL=http://host.containers.internal:{hub_port}/hub/api",
        "--env", "JUPYTERHUB_SERVICE_NAME=autograder", "--env", f"JUPYTERHUB_SERVICE_PREFIX={PREFIX}",
        IMAGE,
    )
    return ServiceContainer(podman, name)


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"token {token_for(user)}"}


def jobs_in_volume(podman: Podman, volume: str) -> list[str]:
    """The states of the service's jobs, read from its SQLite database in ``volume``."""
    import sqlite3

    mountpoint = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volume).stdout.strip()
    with sqlite3.connect(f"file:{mountpoint}/service/autograder.db?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("select state from jobs order by id")]


def loads(text: str) -> Any:
    return json.loads(text)
