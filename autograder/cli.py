"""The ``autograder`` command: a thin layer over the keyword-only API in autograder.api.

Exit codes (one meaning each; docs/exit-codes.md): 0 success; 1 internal error (a bug: traceback);
2 usage or configuration error; 3 submissions refused (colliding ids, the rest graded; or a missing
path, nothing graded); 4 some submissions have no result (rerun to resume); 5 release refused by the
gate; 6 check: nothing fails, some exercise still to do; 7 check: a public check fails or the
notebook cannot be checked; 8 assign --check: the committed notebook is stale; 9 lms-push: some
students not sent; 130 interrupted.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from autograder import api
from autograder.batch_events import BatchEvent, BatchStarted, WorkersReady
from autograder.checks import summary_line
from autograder.cli_app import HELP, CommandApp
from autograder.cli_lms import lms_push
from autograder.errors import (
    EXIT_CHECK_FAILED,
    EXIT_CHECK_TO_DO,
    EXIT_NO_RESULT,
    EXIT_REFUSED,
    EXIT_STALE,
    AutograderError,
)
from autograder.progress import GradingProgress

app = CommandApp(
    help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(stderr=True)

ConfigOption = Annotated[Optional[Path], typer.Option("--config", help="course_config.py to use "
                                                      "(default: found in the current folder or a parent)")]


def _fail(exc: AutograderError) -> None:
    """One line on stderr (never wrapped, never read as markup) and the error's exit code."""
    said = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())  # pydantic's are multi-line
    console.print(f"[bold red]error:[/] {escape(said)}", soft_wrap=True, highlight=False)
    raise typer.Exit(exc.exit_code)


@app.command()
def grade(
    sheet: Annotated[str, typer.Argument(help="sheet name from the course config, e.g. sheet_3_2")],
    submissions: Annotated[list[Path], typer.Argument(help="notebooks, .py files, or folders "
                                                      "(nbgrader's submitted/ layout included)")],
    out: Annotated[Path, typer.Option("--out", help="folder for <student>.json and grades.csv")] = Path(
        "build/results"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="warm worker processes")] = 1,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    regrade: Annotated[bool, typer.Option("--regrade", help="grade again even if a result exists")] = False,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address, "
                                                     "e.g. tcp://host:8786")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    submitted_at: Annotated[Optional[Path], typer.Option(
        "--submitted-at", help="CSV of 'student id,time' (ISO 8601): when each came in, for lateness; "
        "before nbgrader's timestamp.txt")] = None,
    trust_mtime: Annotated[bool, typer.Option(
        "--trust-mtime", help="take a plain file's modification time as its submission time (the "
        "student controls it; by default such a submission's time is unknown and never late)")] = False,
    config: ConfigOption = None,
) -> None:
    """Grade submissions of SHEET into --out: one <student id>.json each, plus grades.csv."""
    started = time.monotonic()
    try:
        with _Progress(not quiet) as on_event:
            summary = api.grade(sheet=sheet, submissions=submissions, out=out, jobs=jobs, device=device,
                                regrade=regrade, scheduler=scheduler, config_path=config, on_event=on_event,
                                submitted_at=submitted_at, trust_mtime=trust_mtime)
        exercises = list(api.load(config).sheet(sheet).points)
    except AutograderError as exc:
        _fail(exc)
        return
    _print_summary(summary, exercises, sheet, out, time.monotonic() - started)
    if summary.missing:
        console.print(f"[bold red]{len(summary.missing)} submission(s) have no result:[/] "
                      f"{', '.join(summary.missing)}; run the same command again to resume")
        raise typer.Exit(EXIT_NO_RESULT)
    if summary.refused:
        console.print(f"[bold red]{len(summary.refused)} student id(s) refused[/] (listed above); "
                      "every other submission was graded")
        raise typer.Exit(EXIT_REFUSED)


_STATUS_STYLE = {"pass": "[green]pass[/]", "FAIL": "[bold red]FAIL[/]", "to do": "[yellow]to do[/]"}


