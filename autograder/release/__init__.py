"""Release a sheet to students: the notebook, the gate, then the bundle, then the leak scan; all or nothing.

A sheet with a ``master`` first has its notebook rebuilt from it when stale (``autograder assign``;
the report says "notebook: built from <master>"). :func:`release_sheet` then runs
:func:`autograder.release.gate.run_gate`; when it passes, builds the bundle in a staging folder
(:mod:`autograder.release.bundle`), scans it for lines of the hidden suite or the reference, and only
then moves it into place. Any failure raises
:class:`autograder.core.errors.ReleaseRefused` (exit code 5) with the gate's report, which is also written
to ``<work>/gate-report.txt``. The work folder (default ``build/release-gate/<sheet>`` under the
course root) holds staff-only material: the wrapped reference and the graded results.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.authoring import assign_sheet
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import AssignError, ReleaseRefused
from autograder.release.bundle import build_bundle, scan_bundle
from autograder.release.gate import Finding, GateReport, run_gate

__all__ = ["ReleaseOutcome", "release_sheet"]


@dataclass(frozen=True)
class ReleaseOutcome:
    bundle: Path
    report: GateReport
    work_dir: Path


def default_work_dir(config: CourseConfig, sheet: str) -> Path:
    return config.root / "build" / "release-gate" / sheet


def assign_first(config: CourseConfig, sheet: SheetConfig) -> Finding | None:
    """Rebuild a sheet's notebook from its master when it is stale (None: the sheet has no master)."""
    if sheet.master is None:
        return None
    try:
        outcome = assign_sheet(config, sheet)
    except AssignError as exc:
        report = GateReport(sheet=sheet.name, findings=[Finding("notebook", False, str(exc))])
        raise ReleaseRefused(f"{report.render()}\nnothing was released") from None
    return Finding("notebook", True, f"built from {outcome.master_name}"
                   + (" (it was stale: rebuilt)" if outcome.written else ""))


def release_sheet(
    *, config: CourseConfig, sheet: str, out: Path, nbgrader: bool = False, variants: Path | None = None,
    jobs: int = 2, device: str = "auto", work_dir: Path | None = None, config_file: Path | None = None,
    grader: Any = None,
) -> ReleaseOutcome:
    """Gate, build, scan, publish. Raises ReleaseRefused (nothing is written to ``out``) on any problem.

    ``grader``: warm workers (:class:`autograder.grading.pool.Grader`) for the gate's gradings, left open.
    """
    sheet_config = config.sheet(sheet)
    work = (work_dir or default_work_dir(config, sheet)).resolve()
    work.mkdir(parents=True, exist_ok=True)
    built_from = assign_first(config, sheet_config)
    report = run_gate(config=config, sheet=sheet_config, work_dir=work, variants_dir=variants, jobs=jobs,
                      device=device, config_file=config_file, grader=grader)
    if built_from is not None:
        report.findings.insert(0, built_from)
    if report.ok:
        staging = work / "staging"
        if staging.exists():
            shutil.rmtree(staging)
        built, refused = build_bundle(config, sheet_config, staging, nbgrader=nbgrader)
        report.add("bundle contents", not refused, "only public files" if not refused else "\n".join(refused))
        leaks = scan_bundle(staging, config, sheet_config)
        report.add("leak scan", not leaks, "no line of the hidden suite or the reference, no record of the judge's data, is in the bundle"
                   if not leaks else "\n".join(str(leak) for leak in leaks[:30]))
    (work / "gate-report.txt").write_text(report.render() + "\n", encoding="utf-8")
    if not report.ok:
        raise ReleaseRefused(f"{report.render()}\nnothing was released (report: {work / 'gate-report.txt'})")
    target = out / built.relative_to(staging)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(built), str(target))
    return ReleaseOutcome(bundle=target, report=report, work_dir=work)
