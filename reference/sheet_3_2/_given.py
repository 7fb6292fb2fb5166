"""Import the sheet's public given module, wherever the reference is imported from.

The judge puts ``assignments/sheet_3_2`` on ``sys.path``; a plain ``import reference.sheet_3_2`` from
the project root (tests, notebooks of staff) may not, so fall back to the module's known location.
"""

from __future__ import annotations

import sys
from pathlib import Path

ASSIGNMENT_DIR = Path(__file__).resolve().parents[2] / "assignments" / "sheet_3_2"

try:
    import sheet_3_2_given as given
except ModuleNotFoundError:  # pragma: no cover - depends on how the caller set sys.path
    sys.path.insert(0, str(ASSIGNMENT_DIR))
    import sheet_3_2_given as given

__all__ = ["ASSIGNMENT_DIR", "given"]
