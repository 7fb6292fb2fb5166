"""The error hierarchy and the exit codes. Each message says what to do next.

Exit codes, one meaning each (README.md and docs/exit-codes.md show the same table):
    0  success: every submission got a result file (whatever the scores); every public check passes
    1  unexpected internal error (a bug in the grader; the traceback is printed)
    2  usage or configuration error (bad arguments or paths, missing config, unknown sheet): one line
    3  submissions refused: student ids that truly collide (the rest are graded) or a missing path
    4  some submissions have no result (grader crashed or was interrupted); rerun to resume; ``regrade``:
       some students could not be regraded (their old results are kept)
    5  a release was refused by the release gate
    6  ``check``: no public check fails, but some exercise is still to do
    7  ``check``: a public check fails, or the notebook cannot be checked at all
    8  ``assign --check``: the committed student notebook is not what its master builds
    9  ``lms-push``: some students' grades are not in the LMS (named on stderr); rerun to send only those
  130  interrupted (Ctrl-C)
Codes 4 and 6-8 are outcomes the CLI returns after the work is done: no exception carries them. Code 9
is both: an outcome (some students not sent) and :class:`LmsError` (the LMS refused or is unreachable).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_NO_RESULT = 4
EXIT_RELEASE_REFUSED = 5
EXIT_CHECK_TO_DO = 6
EXIT_CHECK_FAILED = 7
EXIT_STALE = 8
EXIT_LMS_NOT_SENT = 9
EXIT_INTERRUPTED = 130


class AutograderError(Exception):
    """Base class for errors meant for course staff: the CLI prints the message on one line.

    Raised bare it is a usage error (exit 2); exit 1 stays for the unexpected, which the CLI does
    not catch, so its traceback is printed.
    """

    exit_code = EXIT_USAGE


class ConfigError(AutograderError):
    exit_code = EXIT_USAGE


class UsageError(AutograderError):
    exit_code = EXIT_USAGE


class BatchRefused(AutograderError):
    exit_code = EXIT_REFUSED


class ReleaseRefused(AutograderError):
    exit_code = EXIT_RELEASE_REFUSED


class LmsError(AutograderError):
    """The LMS could not be reached or refused the tool (its token, the line item): nothing more was sent."""

    exit_code = EXIT_LMS_NOT_SENT


class AssignError(AutograderError):
    """A sheet's master cannot be built into the student notebook; the message names the cell."""

    exit_code = EXIT_USAGE


class SubmissionError(Exception):
    """A file that is not a gradable submission; the message is shown to the student."""
