"""What a result records so that it can be regraded and its changes explained.

At grading time every result gets, in ``extra_data`` (:class:`autograder.core.extra_data.ExtraData`;
staff-only: the renderers for students drop ``extra_data``):

- ``submission_file``: the graded file's original path, its SHA-256 and ``copy``, a copy kept under
  ``RESULTS_DIR/submissions/<sha256><ext>`` (the results folder is staff-only and no sandbox sees
  it), so a regrade works after the original folder moved or was deleted;
- ``grading``: the fingerprints a regrade diff compares: ``tests`` (per hidden test, a hash of its
  function's source, decorators included except ``pytest.mark.points``, whose change the test's
  ``max_score`` shows), ``config`` (the sheet's points and the limits), ``engine``
  (:func:`autograder.judge.fingerprint.engine_fingerprint`) and ``suite`` (the job store's key).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
from pathlib import Path

from autograder.core import pysource
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.extra_data import GradingFingerprints, SubmissionFile
from autograder.core.results import SubmissionResult

SUBMISSIONS = "submissions"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def hidden_test_hashes(hidden_dir: Path) -> dict[str, str]:
    """Node id (without parameters) -> hash of the test function's source, for every test in the suite.

    Parsed, never imported: the parent process never runs hidden code.
    """
    hashes: dict[str, str] = {}
    for path in sorted(hidden_dir.rglob("test*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(hidden_dir).as_posix()
        try:
            source = path.read_text(encoding="utf-8")
            tree = pysource.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                hashes[f"{rel}::{node.name}"] = _function_hash(source, node)
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for inner in node.body:
                    if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef) and inner.name.startswith("test"):
                        hashes[f"{rel}::{node.name}::{inner.name}"] = _function_hash(source, inner)
    return hashes


def _function_hash(source: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    decorators = [ast.unparse(d) for d in node.decorator_list]
    kept = [d for d in decorators if not d.replace(" ", "").startswith(("pytest.mark.points(", "mark.points("))]
    body = ast.get_source_segment(source, node) or ast.unparse(node)
    return _sha("\n".join([*kept, body]))


def config_hash(config: CourseConfig, sheet: SheetConfig) -> str:
    """What of the course config can change a test's outcome: the sheet's points and the limits."""
    return _sha(json.dumps({"points": sheet.points, "limits": json.loads(config.limits.model_dump_json())},
                           sort_keys=True))


def grading_fingerprints(config: CourseConfig, sheet: SheetConfig, suite: str) -> GradingFingerprints:
    from autograder.judge.fingerprint import engine_fingerprint

    return GradingFingerprints(suite=suite, engine=engine_fingerprint(), config=config_hash(config, sheet),
                               tests=hidden_test_hashes(config.resolve(sheet.hidden_dir)))


def keep_copy(results_dir: Path, path: Path, sha256: str) -> str | None:
    """Copy the graded file to ``submissions/<sha256><ext>`` (once per content); its path relative
    to ``results_dir``, or None when there is nothing to keep (no file, no hash)."""
    if not sha256 or ":" in sha256 or not path.is_file():
        return None
    rel = Path(SUBMISSIONS) / f"{sha256}{path.suffix.lower()}"
    target = results_dir / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o700)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    return rel.as_posix()


def with_provenance(result: SubmissionResult, *, results_dir: Path, path: Path | None, sha256: str,
                    fingerprints: GradingFingerprints) -> SubmissionResult:
    """``result`` recording its file (and a kept copy of it) and the fingerprints of its grading."""
    if path is None:
        return result.with_extra(grading=fingerprints)
    copy = keep_copy(results_dir, path, sha256)
    return result.with_extra(grading=fingerprints,
                             submission_file=SubmissionFile(path=str(path.resolve()), sha256=sha256, kept_copy=copy))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def find_submission(results_dir: Path, result: SubmissionResult) -> tuple[Path | None, str]:
    """The graded file of ``result``: the kept copy, else the recorded path if its SHA-256 still
    matches; ``(None, why)`` when neither is there."""
    record = result.extra_data.submission_file or SubmissionFile()
    sha = str(record.sha256 or result.submission_sha256 or "")
    candidates: list[Path] = []
    if record.kept_copy:
        candidates.append(results_dir / record.kept_copy)
    if sha and ":" not in sha:
        suffix = Path(result.submission).suffix.lower() or ".ipynb"
        candidates.append(results_dir / SUBMISSIONS / f"{sha}{suffix}")
    if record.path:
        candidates.append(Path(record.path))
    for candidate in candidates:
        try:
            if candidate.is_file() and (not sha or file_sha256(candidate) == sha):
                return candidate, ""
        except OSError:
            continue
    if not sha:
        return None, "cannot regrade: file not found (the result records no file hash)"
    return None, "cannot regrade: file not found"
