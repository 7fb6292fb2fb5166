"""Sheet 3.2: after one hidden test is made stricter (in a copy of the suite), the regrade diff names
exactly the student it affects, and a staff adjustment on that test is kept. Cheap notebooks only:
the blank one, and two that define just ``cosine_lr`` (one right, one that rises again after
``total_steps``, as transformers' schedule does)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import nbformat
from term_helpers import ROOT

from autograder.core.config import load_config
from autograder.grading.batch import grade_batch
from autograder.grading.pool import Grader
from autograder.term.adjust import add_adjustment
from autograder.term.regrade import regrade_results

TEST = "test_schedules.py::test_cosine_lr_matches_transformers_schedule"
RIGHT = '''import math
def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    if step >= total_steps:
        return min_lr
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = min(1.0, max(0.0, (step - warmup_steps) / max(1, total_steps - warmup_steps)))
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0
'''
RISES = '''import math
def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0
'''
OLD_LINE = '''        want = [base * factor(k) for k in steps]
'''
STRICTER = OLD_LINE + '''        past = student.cosine_lr(total + 3, base_lr=base, total_steps=total, warmup_steps=warmup)
        assert_close(past, 0.0, atol=lr_atol(base), msg="past total_steps the schedule stays at 0")
'''


def _notebook(path: Path, extra: str | None) -> None:
    nb = nbformat.read(ROOT / "assignments" / "sheet_3_2" / "sheet_3_2.ipynb", as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    nbformat.write(nb, path)


def test_a_stricter_hidden_test_moves_exactly_the_student_it_catches(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden"
    shutil.copytree(ROOT / "tests" / "hidden" / "sheet_3_2", hidden, ignore=shutil.ignore_patterns("__pycache__"))
    config_file = tmp_path / "course_config.py"
    config_file.write_text(
        "import importlib.util\nfrom pathlib import Path\n"
        f"spec = importlib.util.spec_from_file_location('real_course_config', {str(ROOT / 'course_config.py')!r})\n"
        "real = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(real)\n"
        f"sheet = real.config.sheets['sheet_3_2'].model_copy(update={{'hidden_dir': Path({str(hidden)!r})}})\n"
        f"config = real.config.model_copy(update={{'root': Path({str(ROOT)!r}), "
        "'sheets': {**real.config.sheets, 'sheet_3_2': sheet}})\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, extra in (("blank", None), ("right", RIGHT), ("rises", RISES)):
        _notebook(subs / f"{name}.ipynb", extra)
    results = tmp_path / "results"
    config = load_config(config_file)
    with Grader(config, jobs=2, device="cpu", config_file=config_file) as grader:
        summary = grade_batch(config=config, sheet="sheet_3_2", paths=[subs], out_dir=results, grader=grader)
        assert not summary.missing
        scores = {r.student_id: {c.nodeid: c.status for c in r.tests} for r in summary.results}
        assert scores["rises"][TEST] == scores["right"][TEST] == "passed" and scores["blank"][TEST] == "failed"
        add_adjustment(config=config, sheet="sheet_3_2", results_dir=results, student="rises", test=TEST, points=1,
                       reason="the sheet did not say what happens after total_steps")
        text = (hidden / "test_schedules.py").read_text()
        assert OLD_LINE in text
        (hidden / "test_schedules.py").write_text(text.replace(OLD_LINE, STRICTER, 1))
        run = regrade_results(config=config, sheet="sheet_3_2", results_dir=results, grader=grader)
    rows = list(csv.DictReader(io.StringIO((run.folder / "diff.csv").read_text())))
    changed = [(r["student"], r["test"]) for r in rows if r["kind"] == "test"]
    assert changed == [("rises", TEST)]
    row = next(r for r in rows if r["kind"] == "test")
    assert (row["old_status"], row["new_status"], row["old_points"], row["new_points"]) == ("passed", "failed", "1", "0")
    assert "test code" in row["what_changed"] and "adjustment kept" in row["staff_adjustment"]
    totals = {r["student"]: r["what_changed"] for r in rows if r["kind"] == "total"}
    assert totals == {"blank": "same", "right": "same", "rises": "same"}  # the adjustment holds the test at 2
    assert run.summary == "0 students change: 0 up, 0 down; 1 with changed tests but the same final"

