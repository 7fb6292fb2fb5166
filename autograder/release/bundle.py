"""The student bundle: the public assignment folder, the notebook cleaned, a README; and the leak scan.

The bundle holds the sheet's assignment folder (notebook, public checks, data, the given module),
the public-check runner its checks import (:mod:`autograder.release.standalone`: the notebook works
in a kernel without the ``autograder`` package) and nothing else: caches, checkpoints, dot files and symbolic links that leave the folder are left
out, notebook outputs are cleared and cells tagged ``staff-only`` dropped. The sheet's master and
any ``build_*.py`` script are refused (staff code: a student who runs a build script overwrites
their own notebook). The layout is
``<out>/<sheet>/`` or, for nbgrader's exchange, ``<out>/release/<sheet>/``.

The scan (:func:`scan_bundle`) looks for any *distinctive* line of the hidden suite or the reference
in the bundle: a line (stripped, and without a leading ``#``, so a commented-out copy counts) of at
least 25 characters, with a letter or digit, that the public source files (the assignment folder as
authored) do not also contain. It also looks for the judge's data: every record of a JSON or JSON
Lines file of the hidden suite (a question, a name: see :func:`data_records`) found in a JSON or
JSON Lines file of the bundle is a leak, whatever its line layout, with no public baseline.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.authoring.reference import reference_modules
from autograder.core.config import CourseConfig, SheetConfig
from autograder.release import standalone

MIN_LINE = 25
SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis", ".git", ".DS_Store"}
STAFF_TAG = "staff-only"


def _skipped(relative: Path) -> bool:
    return any(part in SKIP_NAMES or part.startswith(".") for part in relative.parts) or relative.suffix == ".pyc"


def public_files(config: CourseConfig, sheet: SheetConfig) -> tuple[list[Path], list[str]]:
    """Files of the assignment folder that go into the bundle, and what was refused on the way."""
    root = config.resolve(sheet.assignment_dir)
    files, refused = [], []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if _skipped(relative) or path.is_dir():
            continue
        if path.is_symlink():
            try:
                path.resolve().relative_to(root.resolve())
            except ValueError:
                refused.append(f"{relative} is a link out of the assignment folder (to {path.resolve()})")
                continue
        if path.is_file():
            staff_only = _staff_only(path, config, sheet)
            if staff_only:
                refused.append(f"{relative} {staff_only}")
                continue
            files.append(path)
    return files, refused


def _staff_only(path: Path, config: CourseConfig, sheet: SheetConfig) -> str:
    """Why a file of the assignment folder must not reach students ("" when it may)."""
    if sheet.master is not None and path.resolve() == config.resolve(sheet.master).resolve():
        return "is the sheet's master: keep it in sheets/<sheet>/, outside the assignment folder"
    if path.name.startswith("build_") and path.suffix == ".py":
        return ("is a build script: staff code that would overwrite a student's notebook; build the "
                "notebook with `autograder assign` and remove the script")
    return ""


def secret_files(config: CourseConfig, sheet: SheetConfig) -> list[Path]:
    hidden = config.resolve(sheet.hidden_dir)
    found = [p for p in hidden.rglob("*") if p.is_file() and not _skipped(p.relative_to(hidden))] if hidden.is_dir() else []
    reference = [path for _, path in reference_modules(config, sheet).values()]
    top = config.root.joinpath(*sheet.reference_module.split("."))
    if top.is_dir():  # data files shipped with the reference count too
        reference += [p for p in top.rglob("*") if p.is_file() and not _skipped(p.relative_to(top))]
    return sorted(set(found + reference))


# --------------------------------------------------------------------------- text of files


def text_lines(path: Path) -> list[str]:
    """The lines a person could read in ``path``: notebook cells and outputs, or the text; binary gives none."""
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        return []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(text)
        except ValueError:
            return text.splitlines()
        chunks: list[str] = []
        for cell in notebook.get("cells", []):
            chunks.append(_joined(cell.get("source", "")))
            for output in cell.get("outputs", []) or []:
                chunks.append(_joined(output.get("text", "")))
                for value in (output.get("data") or {}).values():
                    chunks.append(_joined(value) if isinstance(value, (str, list)) else "")
        return "\n".join(chunks).splitlines()
    return text.splitlines()


def _joined(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _key(line: str) -> str:
    """A line as compared: stripped, a comment's ``#`` dropped (a commented-out copy still leaks)."""
    return line.strip().lstrip("#").strip()


