"""The real Sheet 3.2 bundle holds none of the judge's data, and the leak scan would say so if it did.

Building a bundle is cheap (no grading): these tests build the real sheet's bundle with the project's
own course_config.py and scan it (the gated release of the real sheet is test_sheet_3_2_release.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.release.bundle import build_bundle, scan_bundle

ROOT = Path(__file__).resolve().parents[2]
JUDGE_DATA = ROOT / "tests" / "hidden" / "sheet_3_2" / "data"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory):
    config = load_config(ROOT / "course_config.py")
    sheet = config.sheet("sheet_3_2")
    built, refused = build_bundle(config, sheet, tmp_path_factory.mktemp("bundle"))
    assert not refused
    return config, sheet, built


def judge_records() -> tuple[list[dict], dict[str, list[str]]]:
    with open(JUDGE_DATA / "qa_heldout.jsonl", encoding="utf-8") as f:
        questions = [json.loads(line) for line in f]
    return questions, json.loads((JUDGE_DATA / "names-heldout.json").read_text(encoding="utf-8"))


def test_bundle_holds_no_held_out_question_name_or_generator(bundle) -> None:
    _, _, built = bundle
    questions, names = judge_records()
    assert len(questions) >= 100 and sum(map(len, names.values())) >= 100
    held_q = {(q["question"], tuple(q["options"]), q["answer_key"]) for q in questions}
    held_names = {name for members in names.values() for name in members}
    for path in built.rglob("*.json*"):
        text = path.read_text(encoding="utf-8")
        rows = [json.loads(line) for line in text.splitlines()] if path.suffix == ".jsonl" else [json.loads(text)]
        for row in rows:
            if isinstance(row, dict) and "options" in row:
                assert (row["question"], tuple(row["options"]), row["answer_key"]) not in held_q, path
            if isinstance(row, dict) and all(isinstance(v, list) for v in row.values()):
                assert not held_names & {n for v in row.values() for n in v if isinstance(n, str)}, path
    assert not list(built.rglob("make_data.py")), "the generator of the judge's data must not ship"


def test_bundle_passes_the_leak_scan(bundle) -> None:
    config, sheet, built = bundle
    assert scan_bundle(built, config, sheet) == []


def test_scan_catches_judge_data_in_any_layout(bundle, tmp_path: Path) -> None:
    config, sheet, built = bundle
    planted = tmp_path / "bundle"
    shutil.copytree(built, planted)
    questions, names = judge_records()
    # one held-out question, re-keyed and re-indented, in a new JSON file; one held-out name in the names
    question = {k: v for k, v in reversed(list(questions[3].items())) if k != "id"} | {"id": "mine-1"}
    (planted / "data" / "extra.json").write_text(json.dumps([question], indent=2), encoding="utf-8")
    public_names = json.loads((planted / "data" / "names-data.json").read_text(encoding="utf-8"))
    first = next(iter(names))
    public_names[first].append(names[first][0])
    (planted / "data" / "names-data.json").write_text(json.dumps(public_names), encoding="utf-8")
    leaks = {leak.file for leak in scan_bundle(planted, config, sheet)}
    assert leaks == {"data/extra.json", "data/names-data.json"}
