"""``autograder lms-push``: the command over :func:`autograder.api.lms_push` (registered in :mod:`autograder.cli.main`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from autograder import api
from autograder.core.errors import EXIT_LMS_NOT_SENT, AutograderError

console = Console(stderr=True)


def _say(text: str, style: str | None = None) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True, style=style)


def lms_push(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2; its line item in the LMS has "
                                         "resourceId and tag SHEET")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results (staff's parts in "
                                                "RESULTS_DIR/staff/, the push ledger in RESULTS_DIR/lms/)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be sent and send nothing (it "
                                          "still reads the LMS: token, line items, NRPS roster)")] = False,
    roster: Annotated[Path | None, typer.Option("--roster", help="CSV of student_id,lms_user_id (default: "
                                                   "lms.roster_csv, else the LMS's NRPS membership)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="course_config.py to use (default: found "
                                                   "in the current folder or a parent)")] = None,
) -> None:
    """Post each student's final grade of SHEET to the LMS over LTI 1.3 Advantage (Assignment and Grade Services).

    Final = tests + written answers + staff adjustments - late penalty: the late policy is applied
    here, once, so keep the LMS's own late policy off for this column. Students the roster does not
    map are named and not sent. Every score sent is recorded in RESULTS_DIR/lms/pushed.jsonl; a rerun
    sends only the students not sent yet or whose grade changed. Exit code 9 when some student's
    grade is not in the LMS (each is named), 2 for a configuration error.
    """
    try:
        outcome = api.lms_push(sheet=sheet, results_dir=results_dir, dry_run=dry_run, roster=roster,
                               config_path=config)
    except AutograderError as exc:
        said = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        console.print(f"error: {said}", markup=False, highlight=False, soft_wrap=True, style="bold red")
        raise typer.Exit(exc.exit_code) from None
    item = outcome.line_item + (" (created now)" if outcome.line_item_created else "")
    if outcome.dry_run:
        _say(f"dry run: nothing sent. Line item: {item if outcome.line_item != '(new)' else 'would be created'}")
        for planned in outcome.planned:
            body = planned.body
            typer.echo(f"would send {planned.student_id} -> LMS user {planned.lms_user_id}: {body['scoreGiven']:g}/"
                       f"{body['scoreMaximum']:g} {body['gradingProgress']} ({body['comment']})")
    else:
        _say(f"line item: {item}")
        _say(f"sent {len(outcome.sent)} score(s)"
             + (f"; {len(outcome.unchanged)} already in the LMS unchanged" if outcome.unchanged else ""))
    if outcome.dry_run and outcome.unchanged:
        _say(f"{len(outcome.unchanged)} already in the LMS unchanged: {', '.join(outcome.unchanged)}")
    if outcome.roster_without_result:
        _say(f"in the roster without a result (nothing to send): {', '.join(outcome.roster_without_result)}")
    not_sent = outcome.not_sent
    for student, why in not_sent.items():
        _say(f"not sent: {student}: {why}", style="red")
    if not_sent:
        _say(f"{len(not_sent)} student(s) not sent: {', '.join(not_sent)}; fix what is said above and run the "
             "same command again: it sends only these and any grade that changed", style="bold red")
        raise typer.Exit(EXIT_LMS_NOT_SENT)
