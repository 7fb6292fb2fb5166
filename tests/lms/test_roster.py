"""The roster maps student ids to LMS users exactly, and names every id it cannot map."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.core.errors import UsageError
from autograder.lms.roster import read_roster_csv, roster_from_members

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def test_two_students_claiming_one_lms_user_are_both_held_back(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("alice,u1\nbob,u1\ncarol,u3\n")  # no header: the first two columns
    mapped, unmapped = read_roster_csv(path).resolve(["alice", "bob", "carol"])
    assert mapped == {"carol": "u3"}
    assert unmapped == {"alice": "LMS user u1 is also claimed by bob", "bob": "LMS user u1 is also claimed by alice"}


def test_a_row_that_is_not_two_ids_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("student_id,lms_user_id\nalice,\n")
    with pytest.raises(UsageError, match="row 1"):
        read_roster_csv(path)


def test_nrps_keeps_active_learners_only_matched_on_the_configured_field() -> None:
    members = [
        {"user_id": "u1", "email": "a@uni.example", "roles": [LEARNER]},
        {"user_id": "u2", "email": "b@uni.example", "roles": [LEARNER], "status": "Inactive"},
        {"user_id": "u3", "email": "ta@uni.example", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]},
    ]
    roster = roster_from_members(members, match_field="email")
    assert roster.users == {"a@uni.example": "u1"}
    mapped, unmapped = roster.resolve(["a@uni.example", "b@uni.example", "ta@uni.example"])
    assert mapped == {"a@uni.example": "u1"} and set(unmapped) == {"b@uni.example", "ta@uni.example"}
