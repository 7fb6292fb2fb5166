"""The release gate: a sheet is released only when its parts are shown to fit together.

Checks, in this order (static ones first, so a broken sheet is refused in seconds):

1. layout: the hidden suite and the reference lie outside the assignment folder;
2. stubs: the notebook defines every name of the reference's contract, with the same kind and
   signature (both parsed with ``ast``; the notebook is never imported);
3. points, exercise ids, public checks (:mod:`autograder.release.consistency`): the config's points
   match the hidden tests' markers, every part names the config's exercises, every public check
   names what the sheet defines; each problem once, before anything is graded;
4. variants: the sheet has known-wrong variants (``tests/variants/<sheet>/`` or ``variants/<sheet>/``
   under the course root, or ``--variants``);
5. through the real grading path (:func:`autograder.grading.batch.grade_batch`, warm workers, sandbox):
   the reference, wrapped as a submission, scores full marks; the untouched notebook is gradable and
   scores 0; every variant is gradable, loses points, and every hidden test fails for at least one
   variant (a test nothing fails cannot tell right from wrong); every known-correct alternative
   (``tests/alternatives/<sheet>/`` or ``alternatives/<sheet>/``: the reference with some items
   written another legitimate way, graded as a notebook) scores full marks (a test one fails is
   unfair to correct work).

Each thing is graded once: the training checks of an exercise a variant neither declares nor reaches
(:mod:`autograder.release.reach`) are not run for it; the reference's outcome stands in for them, the
variant's result lists them in ``extra_data.reused_from_reference`` and the report says so.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.authoring.reference import reference_modules
from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.results import SubmissionResult, write_result
from autograder.release.consistency import check_consistency
from autograder.release.reach import hidden_tests, reusable_training_checks, uses_graph
from autograder.release.signatures import check_stubs
from autograder.release.wrap import (
    notebook_from_cells,
    overlay,
    overlay_cells,
    variant_cells,
    wrapped_reference,
)

if TYPE_CHECKING:
    from autograder.grading.pool import Grader

REFERENCE_ID = "gate-reference"
NOTEBOOK_ID = "gate-untouched-notebook"
VARIANT_PREFIX = "variant-"
ALTERNATIVE_PREFIX = "alternative-"


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


@dataclass
class GateReport:
    sheet: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    catchers: dict[str, list[str]] = field(default_factory=dict)
    graded: bool = False
    results_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def add(self, check: str, ok: bool, detail: str) -> None:
        self.findings.append(Finding(check, ok, detail))

    def render(self) -> str:
        verdict = "passed" if self.ok else f"REFUSED ({len(self.problems)} problem(s))"
        lines = [f"release gate for {self.sheet}: {verdict}"]
        for finding in self.findings:
            mark = "ok  " if finding.ok else "FAIL"
            detail = finding.detail.replace("\n", "\n        ")
            lines.append(f"  {mark} {finding.check}: {detail}")
        if not self.graded:
            lines.append("  (the grading checks did not run: fix the problems above first)")
        if self.catchers:
            lines.append("which known-wrong variants fail each hidden test:")
            for test, variants in self.catchers.items():
                lines.append(f"  {test}: {', '.join(variants) if variants else 'NOTHING FAILS IT'}")
        lines += [f"  note: {note}" for note in self.notes]
        if self.results_dir is not None:
            lines.append(f"graded results (staff only): {self.results_dir}")
        return "\n".join(lines)


def default_variants_dir(config: CourseConfig, sheet: SheetConfig, kind: str = "variants") -> Path | None:
    for candidate in (config.root / "tests" / kind / sheet.name, config.root / kind / sheet.name):
        if candidate.is_dir():
            return candidate
    return None


def variant_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".py", ".ipynb") and p.is_file()
                  and not p.name.startswith(("_", ".")))


# --------------------------------------------------------------------------- static checks


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def static_checks(config: CourseConfig, sheet: SheetConfig, report: GateReport, variants: Sequence[Path],
                  variants_dir: Path | None) -> None:
    assignment = config.resolve(sheet.assignment_dir)
    secret = [config.resolve(sheet.hidden_dir), *(path for _, path in reference_modules(config, sheet).values())]
    inside = [str(p) for p in secret if _inside(p, assignment)]
    report.add("layout", not inside, "the hidden suite and the reference lie outside the assignment folder"
               if not inside else f"inside the public assignment folder: {', '.join(inside)}")
    problems, notes, size = check_stubs(config, sheet)
    report.add("stubs", not problems, f"the notebook's names and signatures match the reference's contract "
               f"({size} names)" if not problems else "\n".join(problems))
    report.notes.extend(notes)
    agreed = check_consistency(config, sheet)
    report.add("points", not agreed.points, "the hidden tests' points markers add up to the course config's "
               f"points ({sheet.total_points:g} in total)" if not agreed.points else "\n".join(agreed.points))
    report.add("exercise ids", not agreed.exercise_ids, "the config, hidden tests, contract, master and public "
               "checks name the same exercises" if not agreed.exercise_ids else "\n".join(agreed.exercise_ids))
    report.add("public checks", not agreed.public_checks, "every public check is listed and uses names the "
               "sheet defines" if not agreed.public_checks else "\n".join(agreed.public_checks))
    report.notes.extend(agreed.notes)
    where = str(variants_dir) if variants_dir else f"tests/variants/{sheet.name}/ (none found)"
    report.add("variants", bool(variants), f"{len(variants)} known-wrong variant(s) in {where}" if variants else
               f"no known-wrong variants in {where}; add .py or .ipynb files there or pass --variants")


# --------------------------------------------------------------------------- grading checks


def stage_submissions(config: CourseConfig, sheet: SheetConfig, variants: Sequence[Path], folder: Path,
                      alternatives: Sequence[Path] = ()) -> list[Path]:
    """The reference, each variant and alternative over it (``.py``), and the untouched notebook."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    reference = folder / f"{REFERENCE_ID}.py"
    reference.write_text(wrapped_reference(config, sheet), encoding="utf-8")
    notebook = folder / f"{NOTEBOOK_ID}.ipynb"
    shutil.copyfile(config.resolve(sheet.assignment_dir) / sheet.notebook, notebook)
    staged = [reference, notebook]
    for path in variants:
        target = folder / f"{VARIANT_PREFIX}{path.stem}.py"
        target.write_text(overlay(config, sheet, variant_cells(path)), encoding="utf-8")
        staged.append(target)
    for path in alternatives:  # as a student hands work in: a notebook
        target = folder / f"{ALTERNATIVE_PREFIX}{path.stem}.ipynb"
        target.write_text(notebook_from_cells(overlay_cells(config, sheet, variant_cells(path))), encoding="utf-8")
        staged.append(target)
    return staged


