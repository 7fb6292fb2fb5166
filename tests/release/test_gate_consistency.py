"""The gate's static consistency checks (issue 22 item 4): points, exercise ids, public checks.

A copy of the toy course with a points mismatch, a hidden test marked with an unknown exercise id
and a public check that calls a function nobody defines is refused before anything is graded (the
grading call is replaced by one that fails the test, and no result file appears), with exactly one
message per problem and no "NOTHING FAILS IT" lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from release_helpers import copy_toy_course

import autograder.grading.batch
from autograder.core.config import load_config
from autograder.core.errors import ReleaseRefused
from autograder.release import release_sheet
from autograder.release.consistency import check_consistency

MISSING_FUNCTION_CHECK = '''

def check_multiply(ns):
    assert ns.multiply(2, 3) == 6, "multiply(2, 3) should be 6"


CHECKS = {"basics": [check_add_returns_int, check_multiply]}
'''


def _no_grading(*args: object, **kwargs: object) -> None:
    raise AssertionError("the gate graded a sheet its static checks should have refused")


def _break(course: Path) -> None:
    suite = course / "hidden" / "toy" / "test_toy.py"
    text = suite.read_text()
    text = text.replace('@pytest.mark.points(3)\n@pytest.mark.exercise("tensors")',
                        '@pytest.mark.points(2)\n@pytest.mark.exercise("tensors")')  # points mismatch
    text = text.replace('@pytest.mark.points(2)\n@pytest.mark.exercise("objects")',
                        '@pytest.mark.points(2)\n@pytest.mark.exercise("objcts")')  # a typo in an id
    suite.write_text(text)
    checks = course / "assignments" / "toy" / "public_checks.py"
    checks.write_text(checks.read_text().replace('CHECKS = {"basics": [check_add_returns_int]}', "")
                      + MISSING_FUNCTION_CHECK)


def test_a_broken_sheet_is_refused_before_any_grading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    course = copy_toy_course(tmp_path / "course")
    _break(course)
    monkeypatch.setattr(autograder.grading.batch, "grade_batch", _no_grading)
    work = tmp_path / "work"
    with pytest.raises(ReleaseRefused) as refused:
        release_sheet(config=load_config(course / "course_config.py"), sheet="toy", out=tmp_path / "out",
                      work_dir=work)
    text = str(refused.value)
    assert "REFUSED (3 problem(s))" in text, text
    problems = [line.strip() for line in text.splitlines() if line.startswith(("  FAIL ", "        "))]
    assert problems == [
        ("FAIL points: exercise tensors: the hidden tests' points markers add up to 2, the course config gives 3: "
         "change the markers or the config (in total: hidden tests 9, course config 10)"),
        ("FAIL exercise ids: test_toy.py::test_counter marked exercise 'objcts', which the course config does not "
         "have; did you mean 'objects'? (its tests give 1 of its 3 points without it): fix the marker"),
        ("FAIL public checks: public_checks.py: check_multiply (exercise basics) uses multiply, which neither the "
         "reference's contract nor the notebook defines: fix the name, or add it to the contract and the notebook"),
    ], text
    assert "the grading checks did not run" in text
    assert "NOTHING FAILS IT" not in text and "no known-wrong variant fails" not in text
    assert not (work / "results").exists() and not (work / "submissions").exists()
    assert not (tmp_path / "out").exists()


def test_each_problem_alone_is_one_message(tmp_path: Path) -> None:
    course = copy_toy_course(tmp_path / "course")
    config = load_config(course / "course_config.py")
    sound = check_consistency(config, config.sheet("toy"))
    assert (sound.points, sound.exercise_ids, sound.public_checks) == ([], [], [])
    suite = course / "hidden" / "toy" / "test_toy.py"
    suite.write_text(suite.read_text().replace('@pytest.mark.exercise("tensors")', '@pytest.mark.exercise("vectors")'))
    found = check_consistency(config, config.sheet("toy"))
    assert found.points == [] and len(found.exercise_ids) == 2, found  # 'vectors' unknown; 'tensors' has no test
    assert "marked exercise 'vectors', which the course config does not have" in found.exercise_ids[0]
    assert found.exercise_ids[1].startswith("exercise tensors of the course config has no hidden test")


def test_checks_table_and_contract_ids_are_checked(tmp_path: Path) -> None:
    course = copy_toy_course(tmp_path / "course")
    checks = course / "assignments" / "toy" / "public_checks.py"
    checks.write_text(checks.read_text().replace('CHECKS = {"basics": [check_add_returns_int]}',
                                                 'CHECKS = {"basic": [check_add_returns_int, check_sub]}'))
    config = load_config(course / "course_config.py")
    found = check_consistency(config, config.sheet("toy"))
    assert found.public_checks == [("public_checks.py: CHECKS['basic'] lists check_sub, which the file does not "
                                    "define: define it or remove it from CHECKS")]
    assert found.exercise_ids == [("public_checks.py: CHECKS has exercise 'basic', which the course config does "
                                   "not: rename it to one of basics, tensors, objects")]


def test_sheet_3_2_is_consistent() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "course_config.py")
    found = check_consistency(config, config.sheet("sheet_3_2"))
    assert (found.points, found.exercise_ids, found.public_checks, found.notes) == ([], [], [], [])