@app.command()
def check(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    notebook: Annotated[Path, typer.Argument(help="your notebook (.ipynb) or .py file")],
    exercise: Annotated[Optional[str], typer.Option("--exercise", "-e", help="only this exercise's checks, "
                                                    "e.g. 3.2.2 (default: all)")] = None,
    config: ConfigOption = None,
) -> None:
    """Run only the sheet's public checks on NOTEBOOK (what students run before submitting).

    Each check reads pass, FAIL, or "to do" (the exercise is not written yet), as check() in the
    notebook does. Exit code: 0 every check passes; 7 a check fails, or the notebook cannot be
    checked; 6 no check fails but some exercise is still to do; 2 usage or configuration error.
    """
    try:
        found = api.check(sheet=sheet, notebook=notebook, exercise=exercise, config_path=config)
    except AutograderError as exc:
        _fail(exc)
        return
    if found.not_gradable:
        console.print(f"[red]not gradable:[/] {escape(found.not_gradable)}")
        raise typer.Exit(EXIT_CHECK_FAILED)
    table = Table(title=f"public checks for {sheet} (these are not your grade)")
    for column in ("exercise", "check", "result", "message"):
        table.add_column(column)
    for row in found.rows:
        table.add_row(row.exercise, row.check, _STATUS_STYLE.get(row.status, row.status), escape(row.message))
    Console().print(table)
    console.print(escape(summary_line(found.rows)), soft_wrap=True)
    raise typer.Exit(EXIT_CHECK_FAILED if found.failed else EXIT_CHECK_TO_DO if found.to_do else 0)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="address to listen on (default: from "
                                                "JUPYTERHUB_SERVICE_URL, else 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default: from JUPYTERHUB_SERVICE_URL, "
                                                "else 10101)", show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Run the grading service (a JupyterHub managed service)."""
    try:
        api.serve(host=host, port=port or 0, config_path=config)
    except AutograderError as exc:
        _fail(exc)


@app.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Print the resolved course configuration."""
    try:
        loaded = api.load(config)
    except AutograderError as exc:
        _fail(exc)
        return
    typer.echo(loaded.model_dump_json(indent=2))


@app.command()
def assign(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    check: Annotated[bool, typer.Option("--check", help="write nothing; exit 8 when the committed notebook "
                                        "is not what the master builds")] = False,
    config: ConfigOption = None,
) -> None:
    """Build SHEET's student notebook from its master (sheets/<sheet>/master.md): stubs, checks, values."""
    try:
        outcome = api.assign(sheet=sheet, check=check, config_path=config)
    except AutograderError as exc:  # the message quotes the master: no markup, no wrapping
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    if outcome.written:
        typer.echo(f"wrote {outcome.path}")
    elif not outcome.changed:
        typer.echo(f"{outcome.path} is up to date")
    else:
        console.print(f"[bold red]{outcome.path} is stale:[/] it is not what {outcome.master_name} builds; "
                      f"run `autograder assign {sheet}` and commit the notebook", soft_wrap=True)
        raise typer.Exit(EXIT_STALE)


@app.command()
def release(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    out: Annotated[Path, typer.Option("--out", help="folder for the student bundle (<out>/<sheet>/)")],
    nbgrader: Annotated[bool, typer.Option("--nbgrader", help="nbgrader's layout: <out>/release/<sheet>/")] = False,
    variants: Annotated[Optional[Path], typer.Option("--variants", help="folder of known-wrong variants "
                                                     "(default: tests/variants/<sheet>/)")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="warm worker processes for the gate")] = 2,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    work: Annotated[Optional[Path], typer.Option("--work", help="staff-only folder for the gate's results "
                                                 "(default: build/release-gate/<sheet>)")] = None,
    config: ConfigOption = None,
) -> None:
    """Release SHEET to students, only if the release gate passes (exit code 5 when it refuses)."""
    from autograder.errors import ReleaseRefused

    try:
        outcome = api.release(sheet=sheet, out=out, nbgrader=nbgrader, variants=variants, jobs=jobs, device=device,
                              work=work, config_path=config)
        console.print(outcome.report.render(), markup=False, highlight=False, soft_wrap=True)
        console.print(f"released {sheet}: {outcome.bundle}", soft_wrap=True)
    except ReleaseRefused as exc:  # the report is plain text: no markup, no wrapping
        console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except AutograderError as exc:
        _fail(exc)


