"""Grade the reference and the example notebooks on the CPU and on the GPU; scores must be equal.

For a machine with an NVIDIA GPU, its own torch and transformers, and no network:

    python benchmarks/gpu_check.py                # from the project root, with autograder installed
    python benchmarks/gpu_check.py --jobs 2 --out build/gpu-check

It writes the reference as a submission (the release gate's wrapped reference) next to copies of
``examples/submissions/*.ipynb``, grades them with ``--device cpu`` and then ``--device cuda``
(``--regrade``, one worker each unless ``--jobs``), prints per-submission scores and times for both,
the tests whose outcome differs, and the total wall times. Exit status 0 when every score and every
test's status agree and the GPU run really used the GPU, 1 otherwise, 2 when there is no GPU.
This script itself never touches CUDA: the grading workers do, in their sandboxes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHEET = "sheet_3_2"
CLI = "from autograder.cli.main import app; app()"


def write_submissions(folder: Path) -> list[Path]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    paths = []
    try:
        from autograder.core.config import load_config
        from autograder.release.wrap import wrapped_reference

        config = load_config(ROOT / "course_config.py")
        reference = folder / "reference.py"
        reference.write_text(wrapped_reference(config, config.sheet(SHEET)), encoding="utf-8")
        paths.append(reference)
    except Exception as exc:  # noqa: BLE001 - the examples still tell a lot
        print(f"warning: could not build the reference submission ({type(exc).__name__}: {exc})")
    for example in sorted((ROOT / "examples" / "submissions").glob("*.ipynb")):
        shutil.copy(example, folder / example.name)
        paths.append(folder / example.name)
    return paths


def grade(paths: list[Path], out: Path, device: str, jobs: int) -> tuple[float, dict[str, dict]]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CLI, "grade", SHEET, *map(str, paths), "--out", str(out), "--device", device,
         "--jobs", str(jobs), "--regrade", "-q"],
        cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1"), capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode not in (0, 4):
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"grading on {device} failed (exit code {done.returncode})")
    results = {}
    for path in paths:
        result = out / f"{path.stem}.json"
        if result.exists():
            results[path.stem] = json.loads(result.read_text())
    return wall, results


def compare(cpu: dict[str, dict], gpu: dict[str, dict]) -> list[str]:
    problems = []
    for student in sorted(set(cpu) | set(gpu)):
        if student not in cpu or student not in gpu:
            problems.append(f"{student}: no result on {'the GPU' if student in cpu else 'the CPU'}")
            continue
        a, b = cpu[student], gpu[student]
        if abs(a["score"] - b["score"]) > 1e-9:
            problems.append(f"{student}: score {a['score']:g} on the CPU, {b['score']:g} on the GPU")
        cases_a = {case["name"]: case["status"] for case in a.get("tests", [])}
        cases_b = {case["name"]: case["status"] for case in b.get("tests", [])}
        for name in sorted(set(cases_a) | set(cases_b)):
            if cases_a.get(name) != cases_b.get(name):
                problems.append(f"{student}/{name}: {cases_a.get(name)} on the CPU, {cases_b.get(name)} on the GPU")
        for result, device in ((a, "cpu"), (b, "cuda")):
            if result.get("grader_error"):
                problems.append(f"{student} on {device}: grader error: {result['grader_error'][:300]}")
        if b.get("gradable", True) and b.get("extra_data", {}).get("device") != "cuda":
            problems.append(f"{student}: the GPU run reports device {b.get('extra_data', {}).get('device')!r}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "gpu-check")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    from autograder.grading.pool import discover_gpus

    gpus = discover_gpus()
    if not gpus:
        print("no NVIDIA GPU found (nothing in /proc/driver/nvidia/gpus, or CUDA_VISIBLE_DEVICES is empty)")
        raise SystemExit(2)
    import torch
    import transformers

    print(f"GPUs: {', '.join(gpus)}; torch {torch.__version__}, transformers {transformers.__version__}")
    paths = write_submissions(args.out / "submissions")
    runs = {}
    for device in ("cpu", "cuda"):
        wall, results = grade(paths, args.out / device, device, args.jobs)
        runs[device] = (wall, results)
        print(f"{device:4s}: {len(results)} submission(s) in {wall:.1f} s (workers' start-up included)")
    print(f"\n{'submission':14s} {'cpu score':>9s} {'gpu score':>9s} {'cpu s':>8s} {'gpu s':>8s}  slowest tests (cpu s / gpu s)")
    for student in sorted(runs["cpu"][1]):
        a, b = runs["cpu"][1][student], runs["cuda"][1].get(student, {})
        marked = [(case["name"], case.get("duration_s") or 0) for case in a.get("tests", [])]
        gpu_cases = {case["name"]: case.get("duration_s") or 0 for case in b.get("tests", [])}
        slowest = sorted(marked, key=lambda item: -item[1])[:3]
        detail = ", ".join(f"{name} {cpu_s:.1f}/{gpu_cases.get(name, 0):.1f}" for name, cpu_s in slowest)
        print(f"{student:14s} {a['score']:9g} {b.get('score', float('nan')):9g} {a['execution_time']:8.1f} "
              f"{b.get('execution_time', float('nan')):8.1f}  {detail}")
    problems = compare(runs["cpu"][1], runs["cuda"][1])
    print("\n" + ("CPU and GPU agree." if not problems else "DIFFERENCES:\n  " + "\n  ".join(problems)))
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
