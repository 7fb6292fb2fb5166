"""The toy course's release gates that the release tests read: run side by side, and graded once.

Every gate grades the toy variant ``unnormalised_and_slow``, whose ``slow`` sleeps until the judge's
wall-clock backstop stops it (2 s of CPU time x 3 + 30 s: 36 s in which the machine is idle). Run one
after the other, the gates spent most of their time waiting on that sleep. Here each gate keeps the
course copy, the work folder and the inputs its test always had; they only run at the same time,
each in a process of its own, from the first time any of them is needed (only those the selected
tests use), and each test waits for its own:

- ``released``: the releasable course, in nbgrader's layout (``conftest.released``);
- ``reuse``: a copy whose ``test_softmax`` carries a time limit, plus a variant that declares
  ``basics`` (``test_gate_reuse.py``);
- ``alternative``: the releasable course with a known-correct alternative. Its reference, untouched
  notebook and variants are exactly ``released``'s submissions under the same suite, so it runs after
  ``released``, in a work folder seeded with ``released``'s results: the gate's job store resumes
  them and grades only the alternative (nothing is graded twice);
- ``over_strict``: a copy with that alternative and ``test_add`` made to insist on an ``int``
  (``test_release_alternatives.py``).
"""

from __future__ import annotations

import importlib
import multiprocessing
import shutil
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release_helpers import readable_folder

ALTERNATIVE = '''# %%
# Known-correct alternative of the toy sheet: add returns the sum as a float (the sheet allows it).
def add(a, b):
    return float(a) + float(b)
'''

SOUND_ADD = '''    assert student.add(2, 3) == ref.add(2, 3), "add(2, 3) is wrong"'''
OVER_STRICT_ADD = '''    got = student.add(2, 3)
    assert got == ref.add(2, 3) and type(got) is int, "add(2, 3) should be the int 5"'''

# which fixture reads which gate: a gate starts when a selected test uses its fixture
CONSUMERS = {"released": "released", "reuse": "gated", "alternative": "alternative_release",
             "over_strict": "over_strict_release"}


@dataclass
class GateRun:
    """One gate run: its course, where its bundle would go, and its outcome (or the exception it raised)."""

    name: str
    course: Path
    out: Path
    future: Future[Any]

    def outcome(self) -> Any:
        """What ``release_sheet`` / ``run_gate`` returned; re-raises what it raised (ReleaseRefused)."""
        return self.future.result()


