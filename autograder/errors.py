"""The error hierarchy. Each message says what to do next; ``exit_code`` is what the CLI returns.

Exit codes (also in ``autograder --help``):
    0  every submission got a result file (whatever the scores)
    1  unexpected internal error (a bug in the grader; the traceback is printed)
    2  usage or configuration error (bad arguments, missing config, unknown sheet)
    3  the batch was refused before grading (duplicate student ids, unreadable paths)
    4  some submissions have no result (grader crashed or was interrupted); rerun to resume
       (the CLI returns it after grading: no exception carries it)
    5  a release was refused by the release gate
    6  ``assign --check``: the committed student notebook is not what its master builds
       (the CLI returns it: no exception carries it)
"""

from __future__ import annotations


class AutograderError(Exception):
    """Base class for errors meant for course staff."""

    exit_code = 1


class ConfigError(AutograderError):
    exit_code = 2


class UsageError(AutograderError):
    exit_code = 2


class BatchRefused(AutograderError):
    exit_code = 3


class ReleaseRefused(AutograderError):
    exit_code = 5


class AssignError(AutograderError):
    """A sheet's master cannot be built into the student notebook; the message names the cell."""

    exit_code = 2


class SubmissionError(Exception):
    """A file that is not a gradable submission; the message is shown to the student."""
