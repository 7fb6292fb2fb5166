"""The keyword-only Python API behind the CLI (and usable from scripts and the service)."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.api_outcomes import ExportOutcome, ReportOutcome, RubricOutcome, SimilarityOutcome
from autograder.core.config import CourseConfig, find_config, load_config
from autograder.core.errors import UsageError
from autograder.grading.batch import BatchSummary, grade_batch
from autograder.grading.events import OnEvent
from autograder.student.checks import FAIL, PASS, TODO, CheckRow, run_checks


def load(config_path: Path | None = None) -> CourseConfig:
    return load_config(config_path)


DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> str:
    """``device`` when it is one the grader knows; else a one-line usage error."""
    if device not in DEVICES:
        raise UsageError(f"--device {device!r}: choose one of {', '.join(DEVICES)}")
    return device


def output_folder(path: Path, option: str = "--out", *, keep: bool = True) -> Path:
    """``path`` made a folder we can write in (with its parents); else a one-line usage error.

    ``keep=False`` only tries: what it created is removed again (a release writes nothing when refused).
    """
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: it is a file, not a folder; give a folder (it is created if missing)")
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".autograder-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write there ({exc.strerror or exc}); give a folder you can "
                         "write in") from None
    finally:
        for folder in missing if not keep else ():
            if folder.is_dir():
                folder.rmdir()
    return path


def output_file(path: Path, option: str = "--out") -> Path:
    """``path`` a file we can write (its folder created); else a one-line usage error."""
    if path.is_dir():
        raise UsageError(f"{option} {path}: it is a folder; give the file to write, e.g. {path / 'report.html'}")
    output_folder(path.parent, option=f"{option}'s folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path}: cannot write that file")
    return path


def grade(
    *, sheet: str, submissions: list[Path], out: Path, jobs: int = 1, device: str = "auto",
    regrade: bool = False, scheduler: str | None = None, config_path: Path | None = None,
    on_event: OnEvent | None = None, submitted_at: Path | None = None,
    trust_mtime: bool = False,
) -> BatchSummary:
    """Grade a batch; results land in ``out`` as each finishes. ``on_event`` sees the batch's progress.

    Submission times: nbgrader's ``timestamp.txt``; ``submitted_at`` (a CSV of ``student id,time``)
    before it; the file's modification time, which the student controls, only with ``trust_mtime``;
    otherwise unknown (not late). Each result says where its time came from.
    """
    from autograder.grades.late import read_submission_times
    from autograder.grading.collect import SubmissionTimes

    check_device(device)
    config_file = find_config(config_path)
    config = load_config(config_file)
    table = read_submission_times(submitted_at) if submitted_at is not None else {}
    times = SubmissionTimes(table=table, trust_mtime=trust_mtime)
    config.sheet(sheet)  # an unknown sheet is the first thing to hear about
    output_folder(out)
    if scheduler:
        if not re.fullmatch(r"([a-z]+://)?(\[[0-9a-fA-F:]+\]|[^\s/:\[\]]+)(:\d+)?", scheduler) or ":" not in scheduler:
            raise UsageError(f"--scheduler {scheduler!r}: give the Dask scheduler's address, e.g. tcp://host:8786")
        if table or trust_mtime:
            raise UsageError("--submitted-at and --trust-mtime are not supported with --scheduler yet; "
                             "grade on one machine, or without them (times from timestamp.txt only)")
        from autograder.grading.distributed import grade_on_cluster

        return grade_on_cluster(config=config, config_file=config_file, sheet=sheet, paths=submissions,
                                out_dir=out, scheduler=scheduler, device=device, regrade=regrade,
                                on_event=on_event)
    return grade_batch(config=config, sheet=sheet, paths=submissions, out_dir=out, jobs=jobs,
                       device=device, regrade=regrade, on_event=on_event, config_file=config_file, times=times)


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: one row per public check, or why the file is not gradable."""

    rows: tuple[CheckRow, ...] = ()
    not_gradable: str = ""

    @property
    def passed(self) -> bool:
        """Every check passes (nothing failed, nothing left to do)."""
        return not self.not_gradable and all(row.status == PASS for row in self.rows)

    @property
    def failed(self) -> bool:
        """Some check fails, or the notebook could not be checked at all."""
        return bool(self.not_gradable) or any(row.status == FAIL for row in self.rows)

    @property
    def to_do(self) -> tuple[str, ...]:
        """The exercises with a check still to do, in order."""
        return tuple(dict.fromkeys(row.exercise for row in self.rows if row.status == TODO))