class ToyGates:
    """The gates of the module docstring; ``run(name)`` starts one (if needed) and returns its handle.

    Each gate runs in a process of its own (spawned: nothing of the test process is shared). In
    threads of one process they raced inside CPython 3.11's ``ast`` module (``ast.parse`` from two
    threads at once can leave "AST constructor recursion depth mismatch" behind for every later
    parse in that process), which broke the tests that ran after them.
    """

    def __init__(self, releasable: Path, scratch: Path) -> None:
        self.releasable = releasable
        self.scratch = scratch
        self.folders: list[Path] = []
        self.runs: dict[str, GateRun] = {}
        self._lock = threading.Lock()
        self._pool = ProcessPoolExecutor(max_workers=len(CONSUMERS), mp_context=multiprocessing.get_context("spawn"))

    def start(self, names: Iterable[str]) -> None:
        """Prepare the course copies, then start the gates (``alternative`` when ``released`` is done)."""
        with self._lock:
            names = list(names)
            if "alternative" in names:
                names.insert(0, "released")  # it resumes released's results
            for name in dict.fromkeys(names):
                if name in self.runs:
                    continue
                course, out = self._plan(name)
                if name == "alternative":
                    future: Future[Any] = Future()
                    self.runs["released"].future.add_done_callback(
                        lambda done, course=course, out=out, future=future: self._after_released(done, course, out, future))
                else:
                    future = self._pool.submit(run_gate_in_child, name, course, out, self.scratch)
                self.runs[name] = GateRun(name, course, out, future)

    def _after_released(self, released: Future[Any], course: Path, out: Path, future: Future[Any]) -> None:
        if released.exception() is not None:
            future.set_exception(released.exception())  # type: ignore[arg-type]
            return
        results = released.result().report.results_dir
        submitted = self._pool.submit(run_gate_in_child, "alternative", course, out, self.scratch, results)
        submitted.add_done_callback(lambda done: _copy_outcome(done, future))

    def run(self, name: str) -> GateRun:
        self.start([name])
        return self.runs[name]

    def _plan(self, name: str) -> tuple[Path, Path]:
        """The course copy a gate reads and the folder its bundle would go to (made here, in the test process)."""
        if name == "released":
            return self.releasable, self.scratch / "released" / "course_root"
        if name == "alternative":
            return self.releasable, self.scratch / "alternative" / "out"
        folder = readable_folder(f"{name}-")  # the sandbox's uid reads the course
        self.folders.append(folder)
        course = folder / "course"
        shutil.copytree(self.releasable, course, ignore=shutil.ignore_patterns("__pycache__", "alternatives"))
        if name == "reuse":
            suite = course / "hidden" / "toy" / "test_toy.py"
            suite.write_text(suite.read_text().replace('@pytest.mark.exercise("tensors")\n',
                                                       '@pytest.mark.exercise("tensors")\n@pytest.mark.timeout(5)\n'))
            (course / "variants" / "toy" / "answer_41.py").write_text("# exercise: basics\nANSWER = 41\n")
        elif name == "over_strict":
            add_alternative(course)
            suite = course / "hidden" / "toy" / "test_toy.py"
            sound = suite.read_text()
            assert SOUND_ADD in sound
            suite.write_text(sound.replace(SOUND_ADD, OVER_STRICT_ADD))
        else:
            raise KeyError(name)
        return course, folder / "out"

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ in the gate's own process


def run_gate_in_child(name: str, course: Path, out: Path, scratch: Path, seed: Path | None = None) -> Any:
    """One gate, in a spawned process: what ``release_sheet`` / ``run_gate`` returned (or raised)."""
    load_config = importlib.import_module("autograder.core.config").load_config
    release = importlib.import_module("autograder.release")
    config_file = course / "course_config.py"
    config = load_config(config_file)
    if name == "released":  # the releasable course, in nbgrader's layout
        out.mkdir(parents=True)
        return release.release_sheet(config=config, sheet="toy", out=out, nbgrader=True, jobs=2, device="cpu",
                                     config_file=config_file, work_dir=scratch / "released" / "gate" / "work")
    if name == "alternative":  # released's course with the alternative added, seeded with its results
        work = scratch / "alternative" / "work-sound"
        shutil.copytree(seed, work / "results")  # the job store resumes them: only the alternative is graded
        alternatives = add_alternative(course)
        try:
            return release.release_sheet(config=load_config(config_file), sheet="toy", out=out, jobs=1,
                                         device="cpu", config_file=config_file, work_dir=work)
        finally:
            shutil.rmtree(alternatives)  # the releasable course as the other tests read it
    if name == "over_strict":
        return release.release_sheet(config=config, sheet="toy", out=out, jobs=1, device="cpu",
                                     config_file=config_file, work_dir=course.parent / "work-strict")
    if name == "reuse":
        gate = importlib.import_module("autograder.release.gate")
        return gate.run_gate(config=config, sheet=config.sheet("toy"), work_dir=course.parent / "work", jobs=1,
                             device="cpu", config_file=config_file)
    raise KeyError(name)


def add_alternative(course: Path) -> Path:
    """The known-correct alternative in ``course``'s ``alternatives/toy/`` (returned)."""
    folder = course / "alternatives" / "toy"
    folder.mkdir(parents=True)
    (folder / "float_sum.py").write_text(ALTERNATIVE)
    return course / "alternatives"


def _copy_outcome(done: Future[Any], future: Future[Any]) -> None:
    if done.exception() is not None:
        future.set_exception(done.exception())  # type: ignore[arg-type]
    else:
        future.set_result(done.result())
