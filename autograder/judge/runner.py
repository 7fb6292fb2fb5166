"""Grade one loaded submission: start its sandbox, run the hidden suite with pytest, build the result.

Runs in a judge process forked per submission from a warm worker, so every submission gets a fresh
pytest, fresh hidden-test modules and no state from the previous one. The other jobs live beside it:
``pytest_flags`` (the command line), ``warmup`` (what the warm worker imports once), ``sandbox_plan``
(the sandbox asked for, and the isolation policy), ``fingerprint`` (``suite_hash``) and ``assemble``
(the load log and the result); import each from its own module.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

import pytest

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.results import SubmissionResult
from autograder.core.submission import LoadedSubmission
from autograder.judge import secret
from autograder.judge.assemble import _assemble
from autograder.judge.plugin import JudgePlugin
from autograder.judge.pytest_flags import PYTEST_ARGS
from autograder.judge.rpc import StudentSession
from autograder.judge.sandbox_plan import (
    exposed_secrets,
    missing_layers,
    sandbox_request,
)
from autograder.sandbox.client import SandboxSetupError, Zygote


def prepare_imports(config: CourseConfig, sheet: SheetConfig) -> None:
    """Make the reference and the sheet's given module importable in the judge."""
    for folder in (config.root, config.resolve(sheet.assignment_dir)):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


def import_reference(config: CourseConfig, sheet: SheetConfig) -> Any:
    """The sheet's reference module. From here on, files under its hidden folder are secret in this
    process (:mod:`autograder.judge.secret`): a warm worker's caches of them are tracked too."""
    secret.watch([config.resolve(sheet.hidden_dir)])
    prepare_imports(config, sheet)
    return importlib.import_module(sheet.reference_module)


def run_judge(
    *, config: CourseConfig, sheet: SheetConfig, submission: LoadedSubmission, student_id: str,
    zygote: Zygote, worker_index: int, device: str, protected: list[str],
    on_sandbox: Any = None, skip_tests: tuple[str, ...] = (),
) -> SubmissionResult:
    """Grade ``submission`` in this process. Never raises for anything the student did.

    ``skip_tests``: node ids not to run (their cases are left out of the result).
    """
    started = time.monotonic()
    request, warnings = sandbox_request(config, sheet, worker_index=worker_index, device=device,
                                        protected=protected)
    limits = config.limits
    session = StudentSession(zygote, request, list(submission.cells), cell_timeout=limits.cell_timeout_s,
                             default_timeout=limits.test_timeout_s, output_limit=limits.output_bytes,
                             wall_backstop=(limits.wall_backstop_factor, limits.wall_backstop_margin_s))
    judge_cpu = time.process_time()
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
    loaded_at, judge_loaded = time.monotonic(), time.process_time()
    hidden = config.resolve(sheet.hidden_dir)
    plugin = JudgePlugin(session=session, reference=reference, device=device,
                         default_timeout=limits.test_timeout_s, points=sheet.points, secret_folders=[hidden],
                         skip=frozenset(skip_tests))
    try:
        exit_code = pytest.main([str(hidden), "--rootdir", str(hidden), "--confcutdir", str(hidden),
                                 *PYTEST_ARGS], plugins=[plugin])
    finally:
        sandbox_cpu = session.process.cpu_seconds() if session.process is not None else None
        session.close()
        secret.stop()
    cases = plugin.results()
    plots, staff_plots = plugin.student_plots()
    suite_errors = list(plugin.state.suite_errors)
    if exit_code not in (0, 1) and not cases:
        suite_errors.append(f"pytest exited with code {int(exit_code)}")
    finished = time.monotonic()
    return _assemble(
        common, cases, suite_errors, session,
        timings=_timings(session, started=started, loaded_at=loaded_at, finished=finished, judge_cpu=judge_cpu,
                         judge_loaded=judge_loaded, sandbox_cpu=sandbox_cpu),
        device=device, warnings=warnings + [f"isolation layer unavailable: {m}" for m in missing]
        + [str(w) for w in session.layers.get("warnings", [])] + exposed_secrets(config, sheet, missing),
        elapsed=finished - started, plots=plots, staff_plots=staff_plots,
    )


def _timings(session: StudentSession, *, started: float, loaded_at: float, finished: float, judge_cpu: float,
             judge_loaded: float, sandbox_cpu: float | None) -> dict[str, Any]:
    """Wall and CPU seconds per phase (the sandbox's CPU is what the limits charge), and per test."""
    tests_cpu = sum(times["cpu_s"] for times in session.check_times.values())
    return {
        "load_s": round(loaded_at - started, 3), "tests_s": round(finished - loaded_at, 3),
        "load_cpu_s": round(session.load_cpu_s, 3), "tests_cpu_s": round(tests_cpu, 3),
        "sandbox_cpu_s": round(sandbox_cpu, 3) if sandbox_cpu is not None else None,
        "judge_load_cpu_s": round(judge_loaded - judge_cpu, 3),
        "judge_tests_cpu_s": round(time.process_time() - judge_loaded, 3),
        "per_test": dict(session.check_times),
    }
