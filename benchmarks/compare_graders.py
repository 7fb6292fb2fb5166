"""Grade the same Sheet 3.2 notebooks with this project, nbgrader and otter-grader; compare times.

    .venv/bin/python benchmarks/compare_graders.py --setup-venv     # once: competitors' own venv
    .venv/bin/python benchmarks/compare_graders.py --n 40 --record docs/benchmarks.md

It builds N notebooks from ``examples/submissions`` (complete, partial and blank ones, each copy a
different student), lays them out as nbgrader's ``submitted/<student>/sheet_3_2/``, and grades each
kind with each tool, one after another on this machine, one submission at a time (``--jobs`` raises
this project's and otter's parallelism; nbgrader's autograde is sequential):

- this project: ``autograder grade sheet_3_2 ... --jobs J`` (warm workers, sandbox, hidden suite);
- nbgrader: ``nbgrader autograde`` on a course whose notebook carries one hidden test cell per
  hidden test (``assert passed(globals(), "<test id>")``, the test's points on the cell);
- otter-grader: ``otter run`` with an autograder zip holding one test file per exercise and one
  test case per hidden test, with the same assertion.

nbgrader and otter run the checks in the student's kernel (:mod:`inkernel_pytest`): the hidden suite
once per notebook, through pytest, with the notebook's globals as ``student``. So the three tools
apply the same checks, and the scores are compared as a sanity check. The competitors run from a
separate virtual environment (``build/bench-venv``) that falls back to ``.venv`` for torch and
transformers, so that ours stays clean.

Two ratios per competitor: engine overhead (time per blank notebook: every check fails at once, what
remains is the engine) and end to end (time per complete notebook).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SHEET = "sheet_3_2"
ASSIGNMENT = ROOT / "assignments" / SHEET
EXAMPLES = ROOT / "examples" / "submissions"
HIDDEN = ROOT / "tests" / "hidden" / SHEET
KINDS = ("blank", "partial", "complete")
PUBLIC_FILES = ("sheet_3_2_given.py", "public_checks.py", "data")
BENCH_VENV = ROOT / "build" / "bench-venv"
COMPETITORS = ("otter-grader", "nbgrader", "ipykernel")
COLD_IMPORT = "import torch; from transformers import GPT2Config"


@dataclass(frozen=True)
class HiddenTest:
    nodeid: str
    exercise: str
    points: float


@dataclass
class Run:
    tool: str
    kind: str
    count: int
    wall_s: float
    scores: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    harness_s: float = 0.0  # of which: the in-kernel pytest harness (competitors only)
    error: str = ""

    @property
    def per_submission_s(self) -> float:
        return self.wall_s / max(1, self.count)


# ------------------------------------------------------------------ building the notebooks


def mix_counts(n: int, mix: str | None) -> dict[str, int]:
    """``complete:14,partial:13,blank:13``; by default N split as evenly as the three kinds allow."""
    if mix:
        counts = {kind: int(value) for kind, value in (part.split(":") for part in mix.split(","))}
        unknown = set(counts) - set(KINDS)
        if unknown:
            raise SystemExit(f"unknown kinds in --mix: {sorted(unknown)}")
        return {kind: counts.get(kind, 0) for kind in KINDS}
    base, extra = divmod(n, len(KINDS))
    return {kind: base + (1 if index < extra else 0) for index, kind in enumerate(reversed(KINDS))}


def build_submissions(work: Path, counts: dict[str, int], *, source: Path = EXAMPLES) -> dict[str, list[Path]]:
    """``work/submitted/<kind><i>/sheet_3_2/sheet_3_2.ipynb`` with the public files beside it."""
    submitted = work / "submitted"
    if submitted.exists():
        shutil.rmtree(submitted)
    built: dict[str, list[Path]] = {}
    for kind, count in counts.items():
        template = nbformat.read(source / f"{kind}.ipynb", as_version=4)
        for index in range(count):
            student = f"{kind}{index:02d}"
            folder = submitted / student / SHEET
            folder.mkdir(parents=True)
            notebook = nbformat.from_dict(json.loads(json.dumps(template)))
            notebook.cells.append(nbformat.v4.new_markdown_cell(f"Submitted by {student}."))
            path = folder / f"{SHEET}.ipynb"
            nbformat.write(notebook, path)
            copy_public_files(folder)
            built.setdefault(kind, []).append(path)
    return built


def copy_public_files(folder: Path) -> None:
    for name in PUBLIC_FILES:
        source = ASSIGNMENT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "make_data.py"))
        elif source.exists():
            shutil.copy2(source, folder / name)


def hidden_tests() -> list[HiddenTest]:
    """Every hidden test with its exercise and points, as pytest collects them."""
    import pytest

    class Collector:
        def __init__(self) -> None:
            self.tests: list[HiddenTest] = []

        def pytest_configure(self, config: Any) -> None:
            for line in ("points(n): points", "exercise(id): exercise", "timeout(s): limit", "gpu: gpu"):
                config.addinivalue_line("markers", line)

        def pytest_collection_modifyitems(self, items: list[Any]) -> None:
            for item in items:
                points, exercise = item.get_closest_marker("points"), item.get_closest_marker("exercise")
                self.tests.append(HiddenTest(item.nodeid, str(exercise.args[0]), float(points.args[0])))

    collector = Collector()
    sys.path[:0] = [str(ROOT), str(ASSIGNMENT)]
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main([str(HIDDEN), "--rootdir", str(HIDDEN), "--confcutdir", str(HIDDEN), "--collect-only",
                            "-q", "-p", "no:cacheprovider", "-o", "addopts="], plugins=[collector])
    if code not in (0, 5) or not collector.tests:
        raise SystemExit(f"collecting the hidden suite failed (pytest exit code {int(code)})")
    return collector.tests


def competitor_env(bench_python: Path, **extra: str) -> dict[str, str]:
    """The competitors' venv first on PATH (nbgrader runs ``alembic`` by name), offline."""
    path = f"{bench_python.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return dict(os.environ, PATH=path, HF_HUB_OFFLINE="1", PYTHONHASHSEED="0", **extra)


