"""What the stages of a build share: the sheet, its master, the parsed reference and the values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.authoring.reference import ReferencePackage
from autograder.authoring.values import Values
from autograder.core.config import CourseConfig, SheetConfig


@dataclass
class BuildContext:
    config: CourseConfig
    sheet: SheetConfig
    master: Path
    master_name: str
    """The master as the notebook's metadata names it: its path from the course root."""
    package: ReferencePackage
    check_names: dict[str, tuple[str, ...]]
    values: Values

    def where(self, cell: str) -> str:
        return f"{self.master_name}, {cell}"
