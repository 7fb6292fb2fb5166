"""``autograder.student.client`` against a live service: submit, poll, show; errors; finding things."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from svc_fakehub import token_for
from svc_fakes import FakeGrader
from svc_support import PREFIX, LiveServer, free_port, hub_environment, make_config, notebook_bytes

from autograder.service.app import create_app
from autograder.student import client
from autograder.student.client import Endpoint, SubmitError, check, find_notebook, submit


@pytest.fixture
def live(tmp_path: Path, fake_hub) -> Iterator[LiveServer]:
    config = make_config(tmp_path / "course", submissions_per_hour=3)
    app = create_app(config, lambda cfg: FakeGrader(cfg), environment=hub_environment(fake_hub.url))
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def student(monkeypatch: pytest.MonkeyPatch, live: LiveServer, tmp_path: Path) -> Callable:
    """Become a student in a single-user server: the hub's variables, a notebook folder."""
    for name in ("JPY_SESSION_NAME", "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("AUTOGRADER_SERVICE_URL", live.url + PREFIX)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:1/user/x/")  # must be ignored

    def become(user: str, *markers: str) -> Path:
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token_for(user))
        notebook = home / "sheet_3_2.ipynb"
        notebook.write_bytes(notebook_bytes(*markers))
        return notebook

    return become


def test_submit_waits_and_prints_the_feedback(student, capsys) -> None:
    student("alice", "bug:3.2.2")
    view = submit(poll_seconds=0.05, timeout=30)
    assert view["status"] == "done" and view["result"]["score"] == 86
    out = capsys.readouterr().out
    assert "Submitting sheet_3_2.ipynb for sheet_3_2" in out
    assert "Score: 86 / 100" in out and "half cosine" in out
    assert "| 3.2.2 | 0 / 14 | ❌ no points yet |" in out


