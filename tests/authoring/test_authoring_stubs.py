"""Stub cells: the master's imports become stubs written from the reference's source."""

from __future__ import annotations

from pathlib import Path

from authoring_helpers import cells


def test_functions_keep_their_parameters_as_written_without_annotations(course: Path) -> None:
    source = cells(course)["stub-THRESHOLD"].source
    assert "def add(a, b=0):\n" in source
    assert 'def describe(name, *values, sep=", ", width=None, **options):\n' in source
    assert ": int" not in source and ": str" not in source and "->" not in source


def test_a_stub_cell_in_full(course: Path) -> None:
    cell = cells(course)["stub-THRESHOLD"]
    assert cell.metadata == {"autograder": {"stub": ["THRESHOLD", "add", "describe"]}}
    assert cell.source == '''\
# The share of answers that must be right,
# a float between 0 and 1 (75% here).
THRESHOLD = None


def add(a, b=0):
    """Return the sum of ``a`` and ``b`` (2 points)."""
    raise NotImplementedError


def describe(name, *values, sep=", ", width=None, **options):
    """Describe ``values`` under ``name``.

    Join them with ``sep``; at most 120 of them.
    """
    raise NotImplementedError'''


def test_classes_get_their_public_methods_and_super_init_when_they_have_bases(course: Path) -> None:
    cell = cells(course)["stub-Counter"]
    assert cell.metadata == {"autograder": {"stub": ["Counter", "Shelf"]}}
    assert cell.source == '''\
class Counter(Base):
    """Counts up from ``start``."""

    def __init__(self, start=0):
        super().__init__()
        raise NotImplementedError

    def bump(self, by=1):
        """Add ``by`` and return the new value."""
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    @staticmethod
    def zero():
        """A counter's start value."""
        raise NotImplementedError


class Shelf:
    def __init__(self, items=()):
        raise NotImplementedError

    def count(self):
        raise NotImplementedError'''


def test_the_stubs_pass_the_release_gates_stub_check(course: Path) -> None:
    from autograder.core.config import load_config
    from autograder.release.signatures import check_stubs

    config = load_config(course / "course_config.py")
    problems, notes, size = check_stubs(config, config.sheet("tiny"))
    assert problems == [] and notes == [] and size == 5


def test_an_unusual_docstring_is_kept_as_written(course: Path) -> None:
    basics = course / "tiny_reference" / "basics.py"
    basics.write_text(basics.read_text().replace(
        '"""Return the sum of ``a`` and ``b`` ({{ points["basics"]:g }} points)."""',
        "r'''Return a \\ b, \"quoted\".'''"))
    assert "    r'''Return a \\ b, \"quoted\".'''\n" in cells(course)["stub-THRESHOLD"].source
