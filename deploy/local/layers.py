"""Which of the sandbox's isolation layers a grading run had: read from its result files.

    python deploy/local/layers.py RESULT.json...      (one line per file)

A result's ``extra_data.isolation`` is the sandbox's own report (autograder/sandbox/isolation.py).
``make container-demo`` and tests/container/ use this to say what was active inside a container.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def active_layers(isolation: dict[str, Any]) -> list[str]:
    """The layers a sandbox reported as in place, in words."""
    layers = [f"{name} namespace" for name in ("pid", "network", "mount") if isolation.get(name)]
    if isolation.get("user_namespace"):
        layers.append("user namespace")
    if isolation.get("separate_uid"):
        layers.append(f"separate uid {isolation.get('uid')}")
    if isolation.get("read_only"):
        layers.append("read-only mounts")
    if isolation.get("root"):
        layers.append(f"allow-listed root ({isolation['root']}, {len(isolation.get('bound') or [])} read-only binds)")
    return layers + ["rlimits", "scrubbed environment"]


def describe(result: dict[str, Any]) -> str:
    isolation = (result.get("extra_data") or {}).get("isolation") or {}
    if not isolation:
        return "no sandbox report (the submission did not reach the sandbox)"
    warnings = isolation.get("warnings") or []
    return ", ".join(active_layers(isolation)) + (f"; warnings: {'; '.join(warnings)}" if warnings else "")


def main(paths: list[str]) -> None:
    for path in paths:
        print(f"isolation in the container ({Path(path).stem}): {describe(json.loads(Path(path).read_text()))}")


if __name__ == "__main__":
    main(sys.argv[1:])
