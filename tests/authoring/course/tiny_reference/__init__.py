"""Reference of the tiny sheet (the authoring tests' course)."""

from .basics import THRESHOLD, add, describe, pi  # noqa: F401 - pi: a name it imports, not defines
from .objects import Counter, Shelf

__all__ = ["THRESHOLD", "Counter", "Shelf", "add", "describe"]
