"""Grade one loaded submission: start its sandbox, run the hidden suite with pytest, build the result.

Runs in a judge process forked per submission from a warm worker, so every submission gets a fresh
pytest, fresh hidden-test modules and no state from the previous one.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from autograder.config import CourseConfig, SheetConfig
from autograder.judge.plugin import JudgePlugin
from autograder.plots import recorded_plots
from autograder.results import CaseResult, SubmissionResult
from autograder.rpc import CellReport, StudentSession
from autograder.sandbox import uids
from autograder.sandbox.client import SandboxSetupError, Zygote
from autograder.submission import LoadedSubmission

# Plugins a hidden suite has no use for. Each costs start-up time in every judge process, two
# (unraisableexception, threadexception) run gc.collect() several times per session (seconds in a
# process that holds torch and transformers), and logging walks every logger transformers made,
# three times per test.
UNUSED_PLUGINS = ("cacheprovider", "randomly", "xdist", "unraisableexception", "threadexception",
                  "junitxml", "pastebin", "doctest", "stepwise", "setuponly", "setupplan", "legacypath",
                  "faulthandler", "debugging", "terminalprogress", "logging")
# Entry-point discovery reads every installed distribution's metadata (a tenth of a second or more);
# the only third-party plugin a hidden suite needs is hypothesis', named explicitly.
THIRD_PARTY_PLUGINS = ("_hypothesis_pytestplugin",)
PYTEST_ARGS = (*(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
               *(arg for name in THIRD_PARTY_PLUGINS if importlib.util.find_spec(name)
                 for arg in ("-p", name)),
               "--disable-plugin-autoload", "--assert=plain", "--tb=no",
               "-q", "--no-header", "-o", "addopts=", "-o", "python_files=test_*.py")


def prepare_imports(config: CourseConfig, sheet: SheetConfig) -> None:
    """Make the reference and the sheet's given module importable in the judge."""
    for folder in (config.root, config.resolve(sheet.assignment_dir)):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


def import_reference(config: CourseConfig, sheet: SheetConfig) -> Any:
    prepare_imports(config, sheet)
    return importlib.import_module(sheet.reference_module)


def warm_judge(config: CourseConfig) -> None:
    """Import, once in the warm worker, what every judge process would otherwise import on first use.

    pytest's own plugin modules, the third-party plugins named in ``PYTEST_ARGS``, and the
    libraries the hidden suites import (found by reading their import statements). The hidden test
    modules and their local helpers are not imported: every judge imports them afresh.
    """
    from _pytest.config import default_plugins

    for name in (*(f"_pytest.{p}" for p in default_plugins), *THIRD_PARTY_PLUGINS):
        _try_import(name)
    _warm_hypothesis()
    for sheet in config.sheets.values():
        hidden = config.resolve(sheet.hidden_dir)
        for module, names in hidden_suite_imports(hidden):
            imported = _try_import(module, outside=hidden)
            for name in names if imported is not None else ():
                with contextlib.suppress(Exception):  # only speed is at stake
                    # resolves lazy attributes (transformers' _LazyModule), else a submodule
                    if getattr(imported, name, None) is None:
                        _try_import(f"{module}.{name}", outside=hidden)


def _warm_hypothesis() -> None:
    """Do hypothesis' once-per-process work here rather than in every judge.

    Its first property test registers a global Random (a full ``gc.collect()``), and its pytest
    plugin parses the source of every imported non-library module for constants. Done once here,
    a judge only pays for the hidden test modules it imports itself.
    """
    with contextlib.suppress(Exception), warnings.catch_warnings():  # only speed is at stake
        warnings.simplefilter("ignore")  # "slow code in plugin": exactly what is wanted, here
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.entropy import deterministic_PRNG

        with deterministic_PRNG():
            pass
        providers._get_local_constants()


