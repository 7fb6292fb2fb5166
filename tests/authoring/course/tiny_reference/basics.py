"""Functions and a constant of the tiny sheet."""

from math import pi  # noqa: F401 - re-exported: the tests stub a name the reference imports

# The share of answers that must be right,
# a float between 0 and 1 ({{ ref.THRESHOLD:.0% }} here).
THRESHOLD: float = 0.75

SETTINGS = {"steps": 120, "lr": 0.005}


def add(a: int, b: int = 0) -> int:
    """Return the sum of ``a`` and ``b`` ({{ points["basics"]:g }} points)."""
    return a + b


def describe(name, *values, sep: str = ", ", width=None, **options):
    """Describe ``values`` under ``name``.

    Join them with ``sep``; at most {{ ref.basics.SETTINGS["steps"] }} of them.
    """
    text = sep.join(str(v) for v in values)
    return f"{name}: {text}"[: width or None]


def _helper(x):
    return x
