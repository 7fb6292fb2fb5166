"""Release and the master: the notebook is rebuilt first, and no master or build script reaches the bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.core.config import load_config
from autograder.core.errors import ReleaseRefused
from autograder.release import release_sheet
from autograder.release.bundle import build_bundle, public_files


def test_the_master_and_build_scripts_are_refused_from_the_bundle(course: Path, tmp_path: Path) -> None:
    folder = course / "assignments" / "tiny"
    (course / "sheets" / "tiny" / "master.md").rename(folder / "master.md")
    (folder / "build_notebook.py").write_text("print('overwrites the notebook')\n")
    config = load_config(course / "course_config.py")
    sheet = config.sheet("tiny").model_copy(update={"master": folder / "master.md"})  # absolute: not validated
    files, refused = public_files(config, sheet)
    assert sorted(p.name for p in files) == ["public_checks.py", "tiny.ipynb"]
    assert sorted(refused) == [
        ("build_notebook.py is a build script: staff code that would overwrite a student's notebook; build "
         "the notebook with `autograder assign` and remove the script"),
        "master.md is the sheet's master: keep it in sheets/<sheet>/, outside the assignment folder",
    ]
    target, refused_again = build_bundle(config, sheet, tmp_path / "out")
    assert refused_again == refused
    assert sorted(p.name for p in target.iterdir()) == ["README.md", "public_checks.py", "tiny.ipynb"]


def test_a_master_outside_the_folder_never_reaches_the_bundle(course: Path, tmp_path: Path) -> None:
    config = load_config(course / "course_config.py")
    target, refused = build_bundle(config, config.sheet("tiny"), tmp_path / "out")
    assert refused == []
    shipped = {p.name for p in target.rglob("*")}
    assert "master.md" not in shipped and not any(name.startswith("build_") for name in shipped)
    notebook = json.loads((target / "tiny.ipynb").read_text())
    assert notebook["metadata"]["autograder"] == {"sheet": "tiny"}  # the committed one also names its master
    assert not any("master" in line for path in target.rglob("*") for line in path.read_text().splitlines())


def test_release_rebuilds_a_stale_notebook_first_and_says_so(course: Path, tmp_path: Path) -> None:
    notebook = course / "assignments" / "tiny" / "tiny.ipynb"
    committed = notebook.read_bytes()
    notebook.write_text(committed.decode().replace("Tiny sheet", "Old sheet"))
    with pytest.raises(ReleaseRefused) as refused:  # the tiny course has no variants: refused before grading
        release_sheet(config=load_config(course / "course_config.py"), sheet="tiny", out=tmp_path / "out",
                      work_dir=tmp_path / "work")
    text = str(refused.value)
    assert text.splitlines()[1] == "  ok   notebook: built from sheets/tiny/master.md (it was stale: rebuilt)"
    assert "  ok   stubs: the notebook's names and signatures match" in text
    assert "FAIL variants" in text
    assert notebook.read_bytes() == committed


def test_release_of_an_up_to_date_notebook(course: Path, tmp_path: Path) -> None:
    with pytest.raises(ReleaseRefused) as refused:
        release_sheet(config=load_config(course / "course_config.py"), sheet="tiny", out=tmp_path / "out",
                      work_dir=tmp_path / "work")
    assert "  ok   notebook: built from sheets/tiny/master.md\n" in str(refused.value)


def test_release_refuses_a_master_that_does_not_build(course: Path, tmp_path: Path) -> None:
    master = course / "sheets" / "tiny" / "master.md"
    master.write_text(master.read_text().replace("check objects", "check 9.9"))
    with pytest.raises(ReleaseRefused) as refused:
        release_sheet(config=load_config(course / "course_config.py"), sheet="tiny", out=tmp_path / "out",
                      work_dir=tmp_path / "work")
    text = str(refused.value)
    assert "FAIL notebook: sheets/tiny/master.md, cell check-9-9: `check 9.9`: no such exercise" in text
    assert text.endswith("nothing was released")
    assert not (tmp_path / "out").exists()
