"""Where Sheet 3.2's shared gradings live (imported by conftest.py and the tests that read them)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = ROOT / "course_config.py"
GATE_WORK = ROOT / "build" / "validation" / "sheet_3_2" / "gate"
