"""No page needs a manual reload to learn a result (issue 22, item 12), and the staff page's TA report.

While a submission is queued or running, the student's page and the staff page reload themselves
(a small script that waits while a file is chosen for upload; a meta refresh without scripts) and
stop once nothing is pending; the staff page lists what is being graded now and links the TA report
(:mod:`autograder.outputs.report`, generated on request), whose roster links each submission's page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from svc_fakehub import make_fake_hub
from svc_fakes import FakeGrader
from svc_support import (
    API_TOKEN,
    PREFIX,
    HubProxy,
    LiveServer,
    free_port,
    hub_environment,
    make_config,
    wait_for,
)

from autograder.service.app import create_app


class GatedGrader(FakeGrader):
    """Grades only once the test opens the gate, so a test sees the queued and running states."""

    def __init__(self, config, gate: threading.Event) -> None:
        super().__init__(config)
        self.gate = gate

    def grade_file(self, **kwargs):
        self.gate.wait(60)
        return super().grade_file(**kwargs)


def test_pages_refresh_while_pending_and_stop_when_done(make_service) -> None:
    gate = threading.Event()
    service = make_service(grader_factory=lambda cfg: GatedGrader(cfg, gate))
    first = service.submit("alice").json()["id"]
    wait_for(lambda: service.get("alice", f"api/submissions/{first}").json()["status"] == "running")
    second = service.submit("bob").json()["id"]
    page = service.get("alice", "").text
    assert 'id="auto-refresh"' in page and '<meta http-equiv="refresh" content="3">' in page
    staff = service.get("tara", "ta?sheet=sheet_3_2").text
    assert 'id="auto-refresh"' in staff and "this page refreshes itself" in staff
    jobs = staff.split('<table id="active-jobs">', 1)[1].split("</table>", 1)[0]
    assert jobs.index(f'<a href="{PREFIX}submissions/{first}">') < jobs.index(f'<a href="{PREFIX}submissions/{second}">')
    assert '<td class="state">running</td>' in jobs and '<td class="state">queued</td>' in jobs
    assert f'id="report-link" href="{PREFIX}ta/report?sheet=sheet_3_2"' in staff
    assert 'id="auto-refresh"' not in service.get("carol", "").text  # nothing of hers is pending
    gate.set()
    service.wait("alice", first)
    service.wait("bob", second)
    assert 'id="auto-refresh"' not in service.get("alice", "").text
    staff = service.get("tara", "ta?sheet=sheet_3_2").text
    assert 'id="auto-refresh"' not in staff and 'id="active-jobs"' not in staff


def test_the_ta_report_links_each_counted_submission(make_service) -> None:
    service = make_service()
    ids = {name: service.submit(name).json()["id"] for name in ("s01", "s02")}
    for name, sub in ids.items():
        service.wait(name, sub)
    answer = service.get("tara", "ta/report?sheet=sheet_3_2")
    assert answer.status_code == 200 and "script-src" not in answer.headers["content-security-policy"]
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    page = answer.text
    assert "<h1>TA report: Transformer configurations</h1>" in page and "<h2>Roster</h2>" in page
    for sub in ids.values():
        assert f'<a href="{PREFIX}submissions/{sub}">feedback</a>' in page
    assert "once `autograder export` has written them" not in page
    assert service.get("alice", "ta/report?sheet=sheet_3_2").status_code == 403


# --------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def gated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, threading.Event, Path]]:
    root = tmp_path_factory.mktemp("live")
    port = free_port()
    gate = threading.Event()
    app = create_app(make_config(root), lambda cfg: GatedGrader(cfg, gate),
                     environment=hub_environment(f"http://127.0.0.1:{port}"))
    with LiveServer(HubProxy(make_fake_hub(API_TOKEN), app), port=port) as server:
        yield server, gate, root


def test_a_result_appears_without_a_manual_reload(gated_site) -> None:
    import sys
    import time

    import httpx
    from selenium.webdriver.common.by import By
    from svc_support import auth
    from test_service_pages import log_in, submit_file

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ux"))
    from chromium import chromium

    site, gate, root = gated_site
    notebook = root / "nb.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')

    def status() -> str:
        cells = driver.find_elements(By.CSS_SELECTOR, f"tr.submission[data-id='{submission}'] .status")
        return cells[0].text if cells else ""

    with chromium() as driver:
        log_in(driver, site, "tara")
        submission = submit_file(driver, notebook)
        assert status().startswith(("queued", "running"))
        # a file chosen for the next upload is not wiped: the page waits while one is chosen
        driver.execute_script("window.loadedOnce = true")
        driver.find_element(By.ID, "file-input").send_keys(str(notebook))
        time.sleep(4)  # longer than the 3 s refresh
        assert driver.execute_script("return window.loadedOnce === true")
        driver.execute_script("document.getElementById('file-input').value = ''")
        gate.set()
        # no driver.refresh(): the page reloads itself until the result is there, then stops
        wait_for(lambda: status() == "done", timeout=30, every=0.5)
        assert not driver.find_elements(By.ID, "auto-refresh")

        gate.clear()
        answer = httpx.post(f"{site.url}{PREFIX}api/submissions", headers=auth("s05"), data={"sheet": "sheet_3_2"},
                            files={"file": ("nb.ipynb", notebook.read_bytes())}, timeout=30)
        queued = answer.json()["id"]
        driver.get(f"{site.url}{PREFIX}ta?sheet=sheet_3_2")
        assert driver.find_elements(By.CSS_SELECTOR, f"#active-jobs a[href$='submissions/{queued}']")
        width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] == 1280
        gate.set()
        wait_for(lambda: not driver.find_elements(By.ID, "active-jobs"), timeout=30, every=0.5)
        row = driver.find_element(By.CSS_SELECTOR, "#class-table tr.student[data-student='s05'] .status")
        assert row.text == "done"
