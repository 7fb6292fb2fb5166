"""``autograder written``: written answers offline, through a CSV (:mod:`autograder.term.written_csv`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autograder import api
from autograder.cli.app import ConfigOption, _fail, app
from autograder.core.errors import AutograderError, UsageError


@app.command()
def written(
    sheet: Annotated[str, typer.Argument(help="sheet name from the course config, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="the --out folder of `autograder grade`")],
    export: Annotated[Path | None, typer.Option(
        "--export", help="write every student's answers and marks to this CSV")] = None,
    import_: Annotated[Path | None, typer.Option(
        "--import", help="add the marks of this CSV (points in [0, max], rubric ids separated by ';'); "
        "checked first, nothing imported when a row is wrong; the same file twice adds nothing")] = None,
    by: Annotated[str, typer.Option("--by", help="who gives the imported marks (kept in the ledger)")] = "staff",
    config: ConfigOption = None,
) -> None:
    """Written answers of SHEET in RESULTS_DIR: how many await staff, or --export / --import a CSV."""
    from autograder.term import written_csv

    try:
        if export is not None and import_ is not None:
            raise UsageError("give --export or --import, not both")
        course = api.load(config)
        sheet_config = course.sheet(sheet)
        if export is not None:
            export.write_text(written_csv.export_csv(course, sheet_config, results_dir), encoding="utf-8")
            typer.echo(f"wrote {export}")
        elif import_ is not None:
            try:
                text = import_.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"{import_} cannot be read as a UTF-8 CSV: {exc}") from None
            summary = written_csv.import_csv(course, sheet_config, results_dir, text, by=by)
            typer.echo(summary.describe())
        else:
            typer.echo(written_csv.pending_summary(course, sheet_config, results_dir))
    except AutograderError as exc:
        _fail(exc)
