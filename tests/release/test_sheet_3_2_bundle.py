"""The real Sheet 3.2 bundle holds none of the judge's data, and the leak scan would say so if it did.

Building a bundle is cheap (no grading): these tests build the real sheet's bundle with the project's
own course_config.py and scan it (the gated release of the real sheet is test_sheet_3_2_release.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from autograder.core.config import load_config
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


BLOCK_AUTOGRADER = '''import importlib.abc
import sys


class _NoAutograder(importlib.abc.MetaPathFinder):
    """A kernel of Colab or a laptop: the course's package is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "autograder" or name.startswith("autograder."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoAutograder())
'''
PROBE = ("try:\n    import autograder\n    print('autograder is importable')\n"
         "except ModuleNotFoundError:\n    print('no autograder package')")
WRONG_SCHEDULE = 'def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):\n    return "high"\n\ncheck("3.2.2")'


def _run_released(bundle: Path, ipython_dir: Path | None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run All on the released notebook (plus a wrong answer and a probe), in a fresh kernel; each code cell's text."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(bundle / "sheet_3_2.ipynb", as_version=4)
    notebook.cells += [nbformat.v4.new_code_cell(WRONG_SCHEDULE), nbformat.v4.new_code_cell(PROBE)]
    with monkeypatch.context() as patch:
        if ipython_dir is not None:
            patch.setenv("IPYTHONDIR", str(ipython_dir))
        patch.setenv("PYTHONPATH", "")  # nothing of the repository on the kernel's path
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(bundle)}}).execute()
    texts = ["".join(o.get("text", "") or "".join(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
             for cell in notebook.cells if cell.cell_type == "code"]
    return [re.sub(r" at 0x[0-9a-f]+", "", text) for text in texts]  # object addresses differ between kernels


def test_released_notebook_runs_without_the_autograder_package(bundle, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Run All in a kernel that cannot import autograder: every cell runs, and check() says what
    `autograder check` says (the same notebook run where the package is installed is the yardstick)."""
    _, _, built = bundle
    released = tmp_path / "sheet_3_2"
    shutil.copytree(built, released)
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-no-autograder.py").write_text(BLOCK_AUTOGRADER, encoding="utf-8")
    readme = (released / "README.md").read_text(encoding="utf-8")
    assert "\npip install datasets tokenizers torch transformers\n" in readme

    without = _run_released(released, tmp_path / "ipython", monkeypatch)
    assert without[-1].strip() == "no autograder package"
    assert "FAIL" in without[-2] and "cosine_lr should return a Python float" in without[-2], without[-2]
    assert any("to do" in text for text in without[:-2])
    with_package = _run_released(released, None, monkeypatch)
    assert with_package[-1].strip() == "autograder is importable"
    assert without[:-1] == with_package[:-1]  # the same verdicts, in the same words
