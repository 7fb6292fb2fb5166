"""The ``autograder`` command's shell: its top-level help (with the exit codes) and how click's own errors end.

Also what every command module shares: the app they register on, stderr, ``--config`` and how an
error ends a command. The commands themselves are in :mod:`autograder.cli.main` (and the modules it
imports: :mod:`.term`, :mod:`.written`, :mod:`.lms`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from autograder.core.errors import EXIT_INTERRUPTED, EXIT_USAGE, AutograderError

HELP = """Grade notebooks of a course sheet in a sandbox; release sheets; report, export, compare.

\b
Exit codes, one meaning each (docs/exit-codes.md):
  0  success
  1  internal error: a bug in the grader (the traceback is printed)
  2  usage or configuration error (one line saying what to fix)
  3  submissions refused: colliding student ids (the rest are graded),
     or a missing path (nothing is)
  4  some submissions have no result: run the same command again to resume;
     regrade: some students could not be regraded (old results kept)
  5  release refused by the release gate
  6  check: no public check fails, but some exercise is still to do
  7  check: a public check fails, or the notebook cannot be checked
  8  assign --check: the committed notebook is not what its master builds
  9  lms-push: some students' grades are not in the LMS (each is named);
     run it again to send only those
  130  interrupted (Ctrl-C)
"""


INTERRUPTED = ("interrupted: every result written so far is kept; run the same command again "
               "to resume (grade reuses them)")


class CommandApp(typer.Typer):
    """The console entry point: a usage error of click's own (a missing argument, an unknown option)
    is one line and exit 2, like ours; an interrupt is 130, so that 1 only ever means a bug."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().__call__(*args, **kwargs)
        try:
            result = super().__call__(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            result = EXIT_INTERRUPTED
        except typer.TyperException as exc:  # click's errors (typer vendors click: matched by shape)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message())
            elif getattr(exc, "exit_code", None) == EXIT_USAGE:
                ctx = getattr(exc, "ctx", None)
                where = ctx.command_path if ctx is not None else "autograder"
                typer.echo(f"error: {exc.format_message()} (see `{where} --help`)", err=True)
            else:
                exc.show()  # type: ignore[attr-defined]
            sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
        if result == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130), which standalone_mode=False returns
            typer.echo(INTERRUPTED, err=True)
        sys.exit(result if isinstance(result, int) else 0)


app = CommandApp(
    help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="course_config.py to use "
                                                      "(default: found in the current folder or a parent)")]


def _fail(exc: AutograderError) -> None:
    """One line on stderr (never wrapped, never read as markup) and the error's exit code."""
    said = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())  # pydantic's are multi-line
    console.print(f"[bold red]error:[/] {escape(said)}", soft_wrap=True, highlight=False)
    raise typer.Exit(exc.exit_code)
