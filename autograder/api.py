"""The keyword-only Python API behind the CLI (and usable from scripts and the service)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from autograder.batch import BatchSummary, grade_batch
from autograder.config import CourseConfig, find_config, load_config
from autograder.errors import UsageError

console = Console(stderr=True)


def load(config_path: Path | None = None) -> CourseConfig:
    return load_config(config_path)


def grade(
    *, sheet: str, submissions: list[Path], out: Path, jobs: int = 1, device: str = "auto",
    regrade: bool = False, scheduler: str | None = None, config_path: Path | None = None,
    show_progress: bool = True,
) -> BatchSummary:
    """Grade a batch and print a summary table. Results land in ``out`` as each finishes."""
    config_file = find_config(config_path)
    config = load_config(config_file)
    started = time.monotonic()
    with _progress(show_progress) as (_, on_event):
        if scheduler:
            from autograder.distributed import grade_on_cluster

            summary = grade_on_cluster(config=config, config_file=config_file, sheet=sheet, paths=submissions,
                                       out_dir=out, scheduler=scheduler, device=device, regrade=regrade,
                                       on_event=on_event)
        else:
            summary = grade_batch(config=config, sheet=sheet, paths=submissions, out_dir=out, jobs=jobs,
                                  device=device, regrade=regrade, on_event=on_event, config_file=config_file)
    print_summary(summary, config, sheet, out, time.monotonic() - started)
    return summary


class _progress:
    """A rich progress bar (done, failed, ETA) fed by the batch's events; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
            TimeRemainingColumn(), console=console, disable=not enabled,
        )
        self.task: Any = None
        self.failed = 0

    def __enter__(self) -> tuple[Progress, Any]:
        self.progress.__enter__()
        return self.progress, self.on_event

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)  # type: ignore[arg-type]

    def on_event(self, kind: str, payload: Any) -> None:
        if kind == "start":
            self.task = self.progress.add_task("grading", total=payload["total"], completed=payload["skipped"],
                                               failed=0)
            if payload.get("reused") and self.enabled:
                console.print(f"{payload['reused']} submission(s) already graded: reused (use --regrade)")
        elif kind == "workers" and self.enabled:
            console.print(f"{payload['jobs']} warm worker(s) on {payload['device']}")
        elif kind == "done" and self.task is not None:
            if not payload.gradable or payload.grader_error:
                self.failed += 1
            self.progress.update(self.task, advance=1, failed=self.failed)


def print_summary(summary: BatchSummary, config: CourseConfig, sheet: str, out: Path, seconds: float) -> None:
    exercises = list(config.sheet(sheet).points)
    table = Table(title=f"{sheet}: {len(summary.results)} submission(s), {seconds:.1f} s")
    table.add_column("student")
    for ex in exercises:
        table.add_column(ex, justify="right")
    table.add_column("total", justify="right", style="bold")
    table.add_column("note")
    for result in sorted(summary.results, key=lambda r: r.student_id):
        per = result.exercise_scores()
        note = "not gradable" if not result.gradable else ("GRADER ERROR" if result.grader_error else "")
        table.add_row(result.student_id, *(f"{per.get(ex, (0, 0))[0]:g}" for ex in exercises),
                      f"{result.final_score:g}/{result.max_score:g}", note)
    wide = Console()
    wide.width = max(wide.width, 132)  # one column per exercise: do not squeeze ids into "stu…"
    wide.print(table)
    for line in [*summary.notes, *summary.refused]:
        console.print(line, soft_wrap=True, markup=False)
    console.print(f"results in {out}/ (one <student>.json each, grades.csv); {summary.reused} result(s) reused "
                  "from an earlier run (same submission, suite and engine)", soft_wrap=True)


def check(*, sheet: str, notebook: Path, config_path: Path | None = None) -> bool:
    """Run the sheet's public checks on ``notebook`` through the sandbox; print a table."""
    from autograder.errors import SubmissionError
    from autograder.judge.runner import prepare_imports, sandbox_request
    from autograder.rpc import StudentFailure, StudentProxy, StudentSession
    from autograder.sandbox.client import Zygote
    from autograder.submission import load_submission

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    if not sheet_config.public_checks:
        raise UsageError(f"{sheet} has no public checks")
    prepare_imports(config, sheet_config)
    module_path = config.resolve(sheet_config.assignment_dir) / sheet_config.public_checks
    spec = importlib.util.spec_from_file_location(f"{sheet}_public_checks", module_path)
    assert spec is not None and spec.loader is not None
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    try:
        loaded = load_submission(notebook, max_bytes=config.limits.max_submission_mb << 20, expected_sheet=sheet)
    except SubmissionError as exc:
        console.print(f"[red]not gradable:[/] {exc}")
        return False
    request, _ = sandbox_request(config, sheet_config, worker_index=0, device="cpu",
                                 protected=[str(notebook.resolve().parent)])
    zygote = Zygote()
    session = StudentSession(zygote, request, list(loaded.cells), cell_timeout=config.limits.cell_timeout_s,
                             default_timeout=config.limits.test_timeout_s, output_limit=config.limits.output_bytes)
    table = Table(title=f"public checks for {sheet} (these are not your grade)")
    for column in ("exercise", "check", "result"):
        table.add_column(column)
    passed_all = True
    try:
        proxy = StudentProxy(session)
        for exercise, functions in getattr(checks, "CHECKS", {}).items():
            for function in functions:
                session.deadline = time.monotonic() + config.limits.test_timeout_s
                try:
                    function(proxy)
                    verdict = "[green]passed[/]"
                except (AssertionError, StudentFailure) as exc:
                    verdict, passed_all = f"[red]failed:[/] {exc}", False
                except Exception as exc:  # noqa: BLE001 - a public check met an unexpected value
                    verdict, passed_all = f"[red]failed:[/] {type(exc).__name__}: {exc}", False
                table.add_row(exercise, function.__name__, verdict)
    finally:
        session.close()
        zygote.close()
    Console().print(table)
    return passed_all


