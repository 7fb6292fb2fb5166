"""Fixtures for grading in containers: podman, the course image (built once per session), a fake
hub the containers reach, a course folder. Skips, with one line saying why, only where podman
cannot run containers."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'service' extra")
sys.path.insert(0, str(Path(__file__).parent))

from ctr_support import IMAGE, ROOT, SERVICE_TOKEN, Podman, course_folder

BUILD_TIMEOUT_S = 3600


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (sudo apt-get install -y podman runc uidmap mmdebstrap)")
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(subprocess.run(["bash", str(ROOT / "deploy/local/containers-conf.sh")], check=True,
                                   capture_output=True, text=True).stdout)
    runner = Podman(conf)
    info = runner("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=120)
    if info.returncode != 0:
        pytest.skip(f"podman cannot run here: {(info.stderr.strip().splitlines() or ['?'])[-1]}")
    yield runner
    runner.cleanup()


@pytest.fixture(scope="session")
def image(podman: Podman) -> str:
    """The course image, built once per session by `make image`'s script (cached in build/image/)."""
    if IMAGE == "autograder:local":
        env = dict(podman.env, PYTHON=sys.executable)
        started = time.monotonic()
        built = subprocess.run(["bash", str(ROOT / "deploy/local/build-image.sh")], check=False, env=env, cwd=ROOT,
                               capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        assert built.returncode == 0, f"make image failed:\n{built.stdout[-3000:]}\n{built.stderr[-5000:]}"
        print(f"\nthe course image: {time.monotonic() - started:.0f} s\n{built.stdout}", file=sys.stderr)
    probe = podman("run", "--rm", IMAGE, "true", check=False, timeout=300)
    if probe.returncode != 0:
        pytest.skip(f"podman cannot run containers here: {(probe.stderr.strip().splitlines() or ['?'])[-1]}")
    return IMAGE


@pytest.fixture(scope="session")
def course() -> Iterator[Path]:
    from autograder.core.config import load_config

    folder = course_folder(dict(load_config(ROOT / "course_config.py").sheet("sheet_3_2").points))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def hub_port() -> Iterator[int]:
    """The fake hub API (tests/service/svc_fakehub.py) on all addresses: containers reach it at
    host.containers.internal."""
    import uvicorn
    from svc_fakehub import make_fake_hub
    from svc_support import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_fake_hub(SERVICE_TOKEN), host="0.0.0.0", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the fake hub did not start"
    yield port
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def containers(podman: Podman) -> Iterator[Podman]:
    """``podman``; what a test creates through it is removed when the test ends."""
    before = (list(podman.containers), list(podman.volumes))
    yield podman
    for name in [n for n in podman.containers if n not in before[0]]:
        podman("rm", "--force", "--time", "5", name, check=False, timeout=120)
        podman.containers.remove(name)
    for name in [n for n in podman.volumes if n not in before[1]]:
        podman("volume", "rm", "--force", name, check=False, timeout=120)
        podman.volumes.remove(name)

