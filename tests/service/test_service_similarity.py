"""The staff page's similarity check: staff run it over the counted submissions and read its pages."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from svc_support import PREFIX, Service, auth, wait_for

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "assignments" / "sheet_3_2" / "sheet_3_2.ipynb"
COMPLETE = ROOT / "examples" / "submissions" / "complete.ipynb"


def test_staff_run_the_similarity_check_and_read_its_pages(make_service, tmp_path: Path) -> None:
    sheet_dir = tmp_path / "assignments" / "sheet_3_2"
    sheet_dir.mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, sheet_dir / "sheet_3_2.ipynb")
    service: Service = make_service()
    complete = json.loads(COMPLETE.read_text().replace("explode", "blow up"))  # the fake grader's marker
    hostile = json.loads(json.dumps(complete))
    hostile["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                             "source": "x = '</pre><script>alert(1)</script>'\n"})
    for user, notebook in (("alice", complete), ("bob", hostile)):
        answer = service.submit(user, json.dumps(notebook).encode()).json()
        service.wait(user, answer["id"])

    assert service.post("alice", "ta/similarity", params={"sheet": "sheet_3_2"}).status_code == 403
    assert service.get("tara", "ta/similarity/sheet_3_2/index.html").status_code == 404  # not run yet
    started = service.post("tara", "ta/similarity", params={"sheet": "sheet_3_2"}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].endswith("ta/similarity/sheet_3_2/status")
    done = finished(service)
    assert done["state"] == "done" and done["index"].endswith("ta/similarity/sheet_3_2/index.html")
    assert "the report" in service.get("tara", "ta/similarity/sheet_3_2/status").text
    assert service.get("alice", "ta/similarity/sheet_3_2/status").status_code == 403

    index = service.get("tara", "ta/similarity/sheet_3_2/index.html")
    assert index.status_code == 200 and "default-src 'none'" in index.headers["content-security-policy"]
    assert re.search(r"<td>alice</td><td>bob</td><td class=num>100%</td>", index.text)  # hub names as ids
    pair = service.get("tara", "ta/similarity/sheet_3_2/pairs/0001.html")
    assert pair.status_code == 200 and "make_extractive_example" in pair.text
    assert "&lt;/pre&gt;&lt;script&gt;" in pair.text and "<script>" not in pair.text
    assert service.get("alice", "ta/similarity/sheet_3_2/pairs/0001.html").status_code == 403
    assert service.get("tara", "ta/similarity/sheet_3_2/similarity.json").status_code == 404
    assert service.get("tara", "ta/similarity/sheet_3_2/../autograder.db").status_code == 404
    assert "ta/similarity?sheet=sheet_3_2" in service.get("tara", "ta", params={"sheet": "sheet_3_2"}).text


def test_a_missing_sheet_notebook_is_said_not_crashed(make_service) -> None:
    service: Service = make_service()  # its course root has no assignments/ folder
    answer = service.post("tara", "ta/similarity", params={"sheet": "sheet_3_2"}, follow_redirects=False)
    assert answer.status_code == 409 and "could not be read" in answer.json()["detail"]
    assert service.post("tara", "ta/similarity", params={"sheet": "nope"}).status_code == 404


def finished(service: Service, user: str = "tara") -> dict:
    """The job's status once it is no longer queued or running (the run is a background job)."""
    def poll() -> dict | None:
        answer = service.client.get(PREFIX + "ta/similarity/sheet_3_2/status",
                                    headers={**auth(user), "accept": "application/json"})
        data = answer.json()
        return data if data["state"] in ("done", "failed") else None

    return wait_for(poll, timeout=120)


def test_a_lone_surrogate_in_one_notebook_does_not_stop_the_report(make_service, tmp_path: Path) -> None:
    """Issue 19 item 3: a JSON escape \\ud800 in a comment; the report is written for the whole class."""
    sheet_dir = tmp_path / "assignments" / "sheet_3_2"
    sheet_dir.mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, sheet_dir / "sheet_3_2.ipynb")
    service: Service = make_service()
    complete = json.loads(COMPLETE.read_text().replace("explode", "blow up"))
    complete["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                              "source": "def own_helper(values):\n    # sure \ud800 enough\n"
                                        "    return [v * 2 for v in values if v > 0]\n"})
    text = json.dumps(complete)  # ensure_ascii: the surrogate travels as the escape \ud800
    assert "\\ud800" in text
    for user in ("alice", "bob"):
        answer = service.submit(user, text.encode()).json()
        service.wait(user, answer["id"])
    started = service.post("tara", "ta/similarity", params={"sheet": "sheet_3_2"}, follow_redirects=False)
    assert started.status_code == 303
    assert finished(service)["state"] == "done"
    pair = service.get("tara", "ta/similarity/sheet_3_2/pairs/0001.html")
    assert pair.status_code == 200 and "sure \ufffd enough" in pair.text


def test_a_run_that_breaks_is_a_failed_status_not_a_reset_connection(make_service, tmp_path: Path,
                                                                   monkeypatch) -> None:
    from autograder import similarity

    sheet_dir = tmp_path / "assignments" / "sheet_3_2"
    sheet_dir.mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, sheet_dir / "sheet_3_2.ipynb")
    service: Service = make_service()

    def broken(**_kwargs: object) -> None:
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(similarity, "run_similarity", broken)
    assert service.post("tara", "ta/similarity", params={"sheet": "sheet_3_2"},
                        follow_redirects=False).status_code == 303
    failed = finished(service)
    assert failed["state"] == "failed" and "UnicodeEncodeError" in failed["message"]
    assert "failed" in service.get("tara", "ta/similarity/sheet_3_2/status").text
