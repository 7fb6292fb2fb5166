"""Helpers for the scale tests: submissions of the toy sheet that take a moment to load."""

from __future__ import annotations

from pathlib import Path

TOY = Path(__file__).resolve().parents[1] / "toy_course"
TOY_CONFIG = TOY / "course_config.py"


def slow_submissions(folder: Path, count: int, *, delay_s: float) -> list[Path]:
    """``count`` copies of the toy's correct answer whose loading takes ``delay_s`` seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    source = (TOY / "submissions" / "correct.py").read_text()
    paths = []
    for index in range(count):
        path = folder / f"student{index:02d}.py"
        path.write_text(f"import time\ntime.sleep({delay_s})\n# student {index}\n" + source)
        paths.append(path)
    return paths
