"""The term's commands: ``regrade`` (a diff, then apply with history) and ``adjust`` (staff adjustments).

Registered on :data:`autograder.cli.main.app`; thin, over :mod:`autograder.api`.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from autograder import api
from autograder.cli.app import ConfigOption, _fail, app
from autograder.core.errors import EXIT_NO_RESULT, AutograderError

console = Console(stderr=True)


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command()
def regrade(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results (from grade --out)")],
    apply: Annotated[bool, typer.Option("--apply", help="replace the results with the new ones (the old ones "
                                        "go to RESULTS_DIR/history/<time>/) and rewrite grades.csv")] = False,
    show_history: Annotated[bool, typer.Option("--history", help="list the regrades applied so far; "
                                               "grade nothing")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="warm worker processes")] = 1,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    config: ConfigOption = None,
) -> None:
    """Grade every submission in RESULTS_DIR again under the current suite, config and engine.

    Writes RESULTS_DIR/regrades/<time>/diff.csv and diff.html: each changed test (old -> new points
    and status, and what changed: test code, points, config, engine), each student's final before ->
    after (staff adjustments and written marks kept), and a summary. Without --apply nothing else in
    RESULTS_DIR changes. Exit code: 0 done; 4 some students could not be regraded (file not found or
    grading failed: their old result is kept, the diff says why); 2 usage or configuration error.
    """
    try:
        if show_history:
            entries = api.regrade_history(results_dir=results_dir)
            for entry in entries:
                _say(f"{entry.get('stamp')}: {entry.get('summary')}; replaced {len(entry.get('replaced', []))} "
                     f"result(s); old results in {entry.get('folder')}")
            if not entries:
                _say(f"no regrade applied in {results_dir} yet")
            return
        run = api.regrade(sheet=sheet, results_dir=results_dir, apply=apply, jobs=jobs, device=device,
                          config_path=config)
    except AutograderError as exc:
        _fail(exc)
        return
    for change in run.diff.changes:
        _say(f"{change.student_id} {change.exercise} {change.test}: {change.old_points} -> {change.new_points} "
             f"({change.old_status} -> {change.new_status}; {'; '.join(change.why)})"
             + (f"; {change.kept}" if change.kept else ""))
    for name, why in sorted(run.not_regraded.items()):
        _say(f"{name}: {why}")
    _say(run.summary)
    _say(f"diff: {run.folder / 'diff.html'} and diff.csv"
         + (f"; applied, old results in {run.history}" if run.applied else "; preview only (use --apply)"))
    if run.not_regraded:
        raise typer.Exit(EXIT_NO_RESULT)


@app.command()
def adjust(
    sheet: Annotated[str, typer.Argument(help="sheet name, e.g. sheet_3_2")],
    results_dir: Annotated[Path, typer.Argument(help="folder of <student>.json results")],
    student: Annotated[str | None, typer.Argument(help="the student id to adjust")] = None,
    test: Annotated[str | None, typer.Option("--test", help="the test's node id (or name) whose points to set")] = None,
    exercise: Annotated[str | None, typer.Option("--exercise", help="the exercise whose points to set")] = None,
    points: Annotated[float | None, typer.Option("--points", help="the points it gets, in [0, its max]")] = None,
    reason: Annotated[str, typer.Option("--reason", help="shown to the student: 'adjusted by staff: <reason>'")] = "",
    by: Annotated[str | None, typer.Option("--by", help="who decided (default: your login name)")] = None,
    note: Annotated[str, typer.Option("--note", help="a staff-only note (never shown to the student)")] = "",
    remove: Annotated[str | None, typer.Option("--remove", help="take back the adjustment with this id")] = None,
    show_list: Annotated[bool, typer.Option("--list", help="print the audit log: who, when, old, new, reason")] = False,
    config: ConfigOption = None,
) -> None:
    """Set one student's points on a test or an exercise, with a reason; survives regrades until removed.

    The ledger is RESULTS_DIR/staff/adjustments.jsonl (append-only: its own audit log); grades.csv is
    rewritten. Exit code: 0 done; 2 usage error (unknown student, test or exercise, points outside
    [0, max], no reason).
    """
    who = by if by is not None else getpass.getuser()
    try:
        if show_list:
            from autograder.term.adjust import audit_rows

            for row in audit_rows(results_dir):
                _say(f"{row['id']} {row['action']}{' (in force)' if row['in_force'] else ''} {row['at']} by "
                     f"{row['by'] or '?'}: {row['student']} {row['target']}: {row['old']} -> {row['new']}; "
                     f"reason: {row['reason']}" + (f"; staff note: {row['staff_note']}" if row['staff_note'] else ""))
            return
        if remove:
            entry = api.remove_adjustment(sheet=sheet, results_dir=results_dir, adjustment_id=remove, by=who,
                                          reason=reason, config_path=config)
            _say(f"removed adjustment {remove} ({entry.student_id}); grades.csv rewritten")
            return
        if student is None:
            raise typer.BadParameter("give STUDENT (or --list, or --remove ID)")
        entry = api.adjust(sheet=sheet, results_dir=results_dir, student=student, test=test, exercise=exercise,
                           points=points, reason=reason, by=who, note=note, config_path=config)
    except AutograderError as exc:
        _fail(exc)
        return
    _say(f"adjustment {entry.id}: {student} {entry.test or 'exercise ' + entry.exercise} set to {entry.points:g} "
         f"(autograded {entry.old_points:g}); grades.csv rewritten")
