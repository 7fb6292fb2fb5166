"""``python -m autograder``: the same command as ``autograder`` (with the same exit codes)."""

from autograder.cli.main import app

app(prog_name="autograder")
