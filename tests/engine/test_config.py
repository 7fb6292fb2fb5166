"""The course config: schema validation and discovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from autograder.core.config import CourseConfig, SheetConfig, find_config, load_config
from autograder.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def sheet(**kw) -> SheetConfig:
    base = {"name": "s", "assignment_dir": "a", "notebook": "n.ipynb", "reference_module": "r", "hidden_dir": "h",
            "points": {"x": 1}}
    base.update(kw)
    return SheetConfig(**base)


def test_project_config_loads_and_sheet_3_2_totals_100():
    config = load_config(ROOT / "course_config.py")
    assert config.root == ROOT
    assert config.sheet("sheet_3_2").total_points == 100
    with pytest.raises(ConfigError, match="unknown sheet"):
        config.sheet("nope")


def test_validation_errors_are_clear():
    with pytest.raises(ValidationError, match="unknown time zone"):
        sheet(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="differs from its name"):
        CourseConfig(sheets={"other": sheet()})
    with pytest.raises(ValidationError):
        sheet(late_penalty_per_day=2)


def test_find_config_walks_up_and_reports_absence(tmp_path):
    nested = ROOT / "tests" / "engine"
    assert find_config(start=nested) == ROOT / "course_config.py"
    with pytest.raises(ConfigError, match="no course_config.py"):
        find_config(start=tmp_path)
    bad = tmp_path / "course_config.py"
    bad.write_text("config = 3\n")
    with pytest.raises(ConfigError, match="must define"):
        load_config(bad)
    bad.write_text("raise RuntimeError('oops')\n")
    with pytest.raises(ConfigError, match="failed to load"):
        load_config(bad)
