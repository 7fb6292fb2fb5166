"""Written answers: declared in the master, built into the notebook, extracted from the parsed file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from written_helpers import answer_cell, notebook_with

from autograder.core.config import load_config
from autograder.core.errors import ConfigError
from autograder.core.submission import load_submission
from autograder.grades.written import (
    MAX_ANSWER_CHARS,
    extract_answers,
    written_markdown,
)
from autograder.outputs.written_view import written_html

MB = 1 << 20


def _sheet(course: Path):
    return load_config(course / "course_config.py").sheet("tiny")


def _answers(course: Path, tmp_path: Path, cells: list[dict[str, object]]) -> dict[str, str]:
    path = tmp_path / "student.ipynb"
    path.write_text(notebook_with(cells), encoding="utf-8")
    loaded = load_submission(path, max_bytes=MB, expected_sheet="tiny")
    return {a.question: a.text for a in extract_answers(loaded, _sheet(course))}


def test_the_config_counts_the_masters_written_question(written_course: Path) -> None:
    sheet = _sheet(written_course)
    assert [(q.id, q.exercise, q.points) for q in sheet.written] == [("why-add", "basics", 2.0)]
    assert [item.id for item in sheet.written[0].rubric] == ["sum", "types"]
    assert sheet.autograded_points == 3.5 and sheet.total_points == 5.5
    assert sheet.exercise_points() == {"basics": 4.0, "objects": 1.5}


def test_assign_builds_a_marked_answer_cell_without_the_rubric(written_course: Path) -> None:
    notebook = json.loads((written_course / "assignments" / "tiny" / "tiny.ipynb").read_text(encoding="utf-8"))
    answer = next(c for c in notebook["cells"] if c["metadata"].get("autograder", {}).get("written"))
    assert answer["cell_type"] == "markdown" and answer["id"] == "answer-why-add"
    assert "".join(answer["source"]).startswith("**Your answer:** (question `why-add`, 2 points, graded by staff)")
    text = json.dumps(notebook)
    assert "RUBRIC-SECRET" not in text and '"rubric"' not in text  # staff's rubric stays in the master
    assert "Written (2 points)" in text  # {{ written[...] }} values fill the question


def test_a_question_declared_twice_is_a_config_error(written_course: Path) -> None:
    master = written_course / "sheets" / "tiny" / "master.md"
    text = master.read_text(encoding="utf-8")
    start = text.index('+++ {"autograder": "written"')
    cell = text[start:text.index("\n+++\n", start)]
    master.write_text(text + "\n" + cell + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="two written questions have the id 'why-add'"):
        load_config(written_course / "course_config.py")


def test_missing_duplicated_and_unmarked_answer_cells(written_course: Path, tmp_path: Path) -> None:
    header = "**Your answer:** (question `why-add`, 2 points, graded by staff)\n\n"
    assert _answers(written_course, tmp_path, []) == {"why-add": ""}  # deleted: an empty answer
    untouched = header + "_Write your answer here, in place of this line: a few sentences in your own words. " \
                         "Course staff read and grade it; `check()` does not._"
    assert _answers(written_course, tmp_path, [answer_cell(untouched)]) == {"why-add": ""}
    joined = _answers(written_course, tmp_path, [answer_cell(header + "first part"), answer_cell(["second ", "part"])])
    assert joined == {"why-add": "first part\n\nsecond part"}  # duplicates: joined in order
    unmarked = {"cell_type": "markdown", "metadata": {}, "source": header + "marker lost"}
    assert _answers(written_course, tmp_path, [unmarked]) == {"why-add": "marker lost"}
    marked_wins = _answers(written_course, tmp_path, [unmarked, answer_cell("marked")])
    assert marked_wins == {"why-add": "marked"}
    as_code = _answers(written_course, tmp_path, [answer_cell("x = 1  # my answer", cell_type="code")])
    assert as_code == {"why-add": "x = 1  # my answer"}
    other = _answers(written_course, tmp_path, [answer_cell("for a question the sheet lacks", "nope"),
                                                answer_cell({"not": "text"})])
    assert other == {"why-add": ""}


def test_hostile_answer_text_is_cleaned_capped_and_escaped(written_course: Path, tmp_path: Path) -> None:
    from autograder.core.results import SubmissionResult, WrittenAnswer

    nasty = '<script>alert(1)</script> **bold** \ud800 \x00\x1b[31m' + "é" * (MAX_ANSWER_CHARS + 500)
    path = tmp_path / "student.ipynb"
    path.write_text(notebook_with([answer_cell(nasty)]), encoding="utf-8")  # JSON spells the surrogate \ud800
    text = extract_answers(load_submission(path, max_bytes=MB), _sheet(written_course))[0].text
    assert "\ud800" not in text and "\ufffd" in text and "\x00" not in text and "\x1b" not in text
    assert len(text) < MAX_ANSWER_CHARS + 200 and "more characters cut" in text
    text.encode("utf-8")  # writable by every renderer
    result = SubmissionResult(student_id="s", sheet="tiny", submission="s.ipynb", written=(
        WrittenAnswer(question="why-add", exercise="basics", max_points=2, text=text),))
    page = written_html(result, _sheet(written_course))
    assert "<script>" not in page and "&lt;script&gt;" in page
    summary = "\n".join(written_markdown(result, _sheet(written_course)))
    assert "<script>" not in summary and "awaiting staff" in summary