@app.command("new-sheet")
def new_sheet(
    name: Annotated[str, typer.Argument(help="the new sheet's name: lowercase letters, digits and underscores, "
                                        "e.g. sheet_3_3 (it becomes the module reference.NAME)")],
    title: Annotated[str | None, typer.Option("--title", help="the sheet's title (default: from NAME)")] = None,
    config: ConfigOption = None,
) -> None:
    """Scaffold a new sheet that passes `autograder release` as it stands, in the course of the config.

    Writes, under the course root: sheets/NAME/master.md (the master: prose, a stub, a check cell),
    reference/NAME/__init__.py (the reference: its docstrings are what students read),
    tests/hidden/NAME/test_NAME.py (hidden tests), assignments/NAME/public_checks.py,
    tests/variants/NAME/ (a known-wrong variant), tests/alternatives/NAME/ (a known-correct one), and
    builds assignments/NAME/NAME.ipynb from the master, and writes sheets/NAME/sheet.toml (its title and
    points), which the course config finds: no edit of course_config.py is needed. Refuses (writing
    nothing) when any of these exists. Then see docs/authoring.md.
    """
    try:
        made = api.new_sheet(name=name, title=title, config_path=config)
    except AutograderError as exc:
        _fail(exc)
        return
    for path in made.files:
        console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"{name} is part of the course now (described in {made.sheet_file}); check it with "
                  f"`autograder release {name} --out DIR`", markup=False, highlight=False, soft_wrap=True)


@app.command()
def rubric(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    out: Annotated[Optional[Path], typer.Option("--out", help="staff folder for rubric.md and the solutions "
                                                "notebook (default: build/staff/<sheet>)")] = None,
    config: ConfigOption = None,
) -> None:
    """Staff only: print every hidden test's exercise, points, limit and checks; write it and a solutions notebook."""
    try:
        api.rubric(sheet=sheet, out=out, config_path=config)
    except AutograderError as exc:
        _fail(exc)


@app.command()
def report(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results")],
    out: Annotated[Path, typer.Option("--out", help="the HTML report to write")] = Path("report.html"),
    config: ConfigOption = None,
) -> None:
    """A TA report: scores, tests by pass rate, failures by message, work not attempted, a roster, grading time."""
    try:
        api.report(sheet=sheet, results_dir=results_dir, out=out, config_path=config)
    except AutograderError as exc:
        _fail(exc)


@app.command()
def export(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results")],
    out: Annotated[Optional[Path], typer.Option("--out", help="folder for grades.csv, gradescope/ and "
                                                "feedback/ (default: RESULTS_DIR/export)")] = None,
    lms: Annotated[Optional[Path], typer.Option("--lms", help="also write an LMS gradebook CSV here")] = None,
    lms_grade_column: Annotated[Optional[str], typer.Option("--lms-grade-column", help="grade column name "
                                                            "in the LMS CSV (default: the sheet name)")] = None,
    feedback: Annotated[bool, typer.Option("--feedback/--no-feedback", help="write feedback pages")] = True,
    config: ConfigOption = None,
) -> None:
    """Apply the late policy and export grades (grades.csv, Gradescope JSON, LMS CSV, feedback pages)."""
    try:
        api.export(sheet=sheet, results_dir=results_dir, out=out, lms=lms, lms_grade_column=lms_grade_column,
                   feedback=feedback, config_path=config)
    except AutograderError as exc:
        _fail(exc)


@app.command("nbgrader-export")
def nbgrader_export(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results")],
    nbgrader_db: Annotated[str, typer.Option("--nbgrader-db", help="nbgrader's gradebook.db (path or "
                                             "database URL)")],
    assignment: Annotated[str | None, typer.Option("--assignment", help="nbgrader assignment name "
                                                      "(default: the sheet name)")] = None,
    manual: Annotated[bool, typer.Option("--manual", help="write manual scores instead of autograded ones")] = False,
    course_id: Annotated[str, typer.Option("--course-id", help="nbgrader course id")] = "default_course",
    config: ConfigOption = None,
) -> None:
    """Write the scores in RESULTS_DIR into an nbgrader gradebook (formgrader shows them)."""
    from autograder.nbgrader_export import export_to_gradebook

    try:
        sheet_config = api.load(config).sheet(sheet)
        done = export_to_gradebook(
            results_dir=results_dir, db_url_or_path=nbgrader_db, assignment=assignment or sheet,
            notebook=Path(sheet_config.notebook).stem, points=sheet_config.points,
            score_field="manual" if manual else "auto", course_id=course_id, duedate=sheet_config.aware_deadline(),
            sheet=sheet_config,
        )
    except AutograderError as exc:
        _fail(exc)
        return
    console.print(f"{len(done.students)} student(s), {len(done.exercises)} exercise(s) written to "
                  f"assignment {done.assignment!r} in {nbgrader_db}")


