"""The sandbox sees an allow-list, not the host minus a deny-list (issue 19, item 2).

Other copies of the course on the grading host are not hidden by name, they are absent: last
term's checkout and a TA's copy planted under a world-readable folder of ``/opt``, and the package's
own checkout (this repository, with ``reference/sheet_3_2`` and ``tests/hidden/sheet_3_2``), which
differs from the security course's root. A hunting submission walks the sandbox's whole file system,
reads what it finds and imports the planted reference: it must find nothing, and score 0 on the
``leak`` items, both as root (``root``) and in the user-namespace fallback (``userns``: the grader is
``nobody``, the sandbox keeps its uid), each graded by the judge in a ``security_probe.py`` process.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import pytest
from security_attacks import FULL, FULL_SCORE, HONEST, HONEST_SCORE, LOOT, cells
from security_harness import REPO, Course, exercise_scores, leaks, make_course, student_view
from test_security_fallback import NOBODY, Probe, _userns_as_nobody

#: imports the planted copies, walks everything but the kernel's interfaces, reads what looks like a course
HUNT = r'''
import importlib, json, os, sys
TAG = "@@TAG@@"
NAMES = ("reference/sheet_3_2", "hidden/sheet_3_2", "hidden/sec", "sec_reference", "sec-lastterm")
imported = []
for folder in ("@@PLANTED@@/sec-lastterm", "@@PLANTED@@", "@@REPO@@"):
    sys.path.insert(0, folder)
    for module in ("sec_reference", "reference.sheet_3_2"):
        try:
            loaded = importlib.import_module(module)
            imported.append(f"{folder}:{module}")
            LOOT += f'REFERENCE_SECRET = "{getattr(loaded, "REFERENCE_SECRET", "")}"\n'
        except BaseException:
            sys.modules.pop(module, None)
seen, walked = [], 0
for top, dirs, files in os.walk("/"):
    if top in ("/proc", "/sys"):
        dirs[:] = []
        continue
    walked += len(dirs) + len(files)
    for name in dirs + files:
        path = os.path.join(top, name)
        if TAG in path or path.endswith(NAMES) or name in ("test_sec.py", "course_config.py", "grading.py"):
            seen.append(path)
for path in sorted(seen, key=lambda p: TAG not in p):  # the planted copies' secrets first
    for folder, _, names in os.walk(path) if os.path.isdir(path) else [(os.path.dirname(path), [], [os.path.basename(path)])]:
        for name in names:
            try:
                LOOT += open(os.path.join(folder, name), errors="replace").read()
            except OSError:
                pass
probe = ["@@PLANTED@@", "@@REPO@@/reference/sheet_3_2", "@@REPO@@/tests/hidden", "@@REPO@@/course_config.py",
         "@@COURSE@@", "/root", "/home", "/opt", "/srv"]
print("HUNT " + json.dumps({"seen": seen[:8], "walked": walked, "imported": imported,
                            "exists": [p for p in probe if os.path.lexists(p)], "root": sorted(os.listdir("/"))}))
_report()
'''


def _plant(course: Course, tag: str) -> Path:
    """World-readable copies outside the course root: last term's checkout (the same secrets) and a
    TA's ``reference/sheet_3_2`` whose ``__init__`` carries this term's reference secret."""
    planted = Path("/opt") / f"ag-{tag}"
    shutil.copytree(course.root, planted / "sec-lastterm", ignore=shutil.ignore_patterns("submissions", "build"))
    ta_copy = planted / "reference" / "sheet_3_2"
    ta_copy.mkdir(parents=True)
    (planted / "reference" / "__init__.py").write_text("")
    secret = course.secrets["@@REFERENCE_SECRET@@"]
    (ta_copy / "__init__.py").write_text(f'REFERENCE_SECRET = "{secret}"\n')
    for path in [planted, *planted.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return planted


def _hunt(course: Course, planted: Path, tag: str) -> str:
    return cells(HONEST, LOOT, HUNT.replace("@@TAG@@", tag).replace("@@PLANTED@@", str(planted)))


def _relaxed(course: Course) -> None:
    """Walking a whole file system takes longer than the security course's 4 s per cell."""
    text = course.config_file.read_text().replace("cell_timeout_s=4", "cell_timeout_s=120")
    text = text.replace("output_bytes=2000", "output_bytes=20000")
    course.config_file.write_text(text.replace("submission_timeout_s=90", "submission_timeout_s=300"))


@pytest.fixture(scope="module")
def hunts():
    """Start both scenarios at once (each mostly waits for its zygote's imports)."""
    if os.geteuid() != 0:
        pytest.skip("planting copies under /opt and running the grader as another user need root")
    started: dict[str, tuple[Probe, Course, Path]] = {}
    made: list[tuple[Course, Path]] = []
    try:
        scenarios = [("root", [])]
        if _userns_as_nobody():
            scenarios.append(("userns", ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]))
        for name, prefix in scenarios:
            course = make_course()
            _relaxed(course)
            tag = secrets.token_hex(6)
            planted = _plant(course, tag)
            made.append((course, planted))
            submissions = {"hunter": _hunt(course, planted, tag), "control": cells(FULL)}
            for stem, source in submissions.items():
                (course.submissions / f"{stem}.py").write_text(source)
            if prefix:
                course.give_to(NOBODY)
            started[name] = (Probe(course, submissions, prefix), course, planted)
        yield started
    finally:
        for probe, _, _ in started.values():
            if probe.process.poll() is None:
                probe.process.kill()
                probe.process.wait()
        for course, planted in made:
            course.cleanup()
            shutil.rmtree(planted, ignore_errors=True)


def _hunt_report(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.startswith("HUNT ")]
    assert lines, output[-3000:]
    return json.loads(lines[-1].removeprefix("HUNT "))


def _scenario(hunts: dict, name: str) -> tuple[Probe, Course, Path]:
    if name not in hunts:
        pytest.skip("the user-namespace scenario needs setpriv and user namespaces for nobody")
    return hunts[name]


@pytest.mark.parametrize("scenario", ["root", "userns"])
def test_no_other_copy_of_the_course_exists_for_student_code(hunts, scenario) -> None:
    probe, course, planted = _scenario(hunts, scenario)
    hunter, _ = probe.results()
    # the student's own output is staff-visible text of the result; the hunt's findings are in it
    found = _hunt_report(hunter.output + "".join(test.output or "" for test in hunter.tests))
    assert exercise_scores(hunter) == HONEST_SCORE, hunter.output[-3000:]  # leak: 0 of 6
    assert found["walked"] > 1000, found  # it did walk a file system: the interpreter's at least
    assert found["seen"] == [], found["seen"]
    assert found["imported"] == [], found["imported"]
    assert found["exists"] == [], found["exists"]
    assert not {"root", "home", "opt", "srv", "mnt"} & set(found["root"]), found["root"]
    assert leaks(hunter, course) == [], student_view(hunter)[-3000:]
    layers = hunter.extra_data["isolation"]
    assert layers["mount"] and layers["root"] == "pivot_root" and layers["read_only"], layers
    assert layers["warnings"] == [], layers["warnings"]
    assert str(planted) not in layers["bound"] and str(REPO) not in layers["bound"], layers["bound"]


@pytest.mark.parametrize("scenario", ["root", "userns"])
def test_honest_work_still_scores_in_the_allow_listed_root(hunts, scenario) -> None:
    probe, _, _ = _scenario(hunts, scenario)
    _, control = probe.results()
    assert exercise_scores(control) == FULL_SCORE, control.output[-3000:]