def serve(*, host: str | None, port: int, config_path: Path | None = None) -> None:
    config = load_config(config_path)
    try:
        from autograder.service.app import serve as run_service
    except ImportError as exc:
        raise UsageError(f"the service needs the 'service' extra: pip install 'autograder[service]' ({exc})") from exc
    run_service(config=config, host=host, port=port or None)


# ------------------------------------------------------------------ release, report, export


def release(
    *, sheet: str, out: Path, nbgrader: bool = False, variants: Path | None = None, jobs: int = 2,
    device: str = "auto", work: Path | None = None, config_path: Path | None = None,
) -> Any:
    """Run the release gate and, when it passes, write the student bundle under ``out``."""
    from autograder.release import release_sheet

    config_file = find_config(config_path)
    config = load_config(config_file)
    outcome = release_sheet(config=config, sheet=sheet, out=out, nbgrader=nbgrader, variants=variants, jobs=jobs,
                            device=device, work_dir=work, config_file=config_file)
    console.print(outcome.report.render(), markup=False, highlight=False, soft_wrap=True)
    console.print(f"released {sheet}: {outcome.bundle}", soft_wrap=True)
    return outcome


def rubric(*, sheet: str, out: Path | None = None, config_path: Path | None = None) -> tuple[Path, Path]:
    """Staff-only: ``<out>/rubric.md`` (every hidden test) and ``<out>/<sheet>_solutions.ipynb``; prints the rubric."""
    import nbformat

    from autograder.rubric import collect, render_markdown
    from autograder.solutions import solutions_notebook

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    out = out or config.root / "build" / "staff" / sheet
    out.mkdir(parents=True, exist_ok=True)
    text = render_markdown(collect(config, sheet_config), sheet_config, config.limits.test_timeout_s)
    (out / "rubric.md").write_text(text + "\n", encoding="utf-8")
    nbformat.write(solutions_notebook(config, sheet_config), out / f"{sheet}_solutions.ipynb")
    console.print(text, markup=False, highlight=False, soft_wrap=True)
    console.print(f"rubric and solutions notebook (staff only): {out}", soft_wrap=True)
    return out / "rubric.md", out / f"{sheet}_solutions.ipynb"


def report(*, sheet: str, results_dir: Path, out: Path, config_path: Path | None = None) -> Path:
    """The TA report (one HTML page) for the results in ``results_dir``."""
    from autograder.exports import load_results
    from autograder.late import apply_late_policy
    from autograder.report import write_report

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    results = [apply_late_policy(r, sheet_config) for r in load_results(results_dir, sheet=sheet)]
    if not results:
        raise UsageError(f"no results of {sheet} in {results_dir}")
    path = write_report(results, sheet_config, out, similarity_dir=results_dir / "similarity")
    console.print(f"TA report for {len(results)} submission(s): {path}", soft_wrap=True)
    return path


def export(
    *, sheet: str, results_dir: Path, out: Path | None = None, lms: Path | None = None,
    lms_grade_column: str | None = None, feedback: bool = True, config_path: Path | None = None,
) -> Any:
    """grades.csv, Gradescope results.json per student, feedback pages and (optionally) an LMS CSV."""
    from autograder.exports import export_results, load_results

    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    results = load_results(results_dir, sheet=sheet)
    if not results:
        raise UsageError(f"no results of {sheet} in {results_dir}")
    target = out or results_dir / "export"
    summary = export_results(config=config, sheet=sheet_config, results=results, out_dir=target, lms=lms,
                             lms_grade_column=lms_grade_column, feedback=feedback)
    console.print(f"exported {len(summary.results)} student(s) to {target}"
                  + (f" ({summary.superseded} other submission(s) not counted)" if summary.superseded else "")
                  + (f"; LMS CSV: {lms}" if lms else ""), soft_wrap=True)
    return summary


def similarity(
    *, sheet: str, submissions: list[Path], out: Path, archives: list[Path] | None = None, threshold: float = 0.5,
    config_path: Path | None = None, show_table: bool = True,
) -> Any:
    """Rank every pair of submissions by shared own code (the sheet's notebook discounted); see docs/similarity.md."""
    from autograder.similarity import Settings, run_similarity
    from autograder.similarity.render import top_table

    if not 0.0 < threshold <= 1.0:
        raise UsageError(f"--threshold must be a share between 0 and 1 (got {threshold})")
    config = load_config(config_path)
    sheet_config = config.sheet(sheet)
    run = run_similarity(
        notebook=config.resolve(sheet_config.assignment_dir) / sheet_config.notebook, submissions=submissions,
        out=out, archives=archives or [], settings=Settings(threshold=threshold),
        max_bytes=config.limits.max_submission_mb << 20, sheet=sheet,
        title=f"Similarity: {sheet_config.title or sheet}")
    if show_table:
        wide = Console()
        wide.width = max(wide.width, 132)  # whole ids, as in grade's summary
        wide.print(top_table(run.pairs, title=f"{sheet}: {len(run.compared)} compared, "
                                  f"{len(run.flagged)} pair(s) flagged (evidence to weigh, not a verdict)"))
    for key, why in run.left_out:
        console.print(f"not compared: {key}: {why}", markup=False, highlight=False, soft_wrap=True)
    for own in (own for own in run.submissions if own.note):
        console.print(f"note: {own.key}: {own.note}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"side by side: {run.index}; all pairs: {out / 'pairs.csv'}", soft_wrap=True)
    return run
