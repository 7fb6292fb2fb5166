"""The toy course's release gates that the release tests read, run side by side and graded once.

Every gate grades the toy variant ``unnormalised_and_slow``, whose ``slow`` sleeps until the judge's
wall-clock backstop stops it (2 s of CPU time x 3 + 30 s: 36 s in which the machine is idle). Run one
after the other, the gates spent most of their time waiting on that sleep. Here each gate keeps the
course copy, the work folder and the inputs its test always had; they only run at the same time, in
background threads, from the first time any of them is needed (only those the selected tests use),
and each test waits for its own:

- ``released``: the releasable course, in nbgrader's layout (``conftest.released``);
- ``reuse``: a copy whose ``test_softmax`` carries a time limit, plus a variant that declares
  ``basics`` (``test_gate_reuse.py``);
- ``alternative``: the releasable course with a known-correct alternative. Its reference, untouched
  notebook and variants are exactly ``released``'s submissions under the same suite, so it runs after
  ``released`` on the same warm workers, in a work folder seeded with ``released``'s results: the
  gate's job store resumes them and grades only the alternative (nothing is graded twice);
- ``over_strict``: a copy with that alternative and ``test_add`` made to insist on an ``int``
  (``test_release_alternatives.py``).
"""

from __future__ import annotations

import importlib
import shutil
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
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
    """The gates of the module docstring; ``run(name)`` starts one (if needed) and returns its handle."""

    def __init__(self, releasable: Path, scratch: Path) -> None:
        self.releasable = releasable
        self.scratch = scratch
        self.folders: list[Path] = []
        self.runs: dict[str, GateRun] = {}
        self.grader: Any = None  # ``released``'s warm workers, which ``alternative`` grades on too
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._plans: dict[str, tuple[Path, Path, Callable[[Path, Path], Any]]] = {
            "released": (releasable, scratch / "released" / "course_root", self._released),
            "alternative": (releasable, scratch / "alternative" / "out", self._alternative),
        }

    # ------------------------------------------------------------------ starting

    def start(self, names: Iterable[str]) -> None:
        """Prepare every course copy first (none is made while a gate runs), then start the gates."""
        for module in ("autograder.grading.batch", "autograder.release", "autograder.release.gate"):
            importlib.import_module(module)  # here, not by several threads at once

        with self._lock:
            names = list(names)
            if "alternative" in names:
                names.insert(0, "released")  # it waits for released's results and workers
            new = [name for name in dict.fromkeys(names) if name not in self.runs]
            plans = {name: self._plan(name) for name in new}
            for name, (course, out, body) in plans.items():
                future: Future[Any] = Future()
                self.runs[name] = GateRun(name, course, out, future)
                thread = threading.Thread(target=_resolve, args=(future, body, course, out), name=f"gate-{name}",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()

    def run(self, name: str) -> GateRun:
        self.start([name])
        return self.runs[name]

    def _plan(self, name: str) -> tuple[Path, Path, Callable[[Path, Path], Any]]:
        if name in self._plans:
            return self._plans[name]
        folder = readable_folder(f"{name}-")  # the sandbox's uid reads the course
        self.folders.append(folder)
        course = folder / "course"
        shutil.copytree(self.releasable, course, ignore=shutil.ignore_patterns("__pycache__", "alternatives"))
        if name == "reuse":
            suite = course / "hidden" / "toy" / "test_toy.py"
            suite.write_text(suite.read_text().replace('@pytest.mark.exercise("tensors")\n',
                                                       '@pytest.mark.exercise("tensors")\n@pytest.mark.timeout(5)\n'))
            (course / "variants" / "toy" / "answer_41.py").write_text("# exercise: basics\nANSWER = 41\n")
            return course, folder / "out", self._reuse
        if name == "over_strict":
            add_alternative(course)
            suite = course / "hidden" / "toy" / "test_toy.py"
            sound = suite.read_text()
            assert SOUND_ADD in sound
            suite.write_text(sound.replace(SOUND_ADD, OVER_STRICT_ADD))
            return course, folder / "out", self._over_strict
        raise KeyError(name)

    # ------------------------------------------------------------------ the gates

    def _released(self, course: Path, out: Path) -> Any:
        """The gate on the releasable course, in nbgrader's layout, on two warm workers kept for ``alternative``."""
        from autograder.core.config import load_config
        from autograder.grading.pool import Grader
        from autograder.release import release_sheet

        config_file = course / "course_config.py"
        out.mkdir(parents=True)
        self.grader = Grader(load_config(config_file), jobs=2, device="cpu", config_file=config_file)
        return release_sheet(config=load_config(config_file), sheet="toy", out=out, nbgrader=True, jobs=2,
                             device="cpu", config_file=config_file, work_dir=self.scratch / "released" / "gate" / "work",
                             grader=self.grader)

    def _alternative(self, course: Path, out: Path) -> Any:
        """``released``'s course with the alternative added, after ``released`` and seeded with its results."""
        from autograder.core.config import load_config
        from autograder.release import release_sheet

        released = self.run("released").outcome()
        work = self.scratch / "alternative" / "work-sound"
        shutil.copytree(released.report.results_dir, work / "results")  # the job store resumes them
        alternatives = add_alternative(course)
        try:
            config_file = course / "course_config.py"
            return release_sheet(config=load_config(config_file), sheet="toy", out=out, jobs=1, device="cpu",
                                 config_file=config_file, work_dir=work, grader=self.grader)
        finally:
            shutil.rmtree(alternatives)  # the releasable course as the other tests read it

    def _over_strict(self, course: Path, out: Path) -> Any:
        from autograder.core.config import load_config
        from autograder.release import release_sheet

        config_file = course / "course_config.py"
        return release_sheet(config=load_config(config_file), sheet="toy", out=out, jobs=1, device="cpu",
                             config_file=config_file, work_dir=course.parent / "work-strict")

    def _reuse(self, course: Path, out: Path) -> Any:
        from autograder.core.config import load_config
        from autograder.release.gate import run_gate

        config = load_config(course / "course_config.py")
        return run_gate(config=config, sheet=config.sheet("toy"), work_dir=course.parent / "work", jobs=1,
                        device="cpu", config_file=course / "course_config.py")

    # ------------------------------------------------------------------ the end

    def close(self) -> None:
        for thread in self._threads:
            thread.join()
        if self.grader is not None:
            self.grader.close()
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)


def add_alternative(course: Path) -> Path:
    """The known-correct alternative in ``course``'s ``alternatives/toy/`` (returned)."""
    folder = course / "alternatives" / "toy"
    folder.mkdir(parents=True)
    (folder / "float_sum.py").write_text(ALTERNATIVE)
    return course / "alternatives"


def _resolve(future: Future[Any], body: Callable[[Path, Path], Any], course: Path, out: Path) -> None:
    try:
        future.set_result(body(course, out))
    except BaseException as exc:  # noqa: BLE001 - handed to the test that waits for it
        future.set_exception(exc)
