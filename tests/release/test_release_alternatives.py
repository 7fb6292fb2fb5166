"""The gate grades known-correct alternatives and refuses a sheet whose hidden suite fails one.

A copy of the releasable toy course gets an alternative solution written in another legitimate
style (``add`` returns the sum as a float); the sound suite passes it, and an over-strict hidden test
(``test_add`` made to insist on an ``int``) makes the gate refuse, naming that test and the alternative.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from release_helpers import readable_folder

from autograder.core.config import load_config
from autograder.core.errors import ReleaseRefused
from autograder.release import release_sheet

ALTERNATIVE = '''# %%
# Known-correct alternative of the toy sheet: add returns the sum as a float (the sheet allows it).
def add(a, b):
    return float(a) + float(b)
'''

SOUND_ADD = '''    assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"'''
OVER_STRICT_ADD = '''    got = student.add(2, 3)
    assert got == ref.add(2, 3) and type(got) is int, "add(2, 3) should be the int 5"'''


@pytest.fixture(scope="module")
def course_with_alternative(releasable_course: Path):
    folder = readable_folder("alternatives-")
    course = folder / "course"
    shutil.copytree(releasable_course, course)
    (course / "alternatives" / "toy").mkdir(parents=True)
    (course / "alternatives" / "toy" / "float_sum.py").write_text(ALTERNATIVE)
    yield course
    shutil.rmtree(folder, ignore_errors=True)


def _release(course: Path, tmp_path: Path, work: str):
    config_file = course / "course_config.py"
    return release_sheet(config=load_config(config_file), sheet="toy", out=tmp_path / "out", jobs=1, device="cpu",
                         config_file=config_file, work_dir=course.parent / work)


def test_gate_passes_when_the_alternative_scores_full_marks(course_with_alternative: Path, tmp_path: Path) -> None:
    outcome = _release(course_with_alternative, tmp_path, "work-sound")
    finding = next(f for f in outcome.report.findings if f.check == "alternatives score full marks")
    assert finding.ok and "1 known-correct alternative(s)" in finding.detail


def test_gate_refuses_an_over_strict_test_and_names_it(course_with_alternative: Path, tmp_path: Path) -> None:
    suite = course_with_alternative / "hidden" / "toy" / "test_toy.py"
    sound = suite.read_text()
    assert SOUND_ADD in sound
    suite.write_text(sound.replace(SOUND_ADD, OVER_STRICT_ADD))
    try:
        with pytest.raises(ReleaseRefused) as refused:
            _release(course_with_alternative, tmp_path, "work-strict")
    finally:
        suite.write_text(sound)
    text = str(refused.value)
    assert "FAIL alternatives score full marks" in text
    assert "test_toy.py::test_add fails the correct alternative float_sum" in text
    assert not (tmp_path / "out").exists()
