"""The TA report: distribution, pass rates, common failures and grading time, as one HTML page."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from typer.testing import CliRunner

from autograder.cli.main import app
from autograder.core.config import load_config
from autograder.outputs.report import (
    case_stats,
    common_failures,
    exercise_stats,
    not_attempted_by_exercise,
    report_charts,
    report_html,
)

TOY = Path(__file__).resolve().parents[2] / "tests" / "toy_course"
PNG = b"\x89PNG\r\n\x1a\n"


def test_report_numbers(toy_graded) -> None:
    _, results = toy_graded
    sheet = load_config(TOY / "course_config.py").sheet("toy")
    pool = list(results.values())
    stats = {s.name: s for s in case_stats(pool)}
    assert stats["test_add"].runs == 4 and stats["test_add"].passed == 2  # correct and crash
    assert stats["test_factory_roundtrip"].pass_rate == 1.0
    assert case_stats(pool)[0].pass_rate <= case_stats(pool)[-1].pass_rate  # hardest first
    exercises = {e: (mean, possible, full) for e, mean, possible, full in exercise_stats(pool, sheet)}
    assert exercises["tensors"][1] == 3 and 0 < exercises["tensors"][2] < 1
    failures = common_failures(pool)
    assert any(g.message == "add(2, 3) is wrong" and g.students == ("wrong",) for g in failures)
    assert failures[0].count >= failures[-1].count


def test_work_not_attempted_is_not_a_failure_message(toy_graded) -> None:
    _, results = toy_graded
    pool = list(results.values())
    assert any("NotImplementedError" in case.output for case in results["untouched"].tests)  # the premise
    failures = common_failures(pool)
    assert not any("NotImplementedError" in g.message for g in failures), failures
    assert [g.message for g in failures if "untouched" in g.students] == []  # ANSWER = None is to do too
    missing = not_attempted_by_exercise(pool)
    assert {"basics", "tensors", "objects"} <= {exercise for exercise, who in missing.items() if "untouched" in who}
    assert not any("correct" in who for who in missing.values())


def test_report_page_and_charts(toy_graded, review_dir: Path) -> None:
    _, results = toy_graded
    sheet = load_config(TOY / "course_config.py").sheet("toy")
    charts = report_charts(list(results.values()), sheet)
    assert set(charts) == {"scores", "exercises", "times"}  # no bar per hidden test: a sorted table instead
    for name, chart in charts.items():
        assert chart.png.startswith(PNG) and len(chart.png) > 2000 and chart.series == 1
        (review_dir / f"report_{name}.png").write_bytes(chart.png)
    page = report_html(list(results.values()), sheet)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(PNG) for i in images)
    for text in ("Score distribution", "Hidden tests, hardest first", "Most common failure messages",
                 "Not attempted yet", "Roster", "Grading time", "add(2, 3) is wrong", "test_slow_is_fast_enough",
                 "sandbox restarted"):
        assert text in page, text
    assert not re.search(r"<(script|link)\b|src=\"http", page)


def test_report_command(toy_graded, review_dir: Path) -> None:
    folder, _ = toy_graded
    out = review_dir / "report_toy.html"
    result = CliRunner().invoke(app, ["report", "toy", str(folder), "--out", str(out),
                                      "--config", str(TOY / "course_config.py")])
    assert result.exit_code == 0, result.output
    assert out.read_text().count("data:image/png;base64,") == 3
    empty = CliRunner().invoke(app, ["report", "toy", str(review_dir / "nothing"), "--out", str(out),
                                     "--config", str(TOY / "course_config.py")])
    assert empty.exit_code == 2 and "no results of toy" in empty.output


def test_roster_links_each_student_to_their_feedback_page(toy_graded, tmp_path: Path) -> None:
    folder, results = toy_graded
    config = ["--config", str(TOY / "course_config.py")]
    exported = CliRunner().invoke(app, ["export", "toy", str(folder), *config])
    assert exported.exit_code == 0, exported.output
    out = tmp_path / "staff" / "report.html"
    done = CliRunner().invoke(app, ["report", "toy", str(folder), "--out", str(out), *config])
    assert done.exit_code == 0, done.output
    page = out.read_text()
    roster = page[page.index("<h2>Roster</h2>"):]
    for student, result in results.items():
        href = re.search(rf'<tr><td>{student}</td>.*?<a href="([^"]+)">feedback</a>', roster)
        assert href, student
        assert (out.parent / href.group(1)).resolve() == (folder / "export" / "feedback" / f"{student}.html").resolve()
        assert f"<b>{result.final_score:g}</b> / {result.max_score:g}" in roster
