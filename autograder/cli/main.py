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
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder import api
from autograder.cli import term, written  # noqa: F401 - each registers its commands on app
from autograder.cli.app import ConfigOption, _fail, app, console
from autograder.cli.display import GradeProgress, print_summary
from autograder.cli.lms import lms_push
from autograder.core.errors import (
    EXIT_CHECK_FAILED,
    EXIT_CHECK_TO_DO,
    EXIT_NO_RESULT,
    EXIT_REFUSED,
    EXIT_STALE,
    AutograderError,
)
from autograder.student.checks import summary_line


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
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address, "
                                                     "e.g. tcp://host:8786")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    submitted_at: Annotated[Path | None, typer.Option(
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
        with GradeProgress(not quiet) as on_event:
            summary = api.grade(sheet=sheet, submissions=submissions, out=out, jobs=jobs, device=device,
                                regrade=regrade, scheduler=scheduler, config_path=config, on_event=on_event,
                                submitted_at=submitted_at, trust_mtime=trust_mtime)
        exercises = list(api.load(config).sheet(sheet).points)
    except AutograderError as exc:
        _fail(exc)
        return
    print_summary(summary, exercises, sheet, out, time.monotonic() - started)
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
    exercise: Annotated[str | None, typer.Option("--exercise", "-e", help="only this exercise's checks, "
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
    host: Annotated[str | None, typer.Option(help="address to listen on (default: from "
                                                "JUPYTERHUB_SERVICE_URL, else 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: from JUPYTERHUB_SERVICE_URL, "
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
    variants: Annotated[Path | None, typer.Option("--variants", help="folder of known-wrong variants "
                                                     "(default: tests/variants/<sheet>/)")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="warm worker processes for the gate")] = 2,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    work: Annotated[Path | None, typer.Option("--work", help="staff-only folder for the gate's results "
                                                 "(default: build/release-gate/<sheet>)")] = None,
    config: ConfigOption = None,
) -> None:
    """Release SHEET to students, only if the release gate passes (exit code 5 when it refuses)."""
    from autograder.core.errors import ReleaseRefused

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
    out: Annotated[Path | None, typer.Option("--out", help="staff folder for rubric.md and the solutions "
                                                "notebook (default: build/staff/<sheet>)")] = None,
    config: ConfigOption = None,
) -> None:
    """Staff only: print every hidden test's exercise, points, limit and checks; write it and a solutions notebook."""
    try:
        written = api.rubric(sheet=sheet, out=out, config_path=config)
        console.print(written.text, markup=False, highlight=False, soft_wrap=True)
        console.print(f"rubric and solutions notebook (staff only): {written.folder}", soft_wrap=True)
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
        made = api.report(sheet=sheet, results_dir=results_dir, out=out, config_path=config)
        console.print(f"TA report for {made.submissions} submission(s): {made.path}", soft_wrap=True)
    except AutograderError as exc:
        _fail(exc)


@app.command()
def export(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results")],
    out: Annotated[Path | None, typer.Option("--out", help="folder for grades.csv, gradescope/ and "
                                                "feedback/ (default: RESULTS_DIR/export)")] = None,
    lms: Annotated[Path | None, typer.Option("--lms", help="also write an LMS gradebook CSV here")] = None,
    lms_grade_column: Annotated[str | None, typer.Option("--lms-grade-column", help="grade column name "
                                                            "in the LMS CSV (default: the sheet name)")] = None,
    feedback: Annotated[bool, typer.Option("--feedback/--no-feedback", help="write feedback pages")] = True,
    config: ConfigOption = None,
) -> None:
    """Apply the late policy and export grades (grades.csv, Gradescope JSON, LMS CSV, feedback pages)."""
    try:
        done = api.export(sheet=sheet, results_dir=results_dir, out=out, lms=lms, lms_grade_column=lms_grade_column,
                          feedback=feedback, config_path=config)
        summary = done.summary
        console.print(f"exported {len(summary.results)} student(s) to {done.folder}"
                      + (f" ({summary.superseded} other submission(s) not counted)" if summary.superseded else "")
                      + (f"; LMS CSV: {done.lms}" if done.lms else ""), soft_wrap=True)
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
    from autograder.outputs.nbgrader_export import export_to_gradebook

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
        found = api.similarity(sheet=sheet, submissions=submissions, out=out, archives=archive or [],
                               threshold=threshold, config_path=config)
    except AutograderError as exc:
        _fail(exc)
        return
    _print_similarity(found, sheet)


app.command("lms-push")(lms_push)

def _print_similarity(found: api.SimilarityOutcome, sheet: str) -> None:
    from autograder.similarity.render import top_table

    run = found.run
    wide = Console()
    wide.width = max(wide.width, 132)  # whole ids, as in grade's summary
    wide.print(top_table(run.pairs, title=f"{sheet}: {len(run.compared)} compared, "
                              f"{len(run.flagged)} pair(s) flagged (evidence to weigh, not a verdict)"))
    lines = [*(f"group {number} ({len(group.members)} submissions, {group.pairs} flagged pair(s)): "
               f"{', '.join(group.members)}" for number, group in enumerate(found.groups, start=1)),
             *(f"not compared: {key}: {why}" for key, why in run.left_out),
             *(f"note: {own.key}: {own.note}" for own in run.submissions if own.note)]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"side by side: {run.index}; all pairs: {found.pairs_csv}", soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point
    app()
