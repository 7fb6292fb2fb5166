"""The TA report: distribution, pass rates, common failures and grading time, as one HTML page."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from typer.testing import CliRunner

from autograder.cli import app
from autograder.config import load_config
from autograder.report import (
    case_stats,
    common_failures,
    exercise_stats,
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
    assert any(line == "add(2, 3) is wrong" and who == ["wrong"] for _, _, line, who in failures)
    assert failures[0][0] >= failures[-1][0]


def test_report_page_and_charts(toy_graded, review_dir: Path) -> None:
    _, results = toy_graded
    sheet = load_config(TOY / "course_config.py").sheet("toy")
    charts = report_charts(list(results.values()), sheet)
    assert set(charts) == {"scores", "exercises", "tests", "times"}
    for name, chart in charts.items():
        assert chart.png.startswith(PNG) and len(chart.png) > 2000 and chart.series == 1
        (review_dir / f"report_{name}.png").write_bytes(chart.png)
    page = report_html(list(results.values()), sheet)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 4 and all(base64.b64decode(i).startswith(PNG) for i in images)
    for text in ("Score distribution", "Pass rate per hidden test", "Most common failure messages",
                 "Grading time", "add(2, 3) is wrong", "test_slow_is_fast_enough", "sandbox restarted"):
        assert text in page, text
    assert not re.search(r"<(script|link)\b|src=\"http", page)


def test_report_command(toy_graded, review_dir: Path) -> None:
    folder, _ = toy_graded
    out = review_dir / "report_toy.html"
    result = CliRunner().invoke(app, ["report", "toy", str(folder), "--out", str(out),
                                      "--config", str(TOY / "course_config.py")])
    assert result.exit_code == 0, result.output
    assert out.read_text().count("data:image/png;base64,") == 4
    empty = CliRunner().invoke(app, ["report", "toy", str(review_dir / "nothing"), "--out", str(out),
                                     "--config", str(TOY / "course_config.py")])
    assert empty.exit_code == 2 and "no results of toy" in empty.output
