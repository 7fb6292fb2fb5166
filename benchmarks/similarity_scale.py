"""How long ``autograder similarity`` takes for a class of 200 (about 20,000 pairs).

    PYTHONPATH=. .venv/bin/python benchmarks/similarity_scale.py [--students 200] [--repeat 3]

The class is synthetic but shaped like a real one: every student starts from the complete example
solution, and each line of it is changed with some probability (an extra term, a changed constant,
a renamed variable: different code, so most pairs share only fragments); every tenth student copies
another one with every name changed and the functions reversed; a few submissions are broken. All
of it is written as notebooks built on the released Sheet 3.2 notebook, then the whole command's
work (read, extract own code, fingerprint, rank every pair, write the HTML pages and CSV) is timed,
in one process, single-threaded. It prints a markdown row for docs/benchmarks.md with the load average.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "similarity"))

import similarity_corpus as corpus  # the tests' own builders of copies and notebooks

from autograder.similarity import run_similarity
from autograder.similarity.fingerprint import normalise_code


def _simple_statement(text: str) -> bool:
    """A whole one-line statement that a new line may follow (not a header, not inside brackets)."""
    if not text or text.startswith(("return", "raise", "#", "@")) or text.endswith(":"):
        return False
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def mutate(source: str, rng: random.Random, rate: float) -> str:
    lines = []
    for line in source.splitlines():
        if _simple_statement(line.strip()) and rng.random() < rate:
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{line}\n{indent}_t{rng.randrange(99)} = {rng.randrange(1000)} * {rng.choice('abcxyz')}{rng.randrange(9)}"
        lines.append(line)
    return "\n".join(lines)


def build_class(folder: Path, students: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    base = corpus.own_cells_of_complete()
    written: list[list[str]] = []
    for i in range(students):
        if i % 10 == 9 and written:
            cells = corpus.disguise(rng.choice(written))
        else:
            cells = [mutate(cell, rng, rate=0.5) for cell in base]
        written.append(cells)
        (folder / f"s{i:03d}.ipynb").write_text(corpus.notebook_with(cells))
    (folder / "broken.ipynb").write_text('{"cells": [')
    (folder / "empty.ipynb").write_text("")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "class"
        subs.mkdir()
        build_class(subs, args.students)
        times, run = [], None
        for _ in range(args.repeat):
            normalise_code.cache_clear()  # each repeat lexes the class afresh, as one command run does
            started = time.perf_counter()
            run = run_similarity(notebook=corpus.NOTEBOOK, submissions=[subs], out=Path(tmp) / "out",
                                 sheet="sheet_3_2")
            times.append(time.perf_counter() - started)
        assert run is not None
        pairs = len(run.compared) * (len(run.compared) - 1) // 2
        load = os.getloadavg()[0]
        print("| when (UTC) | submissions | pairs compared | pairs sharing code | flagged | median s | min s | "
              "load avg |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} | {len(run.submissions)} | {pairs} | {len(run.pairs)} | "
              f"{len(run.flagged)} | {statistics.median(times):.1f} | {min(times):.1f} | {load:.1f} |")


if __name__ == "__main__":
    main()
