"""The judge's held-out data never comes back to a student (issue 19, item 1).

Sheet 3.2's judge feeds held-out names into the student's trained ``CharLSTM`` and held-out
questions into ``make_extractive_example`` and the trained QA model. A hostile notebook
(:mod:`security_secret_notebook`) prints, stashes and raises everything it receives. Graded once
(with the complete solution as the control, in one batch through warm workers), no held-out
record, secret-test literal or expected answer may appear in anything a student is shown: the
results JSON's student fields, the exported Gradescope ``results.json``, the feedback page, the
service's student view. The staff fields must still hold what the attack printed (so the attack is
shown to work), and the grade of the printing notebook equals the complete solution's.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re

import pytest
from security_secret_notebook import COMPLETE, ROOT, hostile_notebook

from autograder.core.config import load_config
from autograder.core.results import to_gradescope
from autograder.grading.batch import grade_batch
from autograder.outputs.exports import export_results
from autograder.outputs.feedback import context_for
from autograder.outputs.student_view import student_view

DATA = ROOT / "tests" / "hidden" / "sheet_3_2" / "data"
SECRET_TEST_LITERALS = ("Which of the many things listed here",)


def heldout_names() -> list[str]:
    data = json.loads((DATA / "names-heldout.json").read_text(encoding="utf-8"))
    return [name for names in data.values() for name in names]


def heldout_questions() -> list[dict]:
    return [json.loads(line) for line in (DATA / "qa_heldout.jsonl").read_text().splitlines() if line.strip()]


def record_patterns() -> list[re.Pattern[str]]:
    """A held-out question's options in order, in any format (a list's repr, the prompt "A. x B. y")."""
    return [re.compile(r"\W+(?:[A-E]\.\s*)?".join(re.escape(o) for o in item["options"][:3]))
            for item in heldout_questions()]


def leaks(text: str) -> list[str]:
    found = [name for name in heldout_names() if len(name) >= 4 and name in text]
    found += [p.pattern for p in record_patterns() if p.search(text)]
    found += [item["id"] for item in heldout_questions() if item["id"] in text]
    found += [literal for literal in SECRET_TEST_LITERALS if literal in text]
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sheet_3_2_grader):
    config = load_config(ROOT / "course_config.py")
    subs = tmp_path_factory.mktemp("subs")
    (subs / "complete.ipynb").write_bytes(COMPLETE.read_bytes())
    hostile_notebook(subs / "printer.ipynb", "print")
    hostile_notebook(subs / "raiser.ipynb", "raise")
    out = tmp_path_factory.mktemp("out")
    summary = grade_batch(config=config, sheet="sheet_3_2", paths=[subs], out_dir=out, jobs=2, device="cpu",
                          config_file=ROOT / "course_config.py", grader=sheet_3_2_grader)
    results = {r.student_id: r for r in summary.results}
    sheet = config.sheet("sheet_3_2")
    exported = tmp_path_factory.mktemp("export")
    export_results(config=config, sheet=sheet, results=list(results.values()), out_dir=exported)
    return config, sheet, results, exported


def student_facing(graded, student: str) -> dict[str, str]:
    config, sheet, results, exported = graded
    result = results[student]
    context = context_for(config, sheet, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), published=True)
    return {
        "results JSON (student fields)": json.dumps(to_gradescope(result, include_staff=False)),
        "Gradescope results.json": (exported / "gradescope" / student / "results.json").read_text(),
        "feedback HTML": (exported / "feedback" / f"{student}.html").read_text(),
        "service student view": json.dumps(student_view(result, context)),
    }


@pytest.mark.parametrize("student", ["printer", "raiser"])
def test_no_held_out_record_reaches_any_student_facing_output(graded, student):
    for where, text in student_facing(graded, student).items():
        assert not leaks(text), f"{where} of {student} shows held-out data: {leaks(text)[:5]}"


@pytest.mark.parametrize("student", ["printer", "raiser"])
def test_the_attack_worked_and_staff_keep_what_it_printed(graded, student):
    _, _, results, _ = graded
    result = results[student]
    staff = json.dumps(to_gradescope(result, include_staff=True))
    assert len(set(leaks(staff))) >= 10, "the hostile notebook did not get held-out data: the test proves nothing"
    secret_cases = [case for case in result.tests if case.secret]
    assert secret_cases and all(not leaks(case.output + case.student_output) for case in secret_cases)


def marked_secret() -> set[str]:
    """The Sheet 3.2 hidden tests marked ``@pytest.mark.secret`` (read from their source)."""
    names = set()
    for path in (ROOT / "tests" / "hidden" / "sheet_3_2").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                    ast.unparse(d).endswith("mark.secret") for d in node.decorator_list):
                names.add(node.name)
    return names


def test_only_the_checks_that_use_held_out_data_are_withheld(graded):
    _, _, results, _ = graded
    assert len(marked_secret()) >= 6
    for student in ("complete", "printer", "raiser"):
        assert {case.name for case in results[student].tests if case.secret} == marked_secret(), student
    printer = {case.name: case for case in results["printer"].tests}
    assert "LEAK" in printer["test_cosine_lr_matches_transformers_schedule"].student_output  # other checks: full feedback


def test_printing_changes_no_grade(graded):
    _, _, results, _ = graded
    complete, printer = results["complete"], results["printer"]
    assert complete.score == load_config(ROOT / "course_config.py").sheet("sheet_3_2").autograded_points
    assert printer.score == complete.score
    assert {c.name: c.score for c in printer.tests} == {c.name: c.score for c in complete.tests}


def test_a_failing_secret_check_shows_neutral_text_and_staff_keep_the_original(graded):
    _, _, results, _ = graded
    raiser = {case.name: case for case in results["raiser"].tests}
    threshold = raiser["test_train_char_lstm_reaches_the_held_out_threshold"]
    assert threshold.secret and threshold.status == "failed"
    assert "LEAK" not in threshold.output and "LEAK" in threshold.staff_message
    complete = {case.name: case for case in results["complete"].tests}
    assert all(case.status == "passed" for case in complete.values())


# ------------------------------------------------------------------ the service's student pages


class ReplayGrader:
    """The service's grader interface, answering with the hostile notebook's real graded result."""

    result = None

    def __init__(self, config) -> None:
        self.config = config

    def grade_file(self, *, sheet, path, student_id, submitted_at):
        return self.result.model_copy(update={"student_id": student_id, "sheet": sheet,
                                              "submitted_at": submitted_at})

    def close(self) -> None:
        pass


@pytest.mark.parametrize("student", ["printer", "raiser"])
def test_the_services_pages_api_and_client_show_no_held_out_record(graded, student, tmp_path):
    pytest.importorskip("fastapi", reason="the service needs the 'service' extra")
    import sys
    from contextlib import ExitStack

    sys.path.insert(0, str(ROOT / "tests" / "service"))
    from fastapi.testclient import TestClient
    from svc_fakehub import make_fake_hub
    from svc_support import API_TOKEN, LiveServer, Service, hub_environment, make_config

    from autograder.service.app import create_app
    from autograder.student import client

    ReplayGrader.result = graded[2][student]
    with ExitStack() as stack:
        hub = stack.enter_context(LiveServer(make_fake_hub(API_TOKEN)))
        config = make_config(tmp_path)
        app = create_app(config, ReplayGrader, environment=hub_environment(hub.url))
        service = Service(app=app, client=stack.enter_context(TestClient(app)), config=config, graders=[])
        submission = service.submit("alice", sheet="sheet_3_2").json()["id"]
        view = service.wait("alice", submission, timeout=60)
        pages = {"API view": json.dumps(view), "student page": service.get("alice", "").text,
                 "submission page": service.get("alice", f"submissions/{submission}").text,
                 "notebook client (HTML)": client.result_html(view),
                 "notebook client (text)": client.result_text(view)}
    assert view["result"]["score"] == graded[2][student].score
    for where, text in pages.items():
        assert not leaks(text), f"{where} shows held-out data: {leaks(text)[:5]}"
