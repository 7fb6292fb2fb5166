"""The grading service behind a real JupyterHub and configurable-http-proxy, as ``deploy/`` ships it.

Two students and a TA (in the hub group ``tas``) reach the service through the proxy with hub API
tokens; the service grades with the real engine on the toy course.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from hub_support import TOY, Hub

CORRECT = (TOY / "submissions" / "correct.py").read_bytes()
WRONG = (TOY / "submissions" / "wrong.py").read_bytes()
SUBMISSIONS = 20


def _submit(hub: Hub, user: str, body: bytes) -> httpx.Response:
    return hub.as_user(user, "POST", "api/submissions", data={"sheet": "toy"},
                       files={"file": ("answers.py", body, "text/x-python")})


def _wait_all(hub: Hub, ids: set[int], *, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = [row for row in hub.as_user("tara", "GET", "api/submissions", params={"sheet": "toy"}).json()
                if row["id"] in ids]
        if len(rows) == len(ids) and all(row["status"] in ("done", "failed") for row in rows):
            return rows
        time.sleep(1)
    states = sorted((row["id"], row["status"]) for row in rows)
    raise AssertionError(f"not all graded in {timeout:.0f} s: {states}\n{hub.log_tail()}")


def test_identities_come_from_the_hub(hub: Hub) -> None:
    for name, is_ta in (("alice", False), ("bob", False), ("tara", True)):
        me = hub.as_user(name, "GET", "api/me")
        assert me.status_code == 200, me.text
        assert me.json()["name"] == name
        assert me.json()["is_ta"] is is_ta


def test_no_token_and_no_access_scope_are_refused(hub: Hub) -> None:
    anonymous = httpx.get(hub.service_url + "api/me", timeout=30)
    assert anonymous.status_code in (401, 403)
    # A token of alice's without access:services!service=autograder: the hub says who she is,
    # the service still refuses her.
    narrow = hub.create_user_token("alice", scopes=["read:users:name!user=alice"])
    refused = httpx.get(hub.service_url + "api/me", headers={"Authorization": f"token {narrow}"}, timeout=30)
    assert refused.status_code == 403, refused.text


def test_concurrent_submissions_are_all_graded_and_private(hub: Hub) -> None:
    jobs = [("alice" if i % 2 else "bob", CORRECT if i % 4 < 2 else WRONG) for i in range(SUBMISSIONS)]
    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        replies = list(pool.map(lambda job: _submit(hub, *job), jobs))
    assert [r.status_code for r in replies] == [202] * SUBMISSIONS, [r.text for r in replies if r.status_code != 202]
    owner = {r.json()["id"]: user for r, (user, _) in zip(replies, jobs)}
    expected = {r.json()["id"]: 10 if body == CORRECT else 8 for r, (_, body) in zip(replies, jobs)}
    assert len(owner) == SUBMISSIONS  # no id handed out twice

    rows = _wait_all(hub, set(owner), timeout=150)
    assert {row["id"]: row["status"] for row in rows} == dict.fromkeys(owner, "done")
    assert {row["id"]: row["result"]["score"] for row in rows} == expected
    assert {row["id"]: row["student"] for row in rows} == owner

    # Each student lists only their own; the TA sees everyone's.
    for name in ("alice", "bob"):
        mine = hub.as_user(name, "GET", "api/submissions", params={"sheet": "toy"}).json()
        assert {row["id"] for row in mine} == {i for i, who in owner.items() if who == name}
    everyone = hub.as_user("tara", "GET", "api/submissions", params={"sheet": "toy"}).json()
    assert set(owner) <= {row["id"] for row in everyone}

    # Another student's results: 403; the TA may read them (with staff fields).
    bobs = next(i for i, who in owner.items() if who == "bob")
    assert hub.as_user("alice", "GET", f"api/submissions/{bobs}").status_code == 403
    filtered = hub.as_user("alice", "GET", "api/submissions", params={"student": "bob"})
    assert filtered.status_code == 403 or all(row["student"] == "alice" for row in filtered.json())
    as_ta = hub.as_user("tara", "GET", f"api/submissions/{bobs}")
    assert as_ta.status_code == 200 and as_ta.json()["student"] == "bob"
    csv = hub.as_user("tara", "GET", "api/grades.csv", params={"sheet": "toy"})
    assert csv.status_code == 200 and {"alice", "bob"} <= {line.split(",")[0] for line in csv.text.splitlines()}
    assert hub.as_user("alice", "GET", "api/grades.csv", params={"sheet": "toy"}).status_code == 403
