"""What the allow-listed root is made of (``autograder.sandbox.rootfs``), without building one.

The Python paths come from the zygote's own ``sys.path``: only entries inside the Python
environment, never the checkout an editable install adds, nor a course root or a folder holding one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from security_harness import REPO, make_course

import autograder
from autograder.core.config import load_config
from autograder.sandbox import rootfs


def test_python_paths_leave_out_the_checkout_and_keep_the_package_folder_alone(monkeypatch, tmp_path) -> None:
    checkout = tmp_path / "course"
    venv = checkout / ".venv"
    site = venv / "lib" / "python3" / "site-packages"
    extra = tmp_path / "elsewhere"
    for folder in (site, extra):
        folder.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.setattr(sys, "path", ["", str(checkout), str(site), str(extra), "/", sys.base_prefix + "/lib"])
    paths = rootfs.python_paths([str(checkout)])
    assert str(site) in paths, "a venv inside the checkout is the Python environment"
    assert str(checkout) not in paths and "/" not in paths and str(extra) not in paths, paths
    assert os.path.dirname(autograder.__file__) in paths
    assert rootfs.python_paths([str(tmp_path)]).count(str(site)) == 1


def test_a_path_holding_a_course_root_is_never_bound(monkeypatch, tmp_path) -> None:
    env = tmp_path / "env"
    (env / "lib").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(env))
    monkeypatch.setattr(sys, "path", [str(env), str(env / "lib")])
    paths = rootfs.python_paths([str(env / "lib" / "course")])
    assert str(env / "lib") not in paths and str(env) not in paths, paths


def test_binds_are_resolved_and_nested_ones_dropped(tmp_path) -> None:
    (tmp_path / "usr" / "lib").mkdir(parents=True)
    (tmp_path / "lib").symlink_to("usr/lib")
    wanted = [str(tmp_path / "usr"), str(tmp_path / "lib"), str(tmp_path / "usr" / "lib"), str(tmp_path / "gone")]
    assert rootfs._binds(wanted) == [str(tmp_path / "usr")]


def test_links_on_the_way_are_recreated_but_nothing_inside_a_bind(tmp_path) -> None:
    (tmp_path / "usr" / "bin").mkdir(parents=True)
    (tmp_path / "usr" / "bin" / "python3").touch()
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(tmp_path / "usr" / "bin" / "python3")
    binds = rootfs._binds([str(tmp_path / "usr")])
    steps = rootfs._links_on_the_way(str(tmp_path / "venv" / "bin" / "python"), binds)
    assert ("link", str(tmp_path / "venv" / "bin" / "python"), str(tmp_path / "usr" / "bin" / "python3")) in steps
    assert ("dir", str(tmp_path / "venv" / "bin"), "") in steps
    assert not [s for s in steps if s[1].startswith(str(tmp_path / "usr") + "/")], steps


def test_the_plan_names_the_course_root_and_the_package_checkout() -> None:
    from autograder.judge.sandbox_plan import sandbox_request

    course = make_course()
    try:
        config = load_config(course.config_file)
        request, _ = sandbox_request(config, config.sheet("sec"), worker_index=0, device="cpu", protected=[])
        plan = request["plan"]
        assert plan["secret_roots"] == [str(course.root), str(REPO)]
        assert str(Path(config.root) / "hidden" / "sec") in plan["hide"]
        assert plan["allow"] == []
    finally:
        course.cleanup()


def test_loaded_library_folders_are_bound_unless_they_lie_in_the_checkout(monkeypatch, tmp_path) -> None:
    checkout = tmp_path / "course"
    monkeypatch.setattr(rootfs, "_mapped_folders", lambda: [str(checkout / "native"), "/opt/vendor/lib"])
    paths = rootfs.python_paths([str(checkout)])
    assert "/opt/vendor/lib" in paths and str(checkout / "native") not in paths, paths


def test_a_gpu_plan_binds_the_device_nodes_and_sys(monkeypatch) -> None:
    from autograder.sandbox.isolation import Plan

    monkeypatch.setattr(rootfs.glob, "glob", lambda pattern: ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"])
    gpu = rootfs.wanted_paths(Plan(uid=None, gpu=True))
    cpu = rootfs.wanted_paths(Plan(uid=None, gpu=False))
    assert {"/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/sys", "/dev/null"} <= set(gpu)
    assert "/sys" not in cpu and "/sys/devices/system/cpu" in cpu and not [p for p in cpu if "nvidia" in p]