def training_reuse(config: CourseConfig, sheet: SheetConfig, variants: Sequence[Path]) -> dict[str, list[str]]:
    """Per variant's student id, the training checks it cannot change (see :mod:`autograder.release.reach`)."""
    tests = hidden_tests(config.resolve(sheet.hidden_dir))
    graph = uses_graph(path.read_text(encoding="utf-8") for _, path in reference_modules(config, sheet).values())
    reuse = {}
    for path in variants:
        own = {*declared(path, "exercise"), *declared(path, "also")} if declared(path, "exercise") else set()
        skipped = reusable_training_checks(tests, graph, variant_cells(path), own)
        if skipped:
            reuse[f"{VARIANT_PREFIX}{path.stem}"] = skipped
    return reuse


def with_reference_outcomes(result: SubmissionResult, ref: SubmissionResult, skipped: Sequence[str]) -> SubmissionResult:
    """``result`` (graded without ``skipped``) completed with the reference's outcome of those tests."""
    have = {case.nodeid for case in result.tests}
    wanted = set(skipped)
    reused = [case for case in ref.tests if case.nodeid.split("[")[0] in wanted and case.nodeid not in have]
    if not reused or not result.gradable or result.grader_error:
        return result
    by_id = {case.nodeid: case for case in (*result.tests, *reused)}
    order = [case.nodeid for case in ref.tests] + [case.nodeid for case in result.tests]
    cases = tuple(by_id[nodeid] for nodeid in dict.fromkeys(order) if nodeid in by_id)
    extra = result.extra_data.updated(reused_from_reference=sorted(c.nodeid for c in reused))
    return result.model_copy(update={"tests": cases, "score": round(sum(c.score for c in cases), 4),
                                     "extra_data": extra})