def check(
    *, sheet: str, notebook: Path, exercise: str | None = None, config_path: Path | None = None,
) -> CheckReport:
    """Run the sheet's public checks (one exercise's, or all) on ``notebook`` through the sandbox.

    The same runner as the notebook's ``check()`` (:mod:`autograder.student.checks`), so the statuses are
    the same: pass, FAIL, or to do.
    """
    from autograder.core.errors import SubmissionError
    from autograder.core.submission import load_submission
    from autograder.judge.rpc import StudentProxy, StudentSession
    from autograder.judge.runner import prepare_imports
    from autograder.judge.sandbox_plan import sandbox_request
    from autograder.sandbox.client import Zygote

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    if not notebook.is_file():
        raise UsageError(f"{notebook} does not exist or is not a file: give your notebook (.ipynb) or .py file")
    if not sheet_config.public_checks:
        raise UsageError(f"{sheet} has no public checks")
    prepare_imports(config, sheet_config)
    module_path = config.resolve(sheet_config.assignment_dir) / sheet_config.public_checks
    spec = importlib.util.spec_from_file_location(f"{sheet}_public_checks", module_path)
    assert spec is not None and spec.loader is not None
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    table = getattr(checks, "CHECKS", {})
    if exercise is not None and exercise not in table:
        raise UsageError(f"{sheet} has no public checks for exercise {exercise!r}; choose one of {', '.join(table)}")
    try:
        loaded = load_submission(notebook, max_bytes=config.limits.max_submission_mb << 20, expected_sheet=sheet)
    except SubmissionError as exc:
        return CheckReport(not_gradable=str(exc))
    request, _ = sandbox_request(config, sheet_config, worker_index=0, device="cpu",
                                 protected=[str(notebook.resolve().parent)])
    zygote = Zygote()
    limits = config.limits
    session = StudentSession(zygote, request, list(loaded.cells), cell_timeout=limits.cell_timeout_s,
                             default_timeout=limits.test_timeout_s, output_limit=limits.output_bytes,
                             wall_backstop=(limits.wall_backstop_factor, limits.wall_backstop_margin_s))

    def start_the_clock() -> None:  # each check gets the hidden tests' (CPU-time) limit
        session.begin_check(limits.test_timeout_s)

    try:
        rows = run_checks(table, exercise, ns=StudentProxy(session), before_each=start_the_clock)
    finally:
        session.close()
        zygote.close()
    return CheckReport(rows=tuple(rows))


def serve(*, host: str | None, port: int, config_path: Path | None = None) -> None:
    config = load_config(config_path)
    try:
        from autograder.service.server import serve as run_service
    except ImportError as exc:
        raise UsageError(f"the service needs the 'service' extra: pip install 'autograder[service]' ({exc})") from exc
    run_service(config=config, host=host, port=port or None)


# ------------------------------------------------------------------ release, report, export


def assign(*, sheet: str, check: bool = False, config_path: Path | None = None) -> Any:
    """Build SHEET's student notebook from its master; write it when it changed (never with ``check``).

    Returns an :class:`autograder.authoring.AssignOutcome` (``path``, ``changed``, ``written``).
    """
    from autograder.authoring import assign_sheet

    config = load_config(config_path)
    return assign_sheet(config, config.sheet(sheet), check=check)


def release(
    *, sheet: str, out: Path, nbgrader: bool = False, variants: Path | None = None, jobs: int = 2,
    device: str = "auto", work: Path | None = None, config_path: Path | None = None,
) -> Any:
    """Run the release gate and, when it passes, write the student bundle under ``out``."""
    from autograder.release import release_sheet

    check_device(device)
    config_file = find_config(config_path)
    config = load_config(config_file)
    config.sheet(sheet)
    output_folder(out, keep=False)
    return release_sheet(config=config, sheet=sheet, out=out, nbgrader=nbgrader, variants=variants, jobs=jobs,
                         device=device, work_dir=work, config_file=config_file)


