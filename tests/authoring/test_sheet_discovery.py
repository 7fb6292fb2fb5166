"""Sheets described next to their master (``sheets/<name>/sheet.toml``), found by the course config (issue 22, item 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autograder.core.config import load_config
from autograder.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
COURSE = '''from autograder.core.config import CourseConfig, Limits
config = CourseConfig(course="discovery", limits=Limits(test_timeout_s=7))
'''


def course(tmp_path: Path, sheets: dict[str, str], config: str = COURSE) -> Path:
    (tmp_path / "course_config.py").write_text(config)
    for name, toml in sheets.items():
        (tmp_path / "sheets" / name).mkdir(parents=True)
        (tmp_path / "sheets" / name / "master.md").write_text("# a master\n")
        (tmp_path / "sheets" / name / "sheet.toml").write_text(toml)
    return tmp_path / "course_config.py"


def test_a_sheet_toml_is_a_sheet_with_the_scaffold_layout(tmp_path: Path) -> None:
    config = load_config(course(tmp_path, {"week_1": 'title = "Week 1"\ndeadline = 2027-01-22T23:59:00\n'
                                                     'timezone = "Europe/Berlin"\n[points]\n"1.1" = 4\n"1.2" = 6\n'}))
    sheet = config.sheet("week_1")
    assert sheet.title == "Week 1" and sheet.points == {"1.1": 4.0, "1.2": 6.0} and sheet.total_points == 10
    assert sheet.deadline == dt.datetime(2027, 1, 22, 23, 59) and sheet.timezone == "Europe/Berlin"
    assert (sheet.assignment_dir, sheet.notebook, sheet.reference_module, sheet.hidden_dir, sheet.master) == (
        Path("assignments/week_1"), "week_1.ipynb", "reference.week_1", Path("tests/hidden/week_1"),
        Path("sheets/week_1/master.md"))
    assert config.limits.test_timeout_s == 7  # the course-wide settings still come from course_config.py


def test_every_field_can_be_set_in_the_toml(tmp_path: Path) -> None:
    toml = 'notebook = "other.ipynb"\nreference_module = "refs.w2"\npublished = true\n[points]\nall = 1\n'
    sheet = load_config(course(tmp_path, {"week_2": toml})).sheet("week_2")
    assert sheet.notebook == "other.ipynb" and sheet.reference_module == "refs.w2" and sheet.published


@pytest.mark.parametrize(("toml", "said"), [
    ("title = \n", "sheet.toml"),
    ('title = "x"\n', "points"),
    ('name = "other"\n[points]\na = 1\n', "differs from its folder's name"),
    ('colour = "red"\n[points]\na = 1\n', "colour"),
])
def test_a_bad_sheet_toml_is_a_one_line_configuration_error(tmp_path: Path, toml: str, said: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(course(tmp_path, {"week_3": toml}))
    assert said in str(error.value) and "\n" not in str(error.value) and error.value.exit_code == 2


def test_a_sheet_in_both_places_is_refused(tmp_path: Path) -> None:
    listed = COURSE.replace("CourseConfig, Limits", "CourseConfig, Limits, SheetConfig").replace(
        'course="discovery",', 'course="discovery", sheets={"week_4": SheetConfig(name="week_4", assignment_dir="a", '
        'notebook="n.ipynb", reference_module="r", hidden_dir="h", points={"a": 1})},')
    with pytest.raises(ConfigError, match="both in course_config.py and in"):
        load_config(course(tmp_path, {"week_4": '[points]\na = 1\n'}, config=listed))


def test_the_course_config_of_this_repository_still_loads() -> None:
    config = load_config(ROOT / "course_config.py")
    assert "sheet_3_2" in config.sheets and config.sheet("sheet_3_2").total_points == 100
