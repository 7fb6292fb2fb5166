"""End to end on the toy sheet: correct, wrong, crashing, hanging and flooding submissions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.batch import grade_batch

TOY = Path(__file__).resolve().parents[1] / "toy_course"
HIDDEN_LINE = 'assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"'


def notebook_submission(path: Path) -> Path:
    source = (TOY / "submissions" / "correct.py").read_text()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("My answers"),
        nbformat.v4.new_code_cell("!pip install torch\n%matplotlib inline"),
        nbformat.v4.new_code_cell("def add(a, b):\n    return a * b  # first try, wrong"),
        nbformat.v4.new_code_cell("%%time\n" + source),  # redefines add correctly
        nbformat.v4.new_code_cell("raise RuntimeError('leftover experiment')"),
        nbformat.v4.new_code_cell("%timeit add(1, 2)\nprint('done')"),
    ]
    path.write_text(nbformat.writes(nb))
    return path


@pytest.fixture(scope="module")
def graded(toy_config, tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for name in ("correct", "wrong", "hang", "crash", "flood"):
        shutil.copy(TOY / "submissions" / f"{name}.py", subs / f"{name}.py")
    notebook_submission(subs / "nb.ipynb")
    (subs / "empty.ipynb").write_text("")
    out = tmp_path_factory.mktemp("out")
    summary = grade_batch(config=toy_config, sheet="toy", paths=[subs], out_dir=out, jobs=2,
                          device="cpu", config_file=TOY / "course_config.py")
    return {r.student_id: r for r in summary.results}, out, summary


def failing(result) -> set[str]:
    return {case.name for case in result.tests if case.status != "passed"}


def test_correct_scores_full_and_wrong_loses_only_its_items(graded):
    results, _, summary = graded
    assert not summary.missing
    assert results["correct"].score == 10 and not failing(results["correct"])
    assert failing(results["wrong"]) == {"test_add", "test_answer"}
    assert results["wrong"].score == 8
    message = next(c.output for c in results["wrong"].tests if c.name == "test_add")
    assert message == "add(2, 3) is wrong"


def test_hang_and_crash_cost_only_their_item(graded):
    results, _, _ = graded
    for name in ("hang", "crash"):
        assert failing(results[name]) == {"test_slow_is_fast_enough"}, name
        assert results[name].score == 9
    crash_case = next(c for c in results["crash"].tests if c.name == "test_slow_is_fast_enough")
    assert "crashed" in crash_case.output
    assert results["crash"].extra_data["restarts"] == 1


def test_flood_is_truncated(graded, toy_config):
    results, out, _ = graded
    flood = results["flood"]
    assert len(flood.output) < 3 * toy_config.limits.output_bytes
    assert "more bytes of output were dropped" in flood.output
    for case in flood.tests:
        assert len(case.student_output) < 2 * toy_config.limits.output_bytes
    assert (out / "flood.json").stat().st_size < 200_000


def test_notebook_magics_override_and_failing_cell(graded):
    results, _, _ = graded
    nb = results["nb"]
    assert nb.score == 10, nb.tests
    assert "shell command not run: !pip install torch" in nb.output
    assert "leftover experiment" in nb.output  # the raising cell is reported, grading went on
    assert "done" in nb.output


def test_not_gradable_file_gets_a_result(graded):
    results, out, _ = graded
    empty = results["empty"]
    assert empty.gradable is False and "empty" in empty.format_errors
    assert json.loads((out / "empty.json").read_text())["gradable"] is False


def test_outputs_and_grades_csv(graded):
    results, out, _ = graded
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("student_id,basics,tensors,objects,autograded,written,adjustments,late_penalty,final")
    assert len(rows) == 1 + len(results)
    for path in out.glob("*.json"):
        text = path.read_text()
        assert HIDDEN_LINE not in text
        data = json.loads(text)
        assert {"score", "max_score", "execution_time", "output", "gradable", "tests", "extra_data"} <= set(data)
        for case in data["tests"]:
            assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(case)
    correct = json.loads((out / "correct.json").read_text())
    assert {"timings", "device", "versions"} <= set(correct["extra_data"])


def test_same_submission_graded_three_times_scores_the_same(toy_config, toy_grader, tmp_path):
    sub = tmp_path / "wrong.py"
    shutil.copy(TOY / "submissions" / "wrong.py", sub)
    scores = []
    for attempt, grader in enumerate((toy_grader, toy_grader, None)):  # one warm worker twice, then a new one
        summary = grade_batch(config=toy_config, sheet="toy", paths=[sub], out_dir=tmp_path / f"o{attempt}",
                              jobs=1, device="cpu", config_file=TOY / "course_config.py", grader=grader)
        scores.append([(c.name, c.score) for c in summary.results[0].tests])
    assert scores[0] == scores[1] == scores[2]


def test_duplicate_student_ids_are_refused_before_grading(toy_config, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        shutil.copy(TOY / "submissions" / "correct.py", tmp_path / folder / "same.py")
    summary = grade_batch(config=toy_config, sheet="toy", paths=[tmp_path / "a" / "same.py", tmp_path / "b" / "same.py"],
                          out_dir=tmp_path / "out", config_file=TOY / "course_config.py")
    assert len(summary.refused) == 1 and "'same'" in summary.refused[0] and not summary.results
    assert not (tmp_path / "out" / "same.json").exists()


def run_cli(*args: str, cwd: Path = TOY) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "autograder"
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_cli_exit_codes_and_help(tmp_path):
    for command in ([], ["grade"], ["check"], ["serve"], ["config"]):
        assert run_cli(*command, "--help").returncode == 0
    ok = run_cli("grade", "toy", str(TOY / "submissions" / "wrong.py"), "--out", str(tmp_path / "o"), "-q")
    assert ok.returncode == 0, ok.stderr
    assert "wrong" in ok.stdout and "8/10" in ok.stdout
    assert run_cli("grade", "nosuch", str(TOY / "submissions" / "wrong.py")).returncode == 2
    assert run_cli("grade", "toy", str(tmp_path / "missing.py")).returncode == 3
    assert run_cli("grade", "toy", "x.py", cwd=tmp_path).returncode == 2  # no course config here


def test_cli_check_runs_public_checks(tmp_path):
    good = run_cli("check", "toy", str(TOY / "submissions" / "correct.py"))
    assert good.returncode == 0 and "│ pass " in good.stdout and "1/1 public checks pass" in good.stderr
    (tmp_path / "str_add.py").write_text("def add(a, b):\n    return str(a + b)\n")
    bad = run_cli("check", "toy", str(tmp_path / "str_add.py"))
    assert bad.returncode == 7 and "FAIL" in bad.stdout and "add should return an int" in bad.stdout
    (tmp_path / "unfinished.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    unfinished = run_cli("check", "toy", str(tmp_path / "unfinished.py"), "--exercise", "basics")
    assert unfinished.returncode == 6 and "to do" in unfinished.stdout and "FAIL" not in unfinished.stdout
    assert "to do: basics" in unfinished.stderr
    assert run_cli("check", "toy", str(tmp_path / "unfinished.py"), "-e", "nosuch").returncode == 2
