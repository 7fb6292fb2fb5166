"""``autograder assign`` and ``autograder.api.assign``: write when stale, ``--check`` writes nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from autograder import api
from autograder.cli.main import app


def _cli(course: Path, *args: str):
    return CliRunner().invoke(app, ["assign", "tiny", *args, "--config", str(course / "course_config.py")])


def test_api_returns_an_outcome_and_writes_only_when_stale(course: Path) -> None:
    notebook = course / "assignments" / "tiny" / "tiny.ipynb"
    outcome = api.assign(sheet="tiny", config_path=course / "course_config.py")
    assert (outcome.path, outcome.changed, outcome.written) == (notebook, False, False)
    assert outcome.master == (course / "sheets" / "tiny" / "master.md").resolve()
    notebook.unlink()
    outcome = api.assign(sheet="tiny", config_path=course / "course_config.py")
    assert outcome.changed and outcome.written and notebook.is_file()


def test_cli_writes_a_stale_notebook_then_says_it_is_up_to_date(course: Path) -> None:
    notebook = course / "assignments" / "tiny" / "tiny.ipynb"
    committed = notebook.read_bytes()
    notebook.write_text("{}")
    result = _cli(course)
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {notebook}\n"
    assert notebook.read_bytes() == committed
    result = _cli(course)
    assert result.exit_code == 0 and result.output == f"{notebook} is up to date\n"


def test_check_exits_6_on_a_stale_notebook_and_writes_nothing(course: Path) -> None:
    notebook = course / "assignments" / "tiny" / "tiny.ipynb"
    assert _cli(course, "--check").exit_code == 0
    master = course / "sheets" / "tiny" / "master.md"
    master.write_text(master.read_text().replace("# Tiny sheet", "# Tiny sheet, revised"))
    before = notebook.read_bytes()
    result = _cli(course, "--check")
    assert result.exit_code == 8
    assert "is stale" in result.output and "autograder assign tiny" in result.output
    assert notebook.read_bytes() == before


def test_cli_reports_a_bad_master_with_exit_code_2(course: Path) -> None:
    master = course / "sheets" / "tiny" / "master.md"
    master.write_text(master.read_text().replace("{{ total:g }}", "{{ totl:g }}"))
    result = _cli(course)
    assert result.exit_code == 2
    assert "sheets/tiny/master.md, cell intro: {{ totl:g }}: name 'totl' is not defined" in result.output


def test_assign_is_in_the_help() -> None:
    result = CliRunner().invoke(app, ["assign", "--help"])
    assert result.exit_code == 0 and "--check" in result.output and "master" in result.output
