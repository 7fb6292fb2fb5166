"""Which LMS user each student id is: a roster the course provides, never a guess.

Two sources: a CSV of ``student_id,lms_user_id`` rows, or the course's members from LTI Names and
Role Provisioning Services, matched on one configured field (``lis_person_sourcedid``, ``email``,
...). A student id found in no row, or in two rows that disagree, is *unmapped*: it is reported
and not sent. An LMS user that two student ids claim is not sent for either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core.errors import UsageError

LEARNER_ROLES = ("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner", "Learner")


@dataclass(frozen=True)
class Roster:
    """student id -> LMS user id, and the ids that cannot be mapped with the reason."""

    users: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def resolve(self, student_ids: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
        """(mapped: student -> user, unmapped: student -> why), for the students that have a result."""
        wanted = list(student_ids)
        mapped: dict[str, str] = {}
        unmapped: dict[str, str] = {}
        for student in wanted:
            if student in self.ambiguous:
                unmapped[student] = self.ambiguous[student]
            elif student in self.users:
                mapped[student] = self.users[student]
            else:
                unmapped[student] = f"not in the roster ({self.source})"
        claimed: dict[str, list[str]] = {}
        for student, user in mapped.items():
            claimed.setdefault(user, []).append(student)
        for user, students in claimed.items():
            if len(students) > 1:
                for student in students:
                    del mapped[student]
                    unmapped[student] = f"LMS user {user} is also claimed by {', '.join(s for s in students if s != student)}"
        return mapped, unmapped

    def without_result(self, student_ids: Iterable[str]) -> list[str]:
        """Roster entries with no result (nothing to send for them: told, not an error)."""
        have = set(student_ids)
        return sorted(student for student in self.users if student not in have)


def read_roster_csv(path: Path) -> Roster:
    """``student_id,lms_user_id`` rows (a header row naming the columns is allowed; other columns ignored)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--roster {path}: cannot read it ({exc})") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and "".join(row).strip()]
    student_col, user_col = 0, 1
    if rows and {"student_id", "lms_user_id"} <= {cell.strip() for cell in rows[0]}:
        header = [cell.strip() for cell in rows[0]]
        student_col, user_col = header.index("student_id"), header.index("lms_user_id")
        rows = rows[1:]
    pairs = []
    for number, row in enumerate(rows, start=1):
        if len(row) <= max(student_col, user_col) or not row[student_col].strip() or not row[user_col].strip():
            raise UsageError(f"--roster {path}: row {number} is not 'student_id,lms_user_id': {','.join(row)[:80]!r}")
        pairs.append((row[student_col].strip(), row[user_col].strip()))
    return _from_pairs(pairs, source=f"roster {path.name}")


def roster_from_members(members: Iterable[Mapping[str, Any]], *, match_field: str) -> Roster:
    """NRPS members (learners, active) -> a roster keyed by ``match_field`` (e.g. lis_person_sourcedid)."""
    pairs = []
    for member in members:
        roles = member.get("roles", [])
        if not any(role in LEARNER_ROLES or str(role).endswith("#Learner") for role in roles):
            continue
        if str(member.get("status", "Active")) != "Active":
            continue
        value, user = member.get(match_field), member.get("user_id")
        if isinstance(value, str) and value.strip() and isinstance(user, str) and user:
            pairs.append((value.strip(), user))
    return _from_pairs(pairs, source=f"NRPS membership, matched on {match_field}")


def _from_pairs(pairs: Iterable[tuple[str, str]], *, source: str) -> Roster:
    users: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for student, user in pairs:
        seen.setdefault(student, set()).add(user)
        users[student] = user
    ambiguous = {student: f"{len(found)} LMS users in the {source}: {', '.join(sorted(found))}"
                 for student, found in seen.items() if len(found) > 1}
    for student in ambiguous:
        users.pop(student)
    return Roster(users=users, ambiguous=ambiguous, source=source)
