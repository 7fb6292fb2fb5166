"""The API returns what it produced and prints nothing; the CLI prints what the API returned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder import api
from autograder.cli.main import app

TOY = Path(__file__).resolve().parents[2] / "tests" / "toy_course"
CONFIG = TOY / "course_config.py"


def _silent(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = capsys.readouterr()
    assert (out, err) == ("", ""), "the API printed"


def _said(args: list[str]) -> str:
    done = CliRunner().invoke(app, [*args, "--config", str(CONFIG)])
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())  # rich may wrap a long path; compare words


def test_rubric_returns_its_text_and_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    written = api.rubric(sheet="toy", out=tmp_path / "api", config_path=CONFIG)
    _silent(capsys)
    assert written.rubric.read_text(encoding="utf-8") == written.text + "\n"
    assert written.solutions.is_file() and written.folder == tmp_path / "api"
    said = _said(["rubric", "toy", "--out", str(tmp_path / "api")])
    assert " ".join(written.text.split()) in said
    assert f"rubric and solutions notebook (staff only): {written.folder}" in said


def test_report_returns_its_page_and_count(capsys: pytest.CaptureFixture[str], toy_graded, tmp_path: Path) -> None:
    folder, results = toy_graded
    made = api.report(sheet="toy", results_dir=folder, out=tmp_path / "report.html", config_path=CONFIG)
    _silent(capsys)
    assert made.path == tmp_path / "report.html" and made.path.is_file()
    assert made.submissions == len(results)
    said = _said(["report", "toy", str(folder), "--out", str(made.path)])
    assert f"TA report for {made.submissions} submission(s): {made.path}" in said


def test_export_returns_its_folder_and_summary(capsys: pytest.CaptureFixture[str], toy_graded,
                                               tmp_path: Path) -> None:
    folder, results = toy_graded
    done = api.export(sheet="toy", results_dir=folder, out=tmp_path / "export", lms=tmp_path / "lms.csv",
                      config_path=CONFIG)
    _silent(capsys)
    assert done.folder == tmp_path / "export" and (done.folder / "grades.csv").is_file()
    assert done.lms == tmp_path / "lms.csv" and done.lms.is_file()
    assert {r.student_id for r in done.summary.results} == set(results)
    said = _said(["export", "toy", str(folder), "--out", str(done.folder), "--lms", str(done.lms)])
    assert f"exported {len(done.summary.results)} student(s) to {done.folder}; LMS CSV: {done.lms}" in said


def test_similarity_returns_its_run_and_groups(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("correct", "wrong", "crash"):
        shutil.copyfile(TOY / "submissions" / f"{name}.py", subs / f"{name}.py")
    shutil.copyfile(TOY / "submissions" / "correct.py", subs / "copy.py")
    (subs / "notes.txt").write_text("not a submission")
    found = api.similarity(sheet="toy", submissions=[subs], out=tmp_path / "sim", config_path=CONFIG)
    _silent(capsys)
    assert found.run.index.is_file() and found.pairs_csv == tmp_path / "sim" / "pairs.csv"
    assert any(set(group.members) >= {"copy", "correct"} for group in found.groups)
    said = _said(["similarity", "toy", str(subs), "--out", str(tmp_path / "sim")])
    for number, group in enumerate(found.groups, start=1):
        assert f"group {number} ({len(group.members)} submissions" in said
    for key, why in found.run.left_out:
        assert f"not compared: {key}: {' '.join(why.split())}" in said
    assert f"side by side: {found.run.index}; all pairs: {found.pairs_csv}" in said


def test_the_api_has_no_console() -> None:
    """No api function can print: the module holds no console and calls no print."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(api))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)
                for alias in node.names} | {node.module or "" for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith("rich") or name == "Console"}
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "print" not in calls and not hasattr(api, "console")
