"""The engine's own cost per submission, next to a cold torch + transformers import, in one run.

    .venv/bin/python benchmarks/engine_overhead.py [--repeat 7]

One warm worker (:class:`autograder.grading.worker.WorkerRuntime`, the object ``python -m autograder.grading.worker``
holds) grades, one after another:

- the toy course's ``correct.py`` (7 checks that take about 0.05 s): what remains is the engine, a
  judge fork, a sandbox fork, the notebook's cells, pytest and the round trips;
- Sheet 3.2's untouched notebook (``examples/submissions/blank.ipynb``): 65 checks, all failing at once.

It prints the worker's start-up, the median seconds per submission after the first, and the cold
import measured in the same run (``python -c "import torch; from transformers import GPT2Config"``),
with the load average, as a markdown table for docs/benchmarks.md. The goal of the scale issue: the
toy submission at most 0.1x the cold import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from compare_graders import cold_import_s  # the side-by-side benchmark's own measurement

ROOT = Path(__file__).resolve().parent.parent
CASES = (
    ("toy `correct.py`", ROOT / "tests" / "toy_course" / "course_config.py", "toy",
     ROOT / "tests" / "toy_course" / "submissions" / "correct.py"),
    ("Sheet 3.2 `blank.ipynb`", ROOT / "course_config.py", "sheet_3_2",
     ROOT / "examples" / "submissions" / "blank.ipynb"),
)


def measure(config_file: Path, sheet: str, submission: Path, repeat: int) -> tuple[float, list[float]]:
    """``(worker start-up s, per-submission s)`` in a child process (a fresh interpreter each case)."""
    code = f"""
import json, sys, time
from pathlib import Path
started = time.monotonic()
from autograder.core.config import load_config
from autograder.grading.worker.runtime import WorkerRuntime
from autograder.grading.worker.task import GradeTask
runtime = WorkerRuntime(load_config(Path({str(config_file)!r})))
runtime.zygote
start = time.monotonic() - started
times = []
for index in range({repeat} + 1):
    began = time.monotonic()
    result = runtime.grade(GradeTask(sheet={sheet!r}, path={str(submission)!r}, student_id=f"s{{index}}"))
    times.append(time.monotonic() - began)
    assert result.gradable and not result.grader_error, result.grader_error
runtime.close()
print(json.dumps({{"start": start, "times": times}}))
"""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return float(data["start"]), [float(t) for t in data["times"]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="submissions timed after the first (default 7)")
    args = parser.parse_args(argv)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    cold = statistics.median(cold_import_s(sys.executable) for _ in range(3))
    rows = []
    for label, config_file, sheet, submission in CASES:
        start, times = measure(config_file, sheet, submission, args.repeat)
        steady = statistics.median(times[1:])
        rows.append(f"| {label} | {start:.2f} s | {times[0]:.3f} s | **{steady:.3f} s** | {cold:.2f} s | "
                    f"**{steady / cold:.2f}x** |")
    print(f"{when}, load {load:.1f} at the start and {os.getloadavg()[0]:.1f} at the end, "
          f"{os.cpu_count()} cores\n")
    print("| submission | worker start | first | per submission (median) | cold import | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
