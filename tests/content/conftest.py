"""Put the project root and the sheet's public folder on ``sys.path``, as the judge does."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHEET_DIR = ROOT / "assignments" / "sheet_3_2"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
for path in (ROOT, SHEET_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(autouse=True)
def _sheet_3_2_public_modules() -> None:
    """``import public_checks`` means Sheet 3.2's, whatever sheet an earlier test imported under that name."""
    for name in ("public_checks", "sheet_3_2_given"):
        module = sys.modules.get(name)
        if module is not None and Path(getattr(module, "__file__", "") or "").parent != SHEET_DIR:
            del sys.modules[name]
    if sys.path[:1] != [str(SHEET_DIR)]:
        sys.path.insert(0, str(SHEET_DIR))
