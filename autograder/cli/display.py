"""What ``autograder grade`` shows: the live progress while a batch runs and the summary table after it.

It prints through :data:`autograder.cli.app.console` (stderr), the one every command prints through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from autograder.cli.app import console
from autograder.grading.events import BatchEvent, BatchStarted, WorkersReady
from autograder.grading.progress import GradingProgress


class GradeProgress:
    """The live display of :class:`autograder.grading.progress.GradingProgress`, fed by the batch's events;
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


def print_summary(summary: Any, exercises: list[str], sheet: str, out: Path, seconds: float) -> None:
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