def declared(path: Path, key: str) -> list[str]:
    """Header lines of a variant: ``# exercise: 3.2.2`` (where it must lose points), ``# also: ...``."""
    return re.findall(rf"^# {key}: (\S+)\s*$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)


def _failing(result: SubmissionResult) -> str:
    lines = [f"{case.name}: {(case.output or case.status).strip().splitlines()[0][:200]}"
             for case in result.tests if case.status != "passed"]
    if result.grader_error:
        lines.insert(0, f"grader error: {result.grader_error.strip()[-600:]}")
    return "\n".join(lines[:20])


def judge_results(report: GateReport, sheet: SheetConfig, results: dict[str, SubmissionResult],
                  headers: dict[str, tuple[list[str], list[str]]] | None = None) -> None:
    """Turn the graded reference, notebook and variants into findings.

    Written answers are graded by staff, not by tests: the reference and the variants are measured
    against the autograded points (``SheetConfig.autograded_points``); the sheet's total counts both.
    """
    total = sheet.autograded_points
    ref = results.get(REFERENCE_ID)
    if ref is None:
        report.add("reference", False, "no result for the reference (see the batch output)")
    else:
        full = ref.gradable and not ref.grader_error and ref.score >= total - 1e-9 and all(
            c.status == "passed" for c in ref.tests)
        staff = f" (+ {sheet.written_points:g} written points graded by staff)" if sheet.written else ""
        report.add("reference", full, f"scores {ref.score:g}/{total:g} through the real grading path{staff}" if full else
                   f"scores {ref.score:g}/{total:g}; it must score full marks:\n"
                   + (_failing(ref) or ref.format_errors))
    notebook = results.get(NOTEBOOK_ID)
    if notebook is None:
        report.add("untouched notebook", False, "no result for the notebook")
    else:
        free = [c.name for c in notebook.tests if c.score > 0]
        ok = notebook.gradable and not notebook.grader_error and notebook.score == 0
        detail = "gradable and scores 0" if ok else (
            f"not gradable: {notebook.format_errors}" if not notebook.gradable else
            f"grader error: {notebook.grader_error.strip()[-600:]}" if notebook.grader_error else
            f"scores {notebook.score:g}/{total:g}; it must score 0. Tests that pass on it: {', '.join(free)}")
        report.add("untouched notebook", ok, detail)
    _judge_variants(report, {k: v for k, v in results.items() if k.startswith(VARIANT_PREFIX)}, ref, headers or {},
                    autograded=total)
    _judge_alternatives(report, {k: v for k, v in results.items() if k.startswith(ALTERNATIVE_PREFIX)})


def _judge_alternatives(report: GateReport, alternatives: dict[str, SubmissionResult]) -> None:
    """Every known-correct alternative scores full marks; a test one fails is named (it is unfair)."""
    if not alternatives:
        report.notes.append("no known-correct alternatives (tests/alternatives/<sheet>/): fairness to "
                            "other correct styles is untested")
        return
    unfair = []
    for sid, result in sorted(alternatives.items()):
        name = sid.removeprefix(ALTERNATIVE_PREFIX)
        if not result.gradable or result.grader_error:
            unfair.append(f"{name}: " + (result.format_errors or result.grader_error.strip()[-300:]))
            continue
        unfair += [f"{case.nodeid or case.name} fails the correct alternative {name}: "
                   + (case.output or case.status).strip().splitlines()[0][:200]
                   for case in result.tests if case.status != "passed"]
    report.add("alternatives score full marks", not unfair,
               f"{len(alternatives)} known-correct alternative(s) score full marks" if not unfair
               else "\n".join(unfair[:30]))


def _judge_variants(report: GateReport, variants: dict[str, SubmissionResult], ref: SubmissionResult | None,
                    headers: dict[str, tuple[list[str], list[str]]], *, autograded: float | None = None) -> None:
    tests = [c.nodeid or c.name for c in ref.tests] if ref else []
    full = {ex: got for ex, (got, _) in ref.exercise_scores().items()} if ref else {}
    catchers: dict[str, list[str]] = {test: [] for test in tests}
    broken = []
    for sid, result in sorted(variants.items()):
        name = sid.removeprefix(VARIANT_PREFIX)
        if not result.gradable or result.grader_error:
            broken.append(f"{name}: " + (result.format_errors or result.grader_error.strip()[-300:]))
            continue
        for case in result.tests:
            key = case.nodeid or case.name
            if case.status == "error":
                broken.append(f"{name}: the checker itself failed in {case.name} (status error)")
            elif case.status == "failed":
                catchers.setdefault(key, []).append(name)
        if result.score >= (result.max_score if autograded is None else autograded) - 1e-9:
            broken.append(f"{name}: scores full marks, so the suite misses its bug")
        broken += _misplaced(name, result, full, *headers.get(name, ([], [])))
    # a test the reference fails already refuses the release; a variant "failing" it proves nothing
    reference_fails = {c.nodeid or c.name for c in ref.tests if c.status != "passed"} if ref else set()
    report.catchers = {test: (["(the reference fails it)"] if test in reference_fails else names)
                       for test, names in catchers.items()}
    report.add("variants graded", not broken, f"{len(variants)} variant(s) gradable, each loses points"
               + (" where it declares" if headers else "") if not broken else "\n".join(broken))
    uncaught = [test for test, names in catchers.items() if not names and test not in reference_fails]
    if not tests:
        detail = "no hidden tests ran"
    elif not uncaught:
        detail = f"each of the {len(tests)} hidden tests fails for at least one variant"
    elif len(uncaught) <= 5:
        detail = "no known-wrong variant fails: " + ", ".join(uncaught)
    else:
        detail = (f"no known-wrong variant fails {len(uncaught)} of the {len(tests)} hidden tests "
                  "(marked NOTHING FAILS IT below)")
    report.add("every test can fail", bool(tests) and not uncaught, detail)


def _misplaced(name: str, result: SubmissionResult, full: dict[str, float], own: list[str],
               also: list[str]) -> list[str]:
    """A variant that declares its exercise must lose points there, and only there (or where ``also`` says)."""
    if not own:
        return []
    got = {ex: score for ex, (score, _) in result.exercise_scores().items()}
    problems = [f"{name}: declares exercise {ex} but loses no points there" for ex in own
                if got.get(ex, 0.0) >= full.get(ex, 0.0) - 1e-9]
    elsewhere = sorted(ex for ex in full if ex not in {*own, *also} and got.get(ex, 0.0) < full[ex] - 1e-9)
    if elsewhere:
        problems.append(f"{name}: a bug in {', '.join(own)} also costs points in {', '.join(elsewhere)} "
                        "(declare it with '# also: <exercise>' if that is intended)")
    return problems


def run_gate(
    *, config: CourseConfig, sheet: SheetConfig, work_dir: Path, variants_dir: Path | None = None,
    jobs: int = 2, device: str = "auto", config_file: Path | None = None, alternatives_dir: Path | None = None,
    grader: Grader | None = None, reuse_reference: bool = True,
) -> GateReport:
    """All checks; the grading ones only when the static ones pass. Never raises for a failed check.

    ``grader``: warm workers to grade with (left open); ``reuse_reference=False`` runs every training
    check for every variant.
    """
    from autograder.grading.batch import grade_batch

    report = GateReport(sheet=sheet.name)
    folder = variants_dir or default_variants_dir(config, sheet)
    variants = variant_files(folder)
    static_checks(config, sheet, report, variants, folder)
    if not report.ok:
        return report
    alternatives = variant_files(alternatives_dir or default_variants_dir(config, sheet, "alternatives"))
    staged = stage_submissions(config, sheet, variants, work_dir / "submissions", alternatives)
    out = work_dir / "results"
    reuse = training_reuse(config, sheet, variants) if reuse_reference else {}
    summary = grade_batch(config=config, sheet=sheet.name, paths=staged, out_dir=out, jobs=jobs, device=device,
                          config_file=config_file, grader=grader,
                          skip_tests=reuse)  # unchanged submissions of an earlier run are kept
    report.graded, report.results_dir = True, out
    results = {r.student_id: r for r in summary.results}
    _complete_from_reference(report, results, reuse, out, config, sheet)
    headers = {v.stem: (declared(v, "exercise"), declared(v, "also")) for v in variants}
    judge_results(report, sheet, results, {k: h for k, h in headers.items() if h[0]})
    return report


def _complete_from_reference(report: GateReport, results: dict[str, SubmissionResult],
                             reuse: dict[str, list[str]], out: Path, config: CourseConfig, sheet: SheetConfig) -> None:
    """Fill in the training checks not run for a variant with the reference's outcome (and save it)."""
    from autograder.outputs.exports import finalize_result
    from autograder.outputs.feedback import context_for

    ref = results.get(REFERENCE_ID)
    if not reuse or ref is None:
        return
    context = context_for(config, sheet)
    for sid, skipped in reuse.items():
        if sid in results:
            completed = with_reference_outcomes(results[sid], ref, skipped)
            if completed is not results[sid]:
                completed = finalize_result(completed, context)  # its summary, with the new score
                write_result(out, completed)
                results[sid] = completed
    runs = sum(len(skipped) for skipped in reuse.values())
    report.notes.append(f"{runs} training check(s) of {len(reuse)} variant(s) not run: those variants neither "
                        "declare nor reach the exercise, so the reference's outcome is reused "
                        "(extra_data.reused_from_reference in their results; reuse_reference=False runs them)")