@app.command()
def similarity(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    submissions: Annotated[list[Path], typer.Argument(help="notebooks, .py files or folders, as for grade")],
    out: Annotated[Path, typer.Option("--out", help="folder for index.html, pairs/, pairs.csv, similarity.json "
                                      "(RESULTS_DIR/similarity puts it in the TA report)")],
    archive: Annotated[list[Path] | None, typer.Option("--archive", help="an earlier semester's folder of "
                                                       "submissions (repeatable)")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="flag a pair when both shares reach this")] = 0.5,
    config: ConfigOption = None,
) -> None:
    """Which submissions share code, side by side, with the sheet's own code discounted."""
    try:
        api.similarity(sheet=sheet, submissions=submissions, out=out, archives=archive or [], threshold=threshold,
                       config_path=config)
    except AutograderError as exc:
        _fail(exc)


app.command("lms-push")(lms_push)

# ------------------------------------------------------------------ grade's display


class _Progress:
    """The live display of :class:`autograder.progress.GradingProgress`, fed by the batch's events;
    silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.view = GradingProgress()
        self.live = Live(self.view, console=console, refresh_per_second=2, transient=False)

    def __enter__(self) -> Any:
        if self.enabled:
            self.live.__enter__()
        return self.on_event

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.live.__exit__(*exc)  # type: ignore[arg-type]
            if not console.is_terminal:
                console.line()  # the last frame, printed once, ends without a newline there

    def on_event(self, event: BatchEvent) -> None:
        self.view.on_event(event)
        if not self.enabled:
            return
        if isinstance(event, BatchStarted) and event.reused:
            console.print(f"{event.reused} submission(s) already graded: reused (use --regrade)")
        if isinstance(event, BatchStarted) and event.shared:
            console.print(f"{event.shared} submission(s) identical to another's: graded once for all")
        elif isinstance(event, WorkersReady):
            console.print(f"{event.jobs} warm worker(s) on {event.device}")


def _print_summary(summary: Any, exercises: list[str], sheet: str, out: Path, seconds: float) -> None:
    table = Table(title=f"{sheet}: {len(summary.results)} submission(s), {seconds:.1f} s")
    table.add_column("student")
    for ex in exercises:
        table.add_column(ex, justify="right")
    table.add_column("total", justify="right", style="bold")
    notes = {result.student_id: "not gradable" if not result.gradable else
             ("GRADER ERROR" if result.grader_error else
              f"awaiting staff: {sum(a.max_points for a in result.written if a.mark is None):g} pts"
              if result.provisional else "") for result in summary.results}
    if any(notes.values()):  # the column only where some row has something to say
        table.add_column("note")
    for result in sorted(summary.results, key=lambda r: r.student_id):
        per = result.exercise_scores()
        table.add_row(result.student_id, *(f"{per.get(ex, (0, 0))[0]:g}" for ex in exercises),
                      f"{result.final_score:g}/{result.max_score:g}",
                      *([notes[result.student_id]] if any(notes.values()) else []))
    wide = Console()
    wide.width = max(wide.width, 132)  # one column per exercise: do not squeeze ids into "stu…"
    wide.print(table)
    for line in [*summary.notes, *summary.refused]:
        console.print(line, soft_wrap=True, markup=False)
    for line in getattr(summary, "warnings", ()):  # look-alike ids: graded apart, worth a look
        console.print(f"warning: {line}", soft_wrap=True, markup=False, style="yellow")
    console.print(f"results in {out}/ (one <student>.json each, grades.csv); {summary.reused} result(s) reused "
                  "from an earlier run (same submission, suite and engine)", soft_wrap=True)


import autograder.cli_written  # noqa: F401 - registers `autograder written` on app (it imports app from here)


def main() -> None:  # pragma: no cover - console entry point
    app()


from autograder import cli_term  # noqa: F401  (registers regrade and adjust on app)
