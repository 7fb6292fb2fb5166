"""Mounts that refuse a read-only remount (another tool's, such as a running container's storage).

In the user-namespace fallback the sandbox runs as the grader's own uid, so every mount it can write
to is a way to the host. A mount whose locked flags the namespace may not change used to stay
writable, with only a warning; it is now covered by an empty read-only tmpfs, unless the sandbox
needs something beneath it. These tests drive ``make_read_only`` with a fake mount table.
"""

from __future__ import annotations

import errno

import pytest

from autograder.sandbox import isolation

TABLE = [("/", ["rw", "relatime"]), ("/usr", ["rw"]), ("/var/lib/containers/storage/overlay", ["rw"]),
         ("/var/lib/containers/storage/overlay/abc/merged", ["rw"]), ("/home/grader/course", ["rw"])]


@pytest.fixture
def mounts(monkeypatch):
    """Fake the mount table and ``mount``: remounts of ``stuck`` fail, like locked container mounts."""
    calls: list[tuple[str, str | None]] = []
    stuck: set[str] = set()

    def fake_mount(source, target, fstype, flags, data=None):
        calls.append((target, fstype))
        if fstype is None and target in stuck:
            raise OSError(errno.EPERM, f"mount {target}: Operation not permitted")

    monkeypatch.setattr(isolation, "_mount_points", lambda: list(TABLE))
    monkeypatch.setattr(isolation, "mount", fake_mount)
    return calls, stuck


def test_a_stuck_mount_nothing_needs_is_covered_read_only(mounts) -> None:
    calls, stuck = mounts
    stuck.update({"/var/lib/containers/storage/overlay", "/var/lib/containers/storage/overlay/abc/merged"})
    report: dict = {"warnings": []}
    isolation.make_read_only(report, keep=["/home/grader/course"])
    assert report["read_only"] and report["warnings"] == []
    assert ("/var/lib/containers/storage/overlay", "tmpfs") in calls
    assert report["covered"][0] == "/var/lib/containers/storage/overlay"


def test_a_stuck_mount_the_sandbox_needs_is_still_reported(mounts) -> None:
    calls, stuck = mounts
    stuck.update({"/usr", "/home/grader/course"})
    report: dict = {"warnings": []}
    isolation.make_read_only(report, keep=["/home/grader/course/assignments"])
    assert not report["read_only"]
    assert report["warnings"] == ["could not make 2 mount(s) read-only: /usr, /home/grader/course"]
    assert not [call for call in calls if call[1] == "tmpfs"], "covering /usr or the course would break the sandbox"