def new_sheet(*, name: str, title: str | None = None, config_path: Path | None = None) -> Any:
    """Scaffold sheet ``name`` in the course of the config (see :mod:`autograder.authoring.scaffold`)."""
    from autograder.authoring.scaffold import new_sheet as scaffold

    config_file = find_config(config_path)
    return scaffold(config=load_config(config_file), name=name, title=title, config_file=config_file)


def rubric(*, sheet: str, out: Path | None = None, config_path: Path | None = None) -> RubricOutcome:
    """Staff-only: ``<out>/rubric.md`` (every hidden test) and ``<out>/<sheet>_solutions.ipynb``."""
    import nbformat

    from autograder.authoring.solutions import solutions_notebook
    from autograder.outputs.rubric import collect, render_markdown

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    out = output_folder(out or config.root / "build" / "staff" / sheet)
    text = render_markdown(collect(config, sheet_config), sheet_config, config.limits.test_timeout_s)
    (out / "rubric.md").write_text(text + "\n", encoding="utf-8")
    nbformat.write(solutions_notebook(config, sheet_config), out / f"{sheet}_solutions.ipynb")
    return RubricOutcome(rubric=out / "rubric.md", solutions=out / f"{sheet}_solutions.ipynb", text=text)


def report(*, sheet: str, results_dir: Path, out: Path, config_path: Path | None = None) -> ReportOutcome:
    """The TA report (one HTML page) for the results in ``results_dir``."""
    from autograder.grades.grade import StaffLedger
    from autograder.outputs.exports import finalize_result, load_results
    from autograder.outputs.feedback import context_for
    from autograder.outputs.report import write_report

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    context, ledger = context_for(config, sheet_config), StaffLedger.for_results(results_dir)
    results = [finalize_result(r, context, ledger=ledger) for r in load_results(results_dir, sheet=sheet)]
    if not results:
        raise UsageError(f"no results of {sheet} in {results_dir}")
    output_file(out)
    path = write_report(results, sheet_config, out, similarity_dir=results_dir / "similarity",
                        feedback_dir=results_dir / "export" / "feedback")
    return ReportOutcome(path=path, submissions=len(results))


def export(
    *, sheet: str, results_dir: Path, out: Path | None = None, lms: Path | None = None,
    lms_grade_column: str | None = None, feedback: bool = True, config_path: Path | None = None,
) -> ExportOutcome:
    """grades.csv, Gradescope results.json per student, feedback pages and (optionally) an LMS CSV."""
    from autograder.grades.grade import StaffLedger
    from autograder.outputs.exports import export_results, load_results

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    results = load_results(results_dir, sheet=sheet)
    if not results:
        raise UsageError(f"no results of {sheet} in {results_dir}")
    target = output_folder(out or results_dir / "export")
    if lms is not None:
        output_file(lms, "--lms")
    summary = export_results(config=config, sheet=sheet_config, results=results, out_dir=target, lms=lms,
                             lms_grade_column=lms_grade_column, feedback=feedback,
                             ledger=StaffLedger.for_results(results_dir))
    return ExportOutcome(summary=summary, folder=target, lms=lms)


def similarity(
    *, sheet: str, submissions: list[Path], out: Path, archives: list[Path] | None = None, threshold: float = 0.5,
    config_path: Path | None = None,
) -> SimilarityOutcome:
    """Rank every pair of submissions by shared own code (the sheet's notebook discounted); see docs/similarity.md."""
    from autograder.core.errors import BatchRefused
    from autograder.similarity import Settings, run_similarity
    from autograder.similarity.compare import flagged_groups

    if not 0.0 < threshold <= 1.0:
        raise UsageError(f"--threshold must be a share between 0 and 1 (got {threshold})")
    for path in [*submissions, *(archives or [])]:
        if not (path.is_file() or path.is_dir()):
            raise BatchRefused(f"{path} does not exist or is not a file or folder (nothing was compared)")
    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    output_folder(out)
    run = run_similarity(
        notebook=config.resolve(sheet_config.assignment_dir) / sheet_config.notebook, submissions=submissions,
        out=out, archives=archives or [], settings=Settings(threshold=threshold),
        max_bytes=config.limits.max_submission_mb << 20, sheet=sheet,
        title=f"Similarity: {sheet_config.title or sheet}")
    return SimilarityOutcome(run=run, groups=tuple(flagged_groups(run.pairs)))


