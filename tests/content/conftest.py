"""Put the project root and the sheet's public folder on ``sys.path``, as the judge does."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHEET_DIR = ROOT / "assignments" / "sheet_3_2"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
for path in (ROOT, SHEET_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
