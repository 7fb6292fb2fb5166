"""The sandbox the judge asks the zygote for (a typed ``isolation.Plan``), and the isolation policy:
which layers are missing and what that exposes."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import autograder
from autograder.core.config import CourseConfig, SheetConfig
from autograder.sandbox import uids
from autograder.sandbox.isolation import Plan


def given_module_name(config: CourseConfig, sheet: SheetConfig) -> str | None:
    candidate = config.resolve(sheet.assignment_dir) / f"{sheet.name}_given.py"
    return candidate.stem if candidate.exists() else None


def uid_can_read(path: Path) -> bool:
    """Whether an unrelated uid can reach ``path``: every parent folder must be world-searchable."""
    for folder in [path, *path.parents]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return False
        if folder != path and not mode & 0o001:
            return False
    return True


def secret_roots(config: CourseConfig) -> list[str]:
    """Folders whose contents the sandbox must never see as a whole: the course root and the package's
    own checkout (an editable install), which may differ from it."""
    checkout = Path(autograder.__file__).resolve().parents[1]
    return [str(config.root)] + ([str(checkout)] if (checkout / "pyproject.toml").exists() else [])


def sandbox_request(
    config: CourseConfig, sheet: SheetConfig, *, worker_index: int, device: str, protected: list[str],
) -> tuple[dict[str, Any], list[str]]:
    """The plan the zygote applies to a new sandbox, and warnings about layers we cannot use."""
    iso, limits = config.isolation, config.limits
    warnings: list[str] = []
    hide = {str(config.resolve(sheet.hidden_dir)), str(config.root / sheet.reference_module.split(".")[0]),
            str(config.resolve(config.results_dir)), *iso.hide_paths, *protected}
    uid = None
    if iso.switch_uid and os.geteuid() == 0:
        if uid_can_read(Path(sys.prefix)) and uid_can_read(Path(__file__).resolve()):
            # leased: no other grader on this host uses it while this process lives (see uids)
            uid = uids.lease(iso.uid_base + worker_index, base=iso.uid_base)
        else:
            warnings.append(
                f"the sandbox's own uid cannot read the Python environment at {sys.prefix} (a parent "
                "folder is not world-searchable), so student code keeps the grader's uid inside its "
                "namespaces; build the venv outside /root (`make venv` does) to enable this layer"
            )
    env = {"CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "")} if device == "cuda" else {
        "CUDA_VISIBLE_DEVICES": ""}
    plan = Plan(
        uid=uid, network=iso.network_namespace, pid=iso.pid_namespace, mount=iso.mount_namespace,
        allow=list(iso.allow_paths), secret_roots=secret_roots(config), hide=sorted(hide),
        workdir_source=str(config.resolve(sheet.assignment_dir)),
        workdir_skip=[sheet.notebook], workdir_mb=limits.workdir_mb, memory_mb=limits.memory_mb,
        gpu=device == "cuda", cpu_time_s=limits.cpu_time_s, max_processes=limits.max_processes,
        max_open_files=limits.max_open_files, max_file_size_mb=limits.max_file_size_mb, env=env,
    )
    request = {
        # what the sandbox may send back: the message, and the memory of the value decoded from it
        "plan": dataclasses.asdict(plan),  # data on the wire; the zygote reads it back with Plan.from_dict
        "max_message_bytes": min(limits.max_message_mb, limits.max_return_mb) << 20,
        "max_value_bytes": limits.max_return_mb << 20,
        "given_module": given_module_name(config, sheet), "threads": limits.torch_threads,
    }
    return request, warnings


def missing_layers(config: CourseConfig, layers: dict[str, Any]) -> list[str]:
    iso = config.isolation
    wanted = {"network": iso.network_namespace, "pid": iso.pid_namespace, "mount": iso.mount_namespace}
    missing = [f"{name} namespace" for name, want in wanted.items() if want and not layers.get(name)]
    if iso.switch_uid and not layers.get("separate_uid"):
        missing.append("separate uid")
    return missing


def exposed_secrets(config: CourseConfig, sheet: SheetConfig, missing: list[str]) -> list[str]:
    """Without a mount namespace only file modes protect the hidden suite: say so when they don't."""
    if "mount namespace" not in missing:
        return []
    exposed = []
    for folder in (config.resolve(sheet.hidden_dir), config.root / sheet.reference_module.split(".")[0]):
        if folder.exists() and uid_can_read(folder) and folder.stat().st_mode & 0o004:
            exposed.append(f"{folder} is world-readable and no mount namespace hides it from student code")
    return exposed