def lms_push(*, sheet: str, results_dir: Path, dry_run: bool = False, roster: Path | None = None,
             config_path: Path | None = None) -> Any:
    """Post each student's final grade of SHEET to the LMS's line item (LTI 1.3 AGS); see :mod:`autograder.lms.push`.

    Returns a :class:`autograder.lms.push.PushOutcome`; its ``not_sent`` names every student whose grade
    is not in the LMS. The late policy is applied here, once.
    """
    from autograder.lms.client import environment, load_private_key
    from autograder.lms.push import push_grades

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    if not results_dir.is_dir():
        raise UsageError(f"{results_dir} is not a folder of results")
    if roster is not None and not roster.is_file():
        raise UsageError(f"--roster {roster}: no such file (a CSV of student_id,lms_user_id)")
    if not config.lms.configured:
        raise UsageError("lms-push needs lms.client_id, lms.token_url and lms.lineitems_url in the course config "
                         "(docs/term.md, 'Grades to the LMS')")
    key = load_private_key(config.lms, root=config.root, environ=environment())
    return push_grades(config=config, sheet=sheet_config, results_dir=results_dir, key=key, roster_csv=roster,
                       dry_run=dry_run)


# ------------------------------------------------------------------ the term: regrades, adjustments


def regrade(
    *, sheet: str, results_dir: Path, apply: bool = False, jobs: int = 1, device: str = "auto",
    config_path: Path | None = None,
) -> Any:
    """Regrade every result of ``sheet`` in ``results_dir`` under the current suite, config and engine
    (a :class:`autograder.term.regrade.RegradeRun`); without ``apply`` only ``regrades/<time>/`` is written."""
    from autograder.term.regrade import regrade_results

    check_device(device)
    config_file = find_config(config_path)
    config = load_config(config_file)
    config.sheet(sheet)
    if not results_dir.is_dir():
        raise UsageError(f"{results_dir} is not a folder of results; grade first (autograder grade ... --out)")
    output_folder(results_dir, "RESULTS_DIR")
    return regrade_results(config=config, sheet=sheet, results_dir=results_dir, jobs=jobs, device=device,
                           apply=apply, config_file=config_file)


def regrade_history(*, results_dir: Path) -> list[dict[str, Any]]:
    from autograder.term.regrade import history

    if not results_dir.is_dir():
        raise UsageError(f"{results_dir} is not a folder of results")
    return history(results_dir)


def adjust(
    *, sheet: str, results_dir: Path, student: str, test: str | None = None, exercise: str | None = None,
    points: float | None = None, reason: str = "", by: str = "", note: str = "", config_path: Path | None = None,
) -> Any:
    """Set one student's points on a test or an exercise (an :class:`autograder.grades.grade.AdjustmentEntry`)."""
    from autograder.term.adjust import add_adjustment

    if points is None:
        raise UsageError("--points is required (the points the test or exercise gets)")
    if not results_dir.is_dir():
        raise UsageError(f"{results_dir} is not a folder of results")
    return add_adjustment(config=load_config(config_path), sheet=sheet, results_dir=results_dir, student=student,
                          test=test, exercise=exercise, points=points, reason=reason, by=by, note=note)


def remove_adjustment(*, sheet: str, results_dir: Path, adjustment_id: str, by: str = "", reason: str = "",
                      config_path: Path | None = None) -> Any:
    from autograder.term.adjust import remove_adjustment as remove

    return remove(config=load_config(config_path), sheet=sheet, results_dir=results_dir,
                  adjustment_id=adjustment_id, by=by, reason=reason)
