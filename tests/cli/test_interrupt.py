"""Ctrl-C during ``grade``: exit 130 with one line saying what was kept and how to resume (issue 22, item 5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_usage_errors import EXE, TOY

from autograder.core import errors


def test_ctrl_c_during_grade_says_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "results"
    # correct.py grades in a moment; hang.py spins in a test until its limit, so the batch is still running
    # a shell's background job starts with SIGINT ignored, which exec keeps: restore it, then exec the command
    restore = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", restore, EXE, "grade", "toy", str(TOY / "submissions" / "correct.py"), str(TOY / "submissions" / "hang.py"),
         "--out", str(out), "--jobs", "1", "-q"],
        cwd=TOY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "COLUMNS": "80"},
    )
    deadline = time.monotonic() + 240
    while not (out / "correct.json").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert (out / "correct.json").exists(), "the first submission was never graded"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == errors.EXIT_INTERRUPTED
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert "interrupted" in last and "again" in last, stderr
    assert (out / "correct.json").exists()  # what was graded is kept