def check_line(nodeid: str) -> str:
    return (f"import sys\nsys.path.insert(0, {str(ROOT / 'benchmarks')!r})\nfrom inkernel_pytest import passed\n"
            f"assert passed(globals(), {nodeid!r}), {('hidden test failed: ' + nodeid)!r}\n")


# ------------------------------------------------------------------ nbgrader


def prepare_nbgrader(work: Path, tests: list[HiddenTest], built: dict[str, list[Path]], bench_python: Path) -> Path:
    """A course: source notebook = blank notebook + one hidden test cell per hidden test."""
    course = work / "nbgrader"
    if course.exists():
        shutil.rmtree(course)
    source = course / "source" / SHEET
    source.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        "c.Execute.timeout = 3600\n"
        "c.Execute.allow_errors = True\n")
    notebook = nbformat.read(EXAMPLES / "blank.ipynb", as_version=4)
    for index, test in enumerate(tests):
        cell = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\n" + check_line(test.nodeid) + "### END HIDDEN TESTS")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": test.points,
                                     "grade_id": f"hidden_{index:03d}", "schema_version": 3}
        notebook.cells.append(cell)
    nbformat.write(notebook, source / f"{SHEET}.ipynb")
    copy_public_files(source)
    _run([str(bench_python), "-m", "nbgrader", "generate_assignment", SHEET, "--force", "--create"], cwd=course,
         env=competitor_env(bench_python))
    released = nbformat.read(course / "release" / SHEET / f"{SHEET}.ipynb", as_version=4)
    graded_cells = [cell for cell in released.cells if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
    for paths in built.values():
        for path in paths:  # a student's notebook, as nbgrader hands it out: released test cells included
            student = nbformat.read(path, as_version=4)
            student.cells.extend(nbformat.from_dict(json.loads(json.dumps(c))) for c in graded_cells)
            target = course / "submitted" / path.parent.parent.name / SHEET
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(student, target / f"{SHEET}.ipynb")
            copy_public_files(target)
    return course


def run_nbgrader(course: Path, kind: str, count: int, bench_python: Path, env: dict[str, str]) -> Run:
    shutil.rmtree(course / "autograded", ignore_errors=True)
    started = time.monotonic()
    load = os.getloadavg()[0]
    done = _run([str(bench_python), "-m", "nbgrader", "autograde", SHEET, "--force",
                 f"--CourseDirectory.student_id={kind}*"], cwd=course, env=env, check=False)
    wall = time.monotonic() - started
    query = ("import json, sys\nfrom nbgrader.api import Gradebook\n"
             f"gb = Gradebook('sqlite:///{course}/gradebook.db')\n"
             f"print(json.dumps({{s.student.id: s.score for s in gb.find_assignment({SHEET!r}).submissions "
             f"if s.student.id.startswith({kind!r})}}))\ngb.close()\n")
    scores = json.loads(_run([str(bench_python), "-c", query], cwd=course, env=env).stdout.strip().splitlines()[-1])
    error = "" if done.returncode == 0 else done.stderr[-2000:]
    return Run("nbgrader", kind, count, wall, scores, (load, os.getloadavg()[0]), error=error)


# ------------------------------------------------------------------ otter-grader


def prepare_otter(work: Path, tests: list[HiddenTest], bench_python: Path) -> Path:
    """An autograder zip: one test file per exercise, one hidden test case per hidden test."""
    folder = work / "otter"
    if folder.exists():
        shutil.rmtree(folder)
    test_dir = folder / "tests"
    test_dir.mkdir(parents=True)
    by_exercise: dict[str, list[HiddenTest]] = {}
    for test in tests:
        by_exercise.setdefault(test.exercise, []).append(test)
    for number, (exercise, cases) in enumerate(by_exercise.items()):
        lines = ["from otter.test_files import test_case", "", "OK_FORMAT = False", "",
                 f"name = {('q' + exercise.replace('.', '_'))!r}",
                 f"points = {[case.points for case in cases]!r}", ""]
        for index, case in enumerate(cases):
            lines += [f"@test_case(points={case.points!r}, hidden=True)", f"def test_{index:03d}(env):",
                      *("    " + line for line in check_line(case.nodeid).replace("globals()", "env").splitlines()),
                      ""]
        (test_dir / f"q{number:02d}.py").write_text("\n".join(lines))
    copy_public_files(folder)  # at the top: otter copies them into the submission's folder as named
    (folder / "otter_config.json").write_text(json.dumps({"lang": "python"}))
    (folder / "requirements.txt").write_text("")
    files = [name for name in PUBLIC_FILES if (folder / name).exists()]
    _run([str(bench_python), "-m", "otter", "generate", "-t", "tests", "-o", "autograder.zip", "-c",
          "otter_config.json", "-r", "requirements.txt", *files], cwd=folder, env=competitor_env(bench_python))
    return folder / "autograder.zip"


def run_otter(zip_path: Path, paths: list[Path], kind: str, bench_python: Path, env: dict[str, str],
              jobs: int) -> Run:
    out = zip_path.parent / "results" / kind
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    load = os.getloadavg()[0]
    started = time.monotonic()

    def one(path: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
        student = path.parent.parent.name
        target = out / student
        target.mkdir()
        return student, _run([str(bench_python), "-m", "otter", "run", "-a", str(zip_path), "-o", str(target),
                              "--no-logo", str(path)], cwd=target, env=env, check=False)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        finished = list(pool.map(one, paths))
    wall = time.monotonic() - started
    scores, errors = {}, []
    for student, done in finished:
        results = out / student / "results.json"
        if results.exists():
            data = json.loads(results.read_text())
            scores[student] = float(data.get("score", sum(t.get("score", 0) for t in data.get("tests", []))))
        else:
            errors.append(f"{student}: {done.stderr[-500:]}")
    return Run("otter", kind, len(paths), wall, scores, (load, os.getloadavg()[0]), error="\n".join(errors))


# ------------------------------------------------------------------ this project


def run_ours(work: Path, paths: list[Path], kind: str, jobs: int) -> Run:
    out = work / "ours" / kind
    exe = Path(sys.executable).parent / "autograder"
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = _run([str(exe), "grade", SHEET, *map(str, paths), "--out", str(out), "--jobs", str(jobs), "--regrade",
                 "-q", "--device", "cpu"], cwd=ROOT, check=False)
    wall = time.monotonic() - started
    scores = {}
    for path in paths:
        student = path.parent.parent.name
        result = out / f"{student}.json"
        if result.exists():
            scores[student] = float(json.loads(result.read_text())["score"])
    return Run("ours", kind, len(paths), wall, scores, (load, os.getloadavg()[0]),
               error="" if done.returncode == 0 else done.stderr[-2000:])


# ------------------------------------------------------------------ running and reporting


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def harness_seconds(log: Path) -> list[float]:
    if not log.exists():
        return []
    return [json.loads(line)["suite_s"] for line in log.read_text().splitlines() if line.strip()]


def cold_import_s(python: str) -> float:
    started = time.monotonic()
    subprocess.run([python, "-c", COLD_IMPORT], check=True)
    return time.monotonic() - started


def machine() -> str:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return f"{model or platform.processor()}, {os.cpu_count()} cores, {platform.platform()}"


def versions(bench_python: Path) -> str:
    import torch
    import transformers

    query = ("from importlib.metadata import version; "
             "print(' '.join(f'{p} {version(p)}' for p in ('nbgrader', 'otter-grader')))")
    theirs = _run([str(bench_python), "-c", query], cwd=ROOT, check=False).stdout.strip()
    return f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, {theirs}"


def report(runs: list[Run], *, cold: float, jobs: int, bench_python: Path, counts: dict[str, int]) -> str:
    ours = {run.kind: run for run in runs if run.tool == "ours"}
    lines = [
        (f"### {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {sum(counts.values())} notebooks "
        f"({', '.join(f'{v} {k}' for k, v in counts.items())}), --jobs {jobs}"),
        "",
        f"- machine: {machine()}",
        f"- versions: {versions(bench_python)}",
        f"- cold `{COLD_IMPORT}`: {cold:.2f} s",
        "",
        "| tool | kind | n | wall s | s / submission | load avg (start-end) | mean score | in-kernel pytest s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        mean = sum(run.scores.values()) / len(run.scores) if run.scores else float("nan")
        lines.append(f"| {run.tool} | {run.kind} | {run.count} | {run.wall_s:.1f} | {run.per_submission_s:.2f} | "
                     f"{run.load[0]:.1f}-{run.load[1]:.1f} | {mean:.1f} ({len(run.scores)} scored) | "
                     f"{run.harness_s:.1f} |")
    lines += ["", "Ratios: the competitor's time over ours (higher is better for this project). Whole mix: the",
              "competitor's three runs against ours grading all notebooks in one command.", "",
              "| competitor | engine overhead (blank) | end to end (complete) | whole mix |", "|---|---|---|---|"]
    for tool in sorted({run.tool for run in runs} - {"ours"}):
        theirs = {run.kind: run for run in runs if run.tool == tool}
        cells = []
        for kind in ("blank", "complete"):
            if kind in theirs and kind in ours:
                cells.append(f"{theirs[kind].per_submission_s / ours[kind].per_submission_s:.1f}x "
                             f"({theirs[kind].per_submission_s:.2f} s vs {ours[kind].per_submission_s:.2f} s)")
            else:
                cells.append("n/a")
        total_theirs = sum(run.wall_s for run in theirs.values())
        if "mix" in ours and set(theirs) == {run.kind for run in ours.values()} - {"mix"}:
            total_ours = ours["mix"].wall_s  # ours graded the mix in one command
        else:
            total_ours = sum(run.wall_s for kind, run in ours.items() if kind in theirs)
        cells.append(f"{total_theirs / total_ours:.1f}x ({total_theirs:.0f} s vs {total_ours:.0f} s)"
                     if total_ours else "n/a")
        lines.append(f"| {tool} | {' | '.join(cells)} |")
    mismatches = []
    mixed = ours.get("mix")
    for run in runs:
        if mixed and run.tool != "ours":
            for student, score in run.scores.items():
                mine = mixed.scores.get(student)
                if mine is not None and abs(mine - score) > 1e-6:
                    mismatches.append(f"{run.tool}/{student}: {score:g} (ours, one run: {mine:g})")
        if run.tool != "ours" and run.kind in ours:
            for student, score in run.scores.items():
                mine = ours[run.kind].scores.get(student)
                if mine is not None and abs(mine - score) > 1e-6:
                    mismatches.append(f"{run.tool}/{student}: {score:g} (ours {mine:g})")
    lines += ["", "Score differences: " + ("; ".join(mismatches) if mismatches else "none")]
    for run in runs:
        if run.error:
            lines += ["", f"{run.tool} on {run.kind} reported errors:", "```", run.error.strip()[-1500:], "```"]
    return "\n".join(lines) + "\n"


def setup_venv(venv: Path) -> None:
    """The competitors' venv: its own packages first, then ours (torch, transformers, pytest)."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable if not Path("/usr/bin/python3.11").exists() else "/usr/bin/python3.11",
                        "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *COMPETITORS], check=True)
    ours = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    theirs = next((venv / "lib").glob("python3*/site-packages"))
    (theirs / "zz_autograder_fallback.pth").write_text(f"import site; site.addsitedir({str(ours)!r})\n")
    print(f"competitors installed in {venv}; they import torch and transformers from {ours}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="number of notebooks (default 40)")
    parser.add_argument("--mix", help="counts per kind, e.g. complete:14,partial:13,blank:13")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--bench-python", type=Path, default=BENCH_VENV / "bin" / "python")
    parser.add_argument("--tools", default="ours,nbgrader,otter")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which kinds to grade (default all)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel submissions for ours and otter")
    parser.add_argument("--build-only", action="store_true", help="only build the notebooks and bundles")
    parser.add_argument("--setup-venv", action="store_true", help="create the competitors' venv and exit")
    parser.add_argument("--record", type=Path, help="append the report to this markdown file")
    args = parser.parse_args(argv)
    if args.setup_venv:
        setup_venv(BENCH_VENV)
        return
    tools = args.tools.split(",")
    counts = mix_counts(args.n, args.mix)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    built = build_submissions(work, counts)
    print(f"built {sum(map(len, built.values()))} notebooks in {work / 'submitted'}", flush=True)
    competitors = [tool for tool in tools if tool != "ours"]
    if competitors and not args.bench_python.exists():
        raise SystemExit(f"{args.bench_python} is missing: run with --setup-venv first")
    tests = hidden_tests() if competitors else []
    course = prepare_nbgrader(work, tests, built, args.bench_python) if "nbgrader" in tools else None
    zip_path = prepare_otter(work, tests, args.bench_python) if "otter" in tools else None
    if args.build_only:
        return
    cold = cold_import_s(sys.executable)
    runs: list[Run] = []
    for kind in [k for k in args.kinds.split(",") if built.get(k)]:
        for tool in tools:
            log = work / f"harness-{tool}-{kind}.jsonl"
            log.unlink(missing_ok=True)
            tool_env = competitor_env(args.bench_python, AG_BENCH_TIMINGS=str(log))
            if tool == "ours":
                run = run_ours(work, built[kind], kind, args.jobs)
            elif tool == "nbgrader" and course is not None:
                run = run_nbgrader(course, kind, len(built[kind]), args.bench_python, tool_env)
            elif tool == "otter" and zip_path is not None:
                run = run_otter(zip_path, built[kind], kind, args.bench_python, tool_env, args.jobs)
            else:
                raise SystemExit(f"unknown tool {tool!r}")
            run.harness_s = sum(harness_seconds(log))
            runs.append(run)
            print(f"{tool:9s} {kind:9s} n={run.count:3d} wall {run.wall_s:7.1f} s  "
                  f"{run.per_submission_s:6.2f} s/submission", flush=True)
    kinds_run = {run.kind for run in runs}
    if "ours" in tools and len(kinds_run) > 1:  # what a TA runs: the whole class in one command
        everything = [path for kind in KINDS if kind in kinds_run for path in built[kind]]
        mix = run_ours(work, everything, "mix", args.jobs)
        runs.append(mix)
        print(f"ours      mix       n={mix.count:3d} wall {mix.wall_s:7.1f} s  {mix.per_submission_s:6.2f} s/submission",
              flush=True)
    text = report(runs, cold=cold, jobs=args.jobs, bench_python=args.bench_python, counts=counts)
    print(text)
    if args.record:
        with args.record.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