def _distinctive(line: str) -> bool:
    return len(line) >= MIN_LINE and any(ch.isalnum() for ch in line)


def distinctive_lines(config: CourseConfig, sheet: SheetConfig) -> dict[str, str]:
    """``{line: "file:line"}`` for the secret lines that no public source file also contains."""
    public, _ = public_files(config, sheet)
    baseline = {_key(line) for path in public for line in text_lines(path)}
    baseline |= {_key(line) for line in standalone.runner_source().splitlines()}  # shipped too: public code
    found: dict[str, str] = {}
    for path in secret_files(config, sheet):
        for number, line in enumerate(text_lines(path), 1):
            key = _key(line)
            if _distinctive(key) and key not in baseline:
                found.setdefault(key, f"{_shown(path, config)}:{number}")
    return found


def _shown(path: Path, config: CourseConfig) -> str:
    try:
        return str(path.resolve().relative_to(config.root.resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Leak:
    file: str
    line: int
    origin: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} repeats {self.origin}"


DATA_SUFFIXES = (".json", ".jsonl")


def _records(value: object, top: bool = True) -> set[str]:
    """A JSON value's records: objects (without an ``id``) and strings, lists and ``{key: [...]}`` opened."""
    if isinstance(value, dict):
        if top and value and all(isinstance(v, list) for v in value.values()):  # {category: [name, ...]}
            return {r for v in value.values() for r in _records(v, False)}
        return {json.dumps({k: v for k, v in value.items() if k != "id"}, sort_keys=True)}
    if isinstance(value, list):
        return {r for v in value for r in _records(v, False)}
    if isinstance(value, str) and value.strip():
        return {json.dumps(value)}
    return set()


def data_records(path: Path) -> set[str]:
    """The records of a JSON file, or of each line of a JSON Lines file (none when it does not parse)."""
    try:
        text = path.read_text(encoding="utf-8")
        values = [json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl" \
            else [json.loads(text)]
    except (UnicodeDecodeError, ValueError):
        return set()
    return {r for value in values for r in _records(value)}


def scan_data(bundle: Path, config: CourseConfig, sheet: SheetConfig) -> list[Leak]:
    """Each bundle data file that holds a record of the hidden suite's data files (the judge's held-out data)."""
    secret: dict[str, str] = {}
    for path in secret_files(config, sheet):
        if path.suffix in DATA_SUFFIXES and _inside_folder(path, config.resolve(sheet.hidden_dir)):
            for record in data_records(path):
                secret.setdefault(record, _shown(path, config))
    leaks = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES):
        found = sorted(data_records(path) & set(secret))
        if found:
            leaks.append(Leak(str(path.relative_to(bundle)), 0,
                              f"{len(found)} record(s) of {secret[found[0]]}, e.g. {found[0][:80]}"))
    return leaks


def _inside_folder(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def scan_bundle(bundle: Path, config: CourseConfig, sheet: SheetConfig) -> list[Leak]:
    """Every line of the bundle that repeats a distinctive line of the hidden suite or the reference,
    and every bundle data file that holds a record of the judge's data."""
    secret = distinctive_lines(config, sheet)
    secret_hashes = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in secret_files(config, sheet)}
    leaks = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        relative = str(path.relative_to(bundle))
        twin = secret_hashes.get(hashlib.sha256(path.read_bytes()).hexdigest())
        if twin is not None:
            leaks.append(Leak(relative, 0, f"the whole of {_shown(twin, config)}"))
            continue
        for number, line in enumerate(text_lines(path), 1):
            origin = secret.get(_key(line))
            if origin is not None:
                leaks.append(Leak(relative, number, origin))
    return leaks + scan_data(bundle, config, sheet)


# --------------------------------------------------------------------------- building


def clean_notebook(source: Path, target: Path, sheet: SheetConfig) -> None:
    """Outputs and execution counts cleared, ``staff-only`` cells dropped, the sheet (not its master) named
    in the metadata."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    notebook.cells = [c for c in notebook.cells if STAFF_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.setdefault("autograder", {})["sheet"] = sheet.name
    notebook.metadata["autograder"].pop("master", None)  # staff's side: where `assign` built it from
    nbformat.write(notebook, target)


def readme(config: CourseConfig, sheet: SheetConfig, files: list[str], packages: list[str] | None = None) -> str:
    deadline = sheet.aware_deadline()
    lines = [f"# {sheet.title or sheet.name}", "", f"Course: {config.course}. Sheet id: `{sheet.name}`.", "",
             "## What is here", ""]
    lines += [f"- `{name}`" for name in files]
    lines += ["", "## How to work", "",
              (f"Open `{sheet.notebook}`, fill in every function that raises `NotImplementedError` and "
               "every constant that is `None`. Keep the names and signatures as given: the grader calls them."),
              ""]
    if sheet.public_checks:
        lines += [("Run the public checks in the notebook with `check()` (or `check(\"<exercise>\")`). They "
                   "only test the form of your answers (types, shapes); they are not your grade. They ship with "
                   f"this folder (`{standalone.FILE}` is the course's own check runner), so they give the same "
                   "verdicts anywhere; on the course's JupyterHub, `autograder check "
                   f"{sheet.name} {sheet.notebook}` runs them from a terminal too."), ""]
    lines += ["## Working elsewhere (Colab, your laptop)", "",
              ("Everything the notebook needs is on the course's JupyterHub. In any other Python 3.11+ "
               "environment, install it into the notebook's kernel with one command:"), "", "```",
              f"pip install {' '.join(packages)}" if packages else "pip install jupyter", "```", "",
              "then open the notebook from this folder (its data and modules are read from here).", ""]
    lines += ["## Grading", "",
              ("After you submit, hidden tests check the behaviour of your code in a sandbox; the "
               "feedback page shows the points per exercise and what to look at."), "",
              "| exercise | points |", "|---|---:|"]
    lines += [f"| {exercise} | {points:g} |" for exercise, points in sheet.exercise_points().items()]
    lines += [f"| total | {sheet.total_points:g} |", ""]
    if sheet.written:
        lines += [(f"Of these, {sheet.written_points:g} points are written answers (the notebook's *Your answer* "
                   "cells), graded by course staff: until they are, your grade is provisional."), ""]
    if deadline is not None:
        lines += ["## Deadline", "", f"{deadline.strftime('%Y-%m-%d %H:%M')} ({sheet.timezone})"
                  + (f", with {sheet.grace_minutes} minutes' grace" if sheet.grace_minutes else "") + "."]
        if sheet.late_penalty == "per_day" and sheet.late_penalty_per_day:
            lines.append(f"Late submissions lose {sheet.late_penalty_per_day:.0%} of their score per day "
                         "late (each started day counts).")
        lines += [_counted(sheet), ""]
    return "\n".join(lines)


def _counted(sheet: SheetConfig) -> str:
    return {
        "latest_before_deadline": "Your latest submission before the deadline counts.",
        "latest": "Your latest submission counts, also when it is late.",
        "best": "Your best submission (after any late penalty) counts.",
    }[sheet.counted_submission]


def build_bundle(config: CourseConfig, sheet: SheetConfig, dest: Path, *, nbgrader: bool = False) -> tuple[Path, list[str]]:
    """Write the bundle under ``dest``; returns its folder and anything refused from the assignment folder."""
    files, refused = public_files(config, sheet)
    root = config.resolve(sheet.assignment_dir)
    target = dest / "release" / sheet.name if nbgrader else dest / sheet.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    names = []
    for path in files:
        relative = path.relative_to(root)
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            clean_notebook(path, out, sheet)
        else:
            shutil.copyfile(path, out)
        names.append(str(relative))
    refused += standalone.make_standalone(target)
    if (target / standalone.FILE).exists():
        names.append(standalone.FILE)
    if not (target / "README.md").exists():  # an authored README wins over the generated one
        packages = standalone.requirements(sorted(target.rglob("*")), target)
        (target / "README.md").write_text(readme(config, sheet, names, packages), encoding="utf-8")
    return target, refused
