"""Every mount of the sandbox's allow-listed root is read-only, and what refuses is covered or reported.

In the user-namespace fallback the sandbox runs as the grader's own uid, so every mount it can write
to is a way to the host. A bind the kernel will not remount read-only (flags locked when the
namespace was made) is reported; a submount that a recursive bind brought along (another tool's,
such as a running container's storage) is covered by an empty read-only tmpfs instead. These tests
drive ``rootfs.make_read_only`` with a fake mount table.
"""

from __future__ import annotations

import errno

import pytest

from autograder.sandbox import isolation, rootfs

STAGE = "/mnt"
# (mount id, parent id, mount point, options): the host's /mnt/old is covered by the stage's tmpfs
TABLE = [(1, 0, "/", ["rw", "relatime"]), (5, 1, "/mnt/old", ["rw"]), (10, 1, STAGE, ["rw", "nosuid", "nodev"]),
         (11, 10, "/mnt/usr", ["rw"]), (12, 11, "/mnt/usr/lib/containers/overlay", ["rw"]),
         (13, 10, "/mnt/tmp", ["rw", "nosuid", "nodev"]), (14, 10, "/mnt/dev/null", ["rw", "nosuid"]),
         (15, 10, "/mnt/home/grader/course/.venv", ["ro", "noexec"])]
BINDS = ["/mnt/usr", "/mnt/dev/null", "/mnt/home/grader/course/.venv"]


@pytest.fixture
def mounts(monkeypatch):
    """Fake the mount table and ``mount``: remounts of ``stuck`` fail, like locked container mounts."""
    calls: list[tuple[str, str | None, int]] = []
    stuck: set[str] = set()

    def fake_mount(source, target, fstype, flags, data=None):
        calls.append((target, fstype, flags))
        if fstype is None and target in stuck:
            raise OSError(errno.EPERM, f"mount {target}: Operation not permitted")

    monkeypatch.setattr(rootfs, "_mount_table", lambda: list(TABLE))
    monkeypatch.setattr(isolation, "mount", fake_mount)
    return calls, stuck


def test_every_mount_of_the_new_root_is_remounted_read_only(mounts) -> None:
    calls, _ = mounts
    report: dict = {"warnings": []}
    rootfs.make_read_only(report, STAGE, binds=BINDS)
    flags = {target: flags for target, _, flags in calls}
    assert report["read_only"] and report["warnings"] == []
    assert set(flags) == {STAGE, "/mnt/usr", "/mnt/usr/lib/containers/overlay", "/mnt/dev/null",
                          "/mnt/home/grader/course/.venv"}, "the scratch /tmp stays writable; /mnt/old is the host's"
    assert all(f & isolation.MS_RDONLY and f & isolation.MS_REMOUNT for f in flags.values())
    assert not flags["/mnt/dev/null"] & isolation.MS_NODEV, "a device node must stay usable"
    assert flags["/mnt/usr"] & isolation.MS_NODEV
    assert flags["/mnt/home/grader/course/.venv"] & isolation.MS_NOEXEC, "locked flags are repeated"


def test_a_stuck_submount_nothing_needs_is_covered_read_only(mounts) -> None:
    calls, stuck = mounts
    stuck.add("/mnt/usr/lib/containers/overlay")
    report: dict = {"warnings": []}
    rootfs.make_read_only(report, STAGE, binds=BINDS)
    assert report["read_only"] and report["warnings"] == []
    assert ("/mnt/usr/lib/containers/overlay", "tmpfs") in [(t, f) for t, f, _ in calls]
    assert report["covered"] == ["/mnt/usr/lib/containers/overlay"]


def test_a_stuck_bind_the_sandbox_needs_is_reported(mounts) -> None:
    calls, stuck = mounts
    stuck.update({"/mnt/usr", "/mnt/home/grader/course/.venv"})
    report: dict = {"warnings": []}
    rootfs.make_read_only(report, STAGE, binds=BINDS)
    assert not report["read_only"]
    assert report["warnings"] == ["could not make 2 mount(s) read-only: /usr, /home/grader/course/.venv"]
    assert not [call for call in calls if call[1] == "tmpfs"], "covering /usr or the venv would break the sandbox"