def test_submit_in_a_kernel_displays_an_html_table(student, monkeypatch) -> None:
    import IPython.display

    shown: list = []
    monkeypatch.setattr(client, "_in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    notebook = student("bob")
    submit(notebook, "sheet_late", poll_seconds=0.05, timeout=30)
    (html,) = shown
    assert 'class="ag-feedback"' in html.data and "minus 30 late penalty" in html.data
    assert "3 days late" in html.data


def test_submit_without_waiting_returns_at_once(student, capsys) -> None:
    student("alice")
    view = submit(wait=False)
    assert view["status"] in ("queued", "running", "done") and view["id"] >= 1
    assert "Received as submission" in capsys.readouterr().out


def test_refusals_become_messages_to_act_on(student, monkeypatch, live) -> None:
    student("alice")
    for _ in range(3):
        submit(wait=False, show=False)
    with pytest.raises(SubmitError, match="limit is 3 per hour"):
        submit(wait=False, show=False)
    with pytest.raises(SubmitError, match="There is no such sheet; this course has: "):
        student("bob")
        submit(sheet="sheet_9_9", wait=False, show=False)
    student("mallory")
    with pytest.raises(SubmitError, match="access:services!service=autograder"):
        submit(wait=False, show=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "expired")
    with pytest.raises(SubmitError, match="did not accept your token"):
        submit(wait=False, show=False)
    student("bob")
    with pytest.raises(SubmitError, match="Cannot reach the grading service"):
        submit(wait=False, show=False,
               service_url=f"http://127.0.0.1:{free_port()}/services/autograder/")
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    with pytest.raises(SubmitError, match="No JupyterHub token"):
        submit(wait=False, show=False)


def test_a_timeout_keeps_the_submission_and_says_where_to_look(student, capsys, live) -> None:
    student("alice")
    view = submit(timeout=0, poll_seconds=0.05)
    if view["status"] != "done":
        assert "Your submission is safe" in capsys.readouterr().out
    assert client.status(view["id"], show=False)["id"] == view["id"]


def test_finding_the_notebook(tmp_path: Path) -> None:
    folder = tmp_path / "work" / "sheet_3_2"
    folder.mkdir(parents=True)
    (folder / "sheet_3_2.ipynb").write_text("{}")
    (folder / "scratch.ipynb").write_text("{}")
    env = {"JPY_SESSION_NAME": "work/sheet_3_2/sheet_3_2.ipynb", "JUPYTER_SERVER_ROOT": str(tmp_path)}
    assert find_notebook(environ=env, cwd=folder) == folder / "sheet_3_2.ipynb"
    env = {"JPY_SESSION_NAME": str(folder / "scratch.ipynb")}
    assert find_notebook(environ=env, cwd=tmp_path) == folder / "scratch.ipynb"
    with pytest.raises(SubmitError, match="scratch.ipynb, sheet_3_2.ipynb"):
        find_notebook(environ={}, cwd=folder)
    assert find_notebook("scratch.ipynb", environ={}, cwd=folder) == folder / "scratch.ipynb"
    with pytest.raises(SubmitError, match="There is no file"):
        find_notebook("missing.ipynb", environ={}, cwd=folder)


def test_the_service_url_comes_from_the_hubs_environment() -> None:
    token = {"JUPYTERHUB_API_TOKEN": "t"}
    explicit = Endpoint.from_environ({**token, "AUTOGRADER_SERVICE_URL": "http://svc:10101/s/a"})
    assert explicit.url == "http://svc:10101/s/a/"
    public = Endpoint.from_environ({**token, "JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example.org/hub/",
                                    "JUPYTERHUB_API_URL": "http://hub:8081/hub/api"})
    assert public.url == "https://hub.example.org/services/autograder/"
    derived = Endpoint.from_environ({**token, "JUPYTERHUB_API_URL": "http://proxy:8000/course/hub/api",
                                     "JUPYTERHUB_BASE_URL": "/course/",
                                     "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/a/"})
    assert derived.url == "http://proxy:8000/course/services/autograder/"
    with pytest.raises(SubmitError, match="AUTOGRADER_SERVICE_URL"):
        Endpoint.from_environ(token)


def test_results_render_the_services_feedback_and_escape_the_rest() -> None:
    view = {"id": 1, "filename": "<nb>.ipynb", "status": "done", "late_message": "<b>late</b>",
            "result": {"score": 1, "max_score": 2, "feedback_markdown": "**Score: 1 / 2**",
                       "feedback_html": '<div class="ag-feedback">rendered by the service</div>'}}
    html = client.result_html(view)
    assert "&lt;nb&gt;" in html and "&lt;b&gt;late" in html
    assert html.endswith('<div class="ag-feedback">rendered by the service</div>')
    assert client.result_text(view).endswith("**Score: 1 / 2**")


def test_check_runs_the_sheets_public_checks(tmp_path: Path, monkeypatch, capsys) -> None:
    sheet_dir = tmp_path / "assignments" / "sheet_3_2"
    sheet_dir.mkdir(parents=True)
    (sheet_dir / "helper_for_checks.py").write_text("LABEL = 'public'\n")
    (sheet_dir / "public_checks.py").write_text(
        "from autograder.student.checks import expect, make_check, needs\n"
        "from helper_for_checks import LABEL\n"
        "@needs('answer')\n"
        "def check_answer(ns):\n"
        "    expect(ns.answer == 42, f'{LABEL}: the answer is 42, not {ns.answer}')\n"
        "def check_unfinished(ns):\n"
        "    raise NotImplementedError\n"
        "CHECKS = {'3.2.2': [check_answer], 'later': [check_unfinished]}\n"
        "check = make_check({})  # the client runs CHECKS through the course's runner, not this\n")
    assert check("3.2.2", folder=sheet_dir, ns={"answer": 42}) is None
    assert capsys.readouterr().out.splitlines() == [
        "3.2.2      answer  pass", "1/1 public checks pass. The grade comes from the hidden tests, which check much more."]
    monkeypatch.setattr(sys.modules["__main__"], "answer", 7, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    nested = tmp_path / "some" / "where"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    check()  # found in assignments/sheet_3_2 above the cwd
    assert capsys.readouterr().out.splitlines()[:2] == [
        "3.2.2      answer      FAIL   public: the answer is 42, not 7",
        "later      unfinished  to do  not implemented yet (raises NotImplementedError)"]
    check("nosuch", folder=sheet_dir)
    assert capsys.readouterr().out.startswith("unknown exercise 'nosuch'; choose one of 3.2.2, later")
    with pytest.raises(SubmitError, match="Cannot find public_checks.py"):
        check(sheet="sheet_9_9")
