"""A class of mixed Sheet 3.2 notebooks graded by this project (--jobs 2), nbgrader and otter-grader.

    .venv/bin/python benchmarks/compare_graders.py --setup-venv      # once: the peers' venv
    .venv/bin/python benchmarks/class_scale.py --record docs/benchmarks.md

The class (``--n``, default 40): complete notebooks, partial ones, blank ones and the correct
alternatives (tests/alternatives/sheet_3_2) as notebooks (the complete example's cells plus the
alternative's cell), each a different student in nbgrader's ``submitted/<student>/sheet_3_2/``
layout, each with its own content (a last cell names the student). All three tools grade the same
notebooks in the same run, one after another: ours with ``autograder grade --jobs 2``, otter with
two ``otter run`` at a time, nbgrader with ``nbgrader autograde`` (sequential); the hidden checks
are the same (benchmarks/compare_graders.py says how the peers run them). Each command's CPU time
is measured with everything it starts, sandboxes and kernels included (benchmarks/cpu_meter.py).

Also measured: ours on 1 and on 3 complete notebooks (``--jobs 1``), so that the CPU of one complete
notebook, worker start-up excluded, is their difference / 2. The report projects a class of 200:
start-up + 200 x (CPU per student of this class) / workers, for 1 and 2 workers on this 2-core
machine and per added worker beyond (each worker a core). The load average is recorded: other
work on the machine inflates wall times (CPU times much less).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_graders as cg
from cpu_meter import CpuUsage, run_measured

ROOT = cg.ROOT
ALTERNATIVES = ROOT / "tests" / "alternatives" / cg.SHEET
#: share of each kind in the class (the rest of --n goes to complete notebooks)
SHARES = {"partial": 0.2, "blank": 0.15, "alternative": 0.375}  # 15 of 40: every alternative


@dataclass
class Graded:
    tool: str
    n: int
    usage: CpuUsage
    scores: dict[str, float]
    load: tuple[float, float]


def class_mix(n: int) -> dict[str, int]:
    counts = {kind: int(n * share) for kind, share in SHARES.items()}
    counts["complete"] = n - sum(counts.values())
    return counts


def build_class(work: Path, n: int) -> dict[str, list[Path]]:
    """``work/submitted/<student>/sheet_3_2/sheet_3_2.ipynb`` per student, grouped by kind."""
    submitted = work / "submitted"
    shutil.rmtree(submitted, ignore_errors=True)
    templates = {kind: nbformat.read(cg.EXAMPLES / f"{kind}.ipynb", as_version=4) for kind in cg.KINDS}
    complete_code = [c.source for c in templates["complete"].cells if c.cell_type == "code"]
    alternatives = sorted(ALTERNATIVES.glob("*.py"))
    built: dict[str, list[Path]] = {}
    for kind, count in class_mix(n).items():
        for index in range(count):
            if kind == "alternative":
                alt = alternatives[index % len(alternatives)]
                notebook = nbformat.v4.new_notebook()
                notebook.cells = [nbformat.v4.new_code_cell(s) for s in complete_code + [alt.read_text()]]
                student = f"alt{index:02d}-{alt.stem.replace('_', '-')}"
            else:
                notebook = nbformat.from_dict(json.loads(json.dumps(templates[kind])))
                student = f"{kind}{index:02d}"
            notebook.cells.append(nbformat.v4.new_markdown_cell(f"Submitted by {student}."))
            folder = submitted / student / cg.SHEET
            folder.mkdir(parents=True)
            path = folder / f"{cg.SHEET}.ipynb"
            nbformat.write(notebook, path)
            cg.copy_public_files(folder)
            built.setdefault(kind, []).append(path)
    return built


def _student(path: Path) -> str:
    return path.parent.parent.name


def grade_ours(work: Path, paths: list[Path], label: str, jobs: int) -> Graded:
    out = work / "ours" / label
    load = os.getloadavg()[0]
    usage = run_measured([str(Path(sys.executable).parent / "autograder"), "grade", cg.SHEET, *map(str, paths),
                          "--out", str(out), "--jobs", str(jobs), "--regrade", "-q", "--device", "cpu"],
                         cwd=ROOT, capture_output=True, text=True)
    scores = {}
    for path in paths:
        result = out / f"{_student(path)}.json"
        if result.exists():
            scores[_student(path)] = float(json.loads(result.read_text())["score"])
    return Graded(f"ours --jobs {jobs}", len(paths), usage, scores, (load, os.getloadavg()[0]))


def grade_nbgrader(course: Path, n: int, bench_python: Path) -> Graded:
    shutil.rmtree(course / "autograded", ignore_errors=True)
    load = os.getloadavg()[0]
    env = cg.competitor_env(bench_python)
    usage = run_measured([str(bench_python), "-m", "nbgrader", "autograde", cg.SHEET, "--force"], cwd=course,
                         env=env, capture_output=True, text=True)
    query = ("import json\nfrom nbgrader.api import Gradebook\n"
             f"gb = Gradebook('sqlite:///{course}/gradebook.db')\n"
             f"print(json.dumps({{s.student.id: s.score for s in gb.find_assignment({cg.SHEET!r}).submissions}}))\n"
             "gb.close()\n")
    out = cg._run([str(bench_python), "-c", query], cwd=course, env=env).stdout.strip().splitlines()[-1]
    return Graded("nbgrader", n, usage, json.loads(out), (load, os.getloadavg()[0]))


def grade_otter(zip_path: Path, paths: list[Path], bench_python: Path, jobs: int) -> Graded:
    """``otter run`` per notebook, ``jobs`` at a time, all under one measured parent process."""
    out = zip_path.parent / "results" / "class"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    listing = out / "paths.json"
    listing.write_text(json.dumps([str(p) for p in paths]))
    driver = (
        "import json, subprocess, sys\nfrom concurrent.futures import ThreadPoolExecutor\nfrom pathlib import Path\n"
        f"paths = json.loads(Path({str(listing)!r}).read_text())\n"
        "def one(p):\n"
        f"    target = Path({str(out)!r}) / Path(p).parent.parent.name\n"
        "    target.mkdir()\n"
        f"    subprocess.run([{str(bench_python)!r}, '-m', 'otter', 'run', '-a', {str(zip_path)!r}, '-o', str(target),"
        " '--no-logo', p], cwd=target, capture_output=True)\n"
        f"with ThreadPoolExecutor({jobs}) as pool:\n    list(pool.map(one, paths))\n")
    load = os.getloadavg()[0]
    usage = run_measured([str(bench_python), "-c", driver], cwd=out, env=cg.competitor_env(bench_python),
                         capture_output=True, text=True)
    scores = {}
    for path in paths:
        results = out / _student(path) / "results.json"
        if results.exists():
            data = json.loads(results.read_text())
            scores[_student(path)] = float(data.get("score", sum(t.get("score", 0) for t in data.get("tests", []))))
    return Graded(f"otter ({jobs} at a time)", len(paths), usage, scores, (load, os.getloadavg()[0]))


def report(runs: list[Graded], single: Graded, triple: Graded, counts: dict[str, int], uptime: list[str]) -> str:
    ours = runs[0]
    per_complete = (triple.usage.cpu_s - single.usage.cpu_s) / 2
    startup_cpu = max(0.0, single.usage.cpu_s - per_complete)
    startup_wall = max(0.0, single.usage.wall_s - (triple.usage.wall_s - single.usage.wall_s) / 2)
    per_student = max(0.0, ours.usage.cpu_s - 2 * startup_cpu) / ours.n  # --jobs 2: two worker start-ups
    lines = [
        (f"### {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: a class of {ours.n} "
         f"({', '.join(f'{v} {k}' for k, v in counts.items())})"),
        "",
        f"- machine: {cg.machine()}; CPU measured with {ours.usage.method}",
        f"- `uptime` before and after: `{uptime[0]}` / `{uptime[1]}` (other engineers shared the 2 cores)",
        "",
        "| tool | notebooks | wall s | CPU s | CPU s / notebook | load avg (start-end) | mean score |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for run in [*runs, single, triple]:
        mean = sum(run.scores.values()) / len(run.scores) if run.scores else float("nan")
        lines.append(f"| {run.tool} | {run.n} | {run.usage.wall_s:.1f} | {run.usage.cpu_s:.1f} | "
                     f"{run.usage.cpu_s / max(1, run.n):.2f} | {run.load[0]:.1f}-{run.load[1]:.1f} | "
                     f"{mean:.1f} ({len(run.scores)} scored) |")
    lines += ["", (f"- **CPU per complete notebook, worker start-up excluded: {per_complete:.2f} s** "
                   f"((3 complete - 1 complete) / 2; start-up {startup_cpu:.1f} CPU-s, {startup_wall:.1f} s wall)"),
              f"- CPU per student of this class: {per_student:.2f} s"]
    for workers in (1, 2, 4, 8):
        minutes = (startup_wall + 200 * per_student / workers) / 60
        complete = (startup_wall + 200 * per_complete / workers) / 60
        where = "this machine" if workers <= 2 else f"{workers} cores"
        lines.append(f"- 200 students, {workers} worker(s) ({where}): about {minutes:.1f} min for this mix, "
                     f"{complete:.1f} min if all 200 are complete")
    lines += ["", "| peer | wall, peer / ours | CPU, peer / ours | scores equal to ours |", "|---|---:|---:|---|"]
    for run in runs[1:]:
        same = [s for s in run.scores if s in ours.scores and abs(run.scores[s] - ours.scores[s]) < 1e-6]
        lines.append(f"| {run.tool} | {run.usage.wall_s / ours.usage.wall_s:.1f}x | "
                     f"{run.usage.cpu_s / max(1e-9, ours.usage.cpu_s):.1f}x | {len(same)} of {len(run.scores)} |")
        differ = sorted(set(run.scores) - set(same))
        if differ:
            lines.append(f"|  | differing: {', '.join(f'{s} {run.scores[s]:g} vs {ours.scores.get(s)}' for s in differ[:8])} | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="students in the class (default 40)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "class-scale")
    parser.add_argument("--bench-python", type=Path, default=cg.BENCH_VENV / "bin" / "python")
    parser.add_argument("--tools", default="ours,otter,nbgrader")
    parser.add_argument("--record", type=Path, help="append the report to this markdown file")
    args = parser.parse_args(argv)
    tools = args.tools.split(",")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    built = build_class(work, args.n)
    paths = [p for kind in built for p in built[kind]]
    peers = [t for t in tools if t != "ours"]
    if peers and not args.bench_python.exists():
        raise SystemExit(f"{args.bench_python} is missing: run benchmarks/compare_graders.py --setup-venv first")
    tests = cg.hidden_tests() if peers else []
    course = cg.prepare_nbgrader(work, tests, built, args.bench_python) if "nbgrader" in tools else None
    zip_path = cg.prepare_otter(work, tests, args.bench_python) if "otter" in tools else None
    uptime = [os.popen("uptime").read().strip()]
    print(f"a class of {len(paths)}: {class_mix(args.n)}; {uptime[0]}", flush=True)
    runs = [grade_ours(work, paths, "class", 2)]
    print(f"ours: {runs[0].usage}", flush=True)
    if zip_path is not None:
        runs.append(grade_otter(zip_path, paths, args.bench_python, 2))
        print(f"otter: {runs[-1].usage}", flush=True)
    if course is not None:
        runs.append(grade_nbgrader(course, len(paths), args.bench_python))
        print(f"nbgrader: {runs[-1].usage}", flush=True)
    complete = built["complete"][:3]
    single = grade_ours(work, complete[:1], "complete1", 1)
    single.tool = "ours --jobs 1, 1 complete"
    triple = grade_ours(work, complete, "complete3", 1)
    triple.tool = "ours --jobs 1, 3 complete"
    uptime.append(os.popen("uptime").read().strip())
    text = report(runs, single, triple, class_mix(args.n), uptime)
    print(text)
    if args.record:
        with args.record.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