def hidden_suite_imports(hidden: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(module, names)`` for every absolute import statement in the hidden suite's files."""
    found: dict[str, set[str]] = {}
    for path in sorted(hidden.rglob("*.py")) if hidden.is_dir() else []:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.setdefault(alias.name, set())
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.setdefault(node.module, set()).update(a.name for a in node.names if a.name != "*")
    return [(module, tuple(sorted(names))) for module, names in sorted(found.items())]


def _try_import(name: str, *, outside: Path | None = None) -> Any:
    """Import ``name`` unless it is missing or (with ``outside``) a module of that folder."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        spec = importlib.util.find_spec(name.split(".")[0])
        if spec is None or (outside is not None and spec.origin and Path(spec.origin).is_relative_to(outside)):
            return None
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a module that fails here fails in the judge, where it is reported
        return None


def given_module_name(config: CourseConfig, sheet: SheetConfig) -> str | None:
    candidate = config.resolve(sheet.assignment_dir) / f"{sheet.name}_given.py"
    return candidate.stem if candidate.exists() else None


def suite_hash(config: CourseConfig, sheet: SheetConfig) -> str:
    """Changes whenever the hidden suite, the reference, the public given files or the engine change.

    The job store keys finished results on it, so a rerun after any of these changed grades again.
    """
    digest = hashlib.sha256()
    reference_dir = config.root / Path(*sheet.reference_module.split("."))
    for folder in (config.resolve(sheet.hidden_dir), reference_dir, config.resolve(sheet.assignment_dir)):
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".ipynb":
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    digest.update(str(sorted(sheet.points.items())).encode())
    digest.update(engine_fingerprint().encode())
    return digest.hexdigest()


def engine_fingerprint(package: Path | None = None) -> str:
    """The engine's version and a hash of its code (every ``.py`` file of the ``autograder`` package)."""
    import autograder

    root = package or Path(autograder.__file__).resolve().parent
    digest = hashlib.sha256(autograder.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{autograder.__version__}:{digest.hexdigest()}"


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


def sandbox_request(
    config: CourseConfig, sheet: SheetConfig, *, worker_index: int, device: str, protected: list[str],
) -> tuple[dict[str, Any], list[str]]:
    """The plan the zygote applies to a new sandbox, and warnings about layers we cannot use."""
    iso, limits = config.isolation, config.limits
    warnings: list[str] = []
    hide = {str(config.resolve(sheet.hidden_dir)), str(config.root / sheet.reference_module.split(".")[0])}
    for entry in config.root.iterdir():
        if entry.name not in iso.visible_repo_entries:
            hide.add(str(entry))
    hide.update(str(config.resolve(config.results_dir)) for _ in [0])
    hide.update(iso.hide_paths)
    hide.update(protected)
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
    plan = {
        "uid": uid, "network": iso.network_namespace, "pid": iso.pid_namespace, "mount": iso.mount_namespace,
        "hide": sorted(hide), "keep": [str(config.root), sys.prefix, str(Path(__file__).resolve().parents[2])],
        "workdir_source": str(config.resolve(sheet.assignment_dir)),
        "workdir_skip": [sheet.notebook], "workdir_mb": limits.workdir_mb, "memory_mb": limits.memory_mb,
        "gpu": device == "cuda", "cpu_time_s": limits.cpu_time_s, "max_processes": limits.max_processes,
        "max_open_files": limits.max_open_files, "max_file_size_mb": limits.max_file_size_mb, "env": env,
    }
    request = {
        # what the sandbox may send back: the message, and the memory of the value decoded from it
        "plan": plan, "max_message_bytes": min(limits.max_message_mb, limits.max_return_mb) << 20,
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


def load_summary(reports: list[CellReport], printed: str, limit: int) -> str:
    """What happened while the notebook ran, for the student."""
    lines: list[str] = []
    for report in reports:
        if report.fatal:
            lines.append(f"- {report.fatal}.")
        elif report.error:
            lines.append(
                f"- cell {report.index} raised {report.error.get('type')}: {report.error.get('message')}\n"
                + _indent(report.error.get("traceback", ""))
            )
        for note in report.notes:
            lines.append(f"- cell {report.index}: {note}")
    text = ""
    if lines:
        text += "While running your notebook:\n" + "\n".join(lines) + "\n"
    if printed.strip():
        text += "\nYour notebook printed:\n" + printed
    return text[:limit * 2]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines()[-12:])


def run_judge(
    *, config: CourseConfig, sheet: SheetConfig, submission: LoadedSubmission, student_id: str,
    zygote: Zygote, worker_index: int, device: str, protected: list[str],
    on_sandbox: Any = None,
) -> SubmissionResult:
    """Grade ``submission`` in this process. Never raises for anything the student did."""
    started = time.monotonic()
    request, warnings = sandbox_request(config, sheet, worker_index=worker_index, device=device,
                                        protected=protected)
    limits = config.limits
    session = StudentSession(zygote, request, list(submission.cells), cell_timeout=limits.cell_timeout_s,
                             default_timeout=limits.test_timeout_s, output_limit=limits.output_bytes)
    common = {"student_id": student_id, "sheet": sheet.name, "submission": submission.path.name,
                  "sha256": submission.sha256, "max_score": sheet.total_points, "points": sheet.points}
    try:
        reference = import_reference(config, sheet)
        session.start()
    except SandboxSetupError as exc:
        return SubmissionResult.crashed(message=f"sandbox set-up failed: {exc}", **common)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - the reference itself failed to import
        return SubmissionResult.crashed(message=f"reference import failed: {exc!r}", **common)  # type: ignore[arg-type]
    if on_sandbox is not None and session.process is not None:
        on_sandbox(session.process.pid)
    missing = missing_layers(config, session.layers)
    if missing and config.isolation.require_all:
        session.close()
        return SubmissionResult.crashed(
            message=f"refusing to grade: isolation layers unavailable: {', '.join(missing)}", **common)  # type: ignore[arg-type]
    loaded_at = time.monotonic()
    plugin = JudgePlugin(session=session, reference=reference, device=device,
                         default_timeout=limits.test_timeout_s, points=sheet.points)
    hidden = config.resolve(sheet.hidden_dir)
    try:
        exit_code = pytest.main([str(hidden), "--rootdir", str(hidden), "--confcutdir", str(hidden),
                                 *PYTEST_ARGS], plugins=[plugin])
    finally:
        session.close()
    cases = plugin.results()
    suite_errors = list(plugin.state.suite_errors)
    if exit_code not in (0, 1) and not cases:
        suite_errors.append(f"pytest exited with code {int(exit_code)}")
    finished = time.monotonic()
    return _assemble(
        common, cases, suite_errors, session,
        timings={"load_s": round(loaded_at - started, 3), "tests_s": round(finished - loaded_at, 3)},
        device=device, warnings=warnings + [f"isolation layer unavailable: {m}" for m in missing]
        + [str(w) for w in session.layers.get("warnings", [])] + exposed_secrets(config, sheet, missing),
        elapsed=finished - started, plots=recorded_plots(plugin),
    )


def _assemble(
    common: dict[str, Any], cases: list[CaseResult], suite_errors: list[str], session: StudentSession,
    *, timings: dict[str, float], device: str, warnings: list[str], elapsed: float,
    plots: dict[str, Any] | None = None,
) -> SubmissionResult:
    import torch
    import transformers

    score = round(sum(case.score for case in cases), 4)
    output = load_summary(session.load_reports or [], session.load_output, 20_000)
    if session.restarts:
        output += (f"\nYour code had to be restarted {session.restarts} time(s) after a hang or crash; "
                   "only the checks that were running lost points.\n")
    extra = {
        "timings": timings, "device": device, "restarts": session.restarts,
        "skipped_cells": sorted(session.skipped), "isolation": session.layers,
        "isolation_warnings": warnings,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__},
        "exercise_max": dict(common["points"]),
    }
    if plots:
        extra["plots"] = plots
    return SubmissionResult(
        student_id=common["student_id"], sheet=common["sheet"], submission=common["submission"],
        submission_sha256=common["sha256"], score=score, max_score=common["max_score"],
        execution_time=round(elapsed, 3), output=output, tests=tuple(cases), extra_data=extra,
        grader_error="\n".join(suite_errors),
    )
