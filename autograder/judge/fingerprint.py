"""``suite_hash``: what the job store keys finished results on (suite, reference, given files, engine)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from autograder.core.config import CourseConfig, SheetConfig


def suite_hash(config: CourseConfig, sheet: SheetConfig) -> str:
    """Changes whenever the hidden suite, the reference, the public given files or the engine change.

    The job store keys finished results on it, so a rerun after any of these changed grades again.
    """
    digest = hashlib.sha256()
    reference_dir = config.root / Path(*sheet.reference_module.split("."))
    for folder in (config.resolve(sheet.hidden_dir), reference_dir, config.resolve(sheet.assignment_dir)):
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".ipynb":
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    digest.update(str(sorted(sheet.points.items())).encode())
    digest.update(engine_fingerprint().encode())
    return digest.hexdigest()


def engine_fingerprint(package: Path | None = None) -> str:
    """The engine's version and a hash of its code (every ``.py`` file of the ``autograder`` package)."""
    import autograder

    root = package or Path(autograder.__file__).resolve().parent
    digest = hashlib.sha256(autograder.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{autograder.__version__}:{digest.hexdigest()}"
