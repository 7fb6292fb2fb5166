"""The web pages in a real headless Chromium: hub OAuth login, upload, feedback, the staff page.

The service and a fake hub are served by one uvicorn server behind a path router, as JupyterHub's
proxy does (``/hub/`` to the hub, ``/services/autograder/`` to the service), so every redirect and
cookie of the OAuth dance happens in the browser for real.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from svc_fakehub import make_fake_hub
from svc_fakes import FakeGrader
from svc_support import (
    API_TOKEN,
    PREFIX,
    HubProxy,
    LiveServer,
    auth,
    free_port,
    hub_environment,
    make_config,
    notebook_bytes,
    wait_for,
)

from autograder.service.app import create_app

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the 'dev' extra) is needed")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium and chromedriver are needed: apt-get install chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="autograder-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("pages")
    port = free_port()
    env = hub_environment(f"http://127.0.0.1:{port}")
    app = create_app(make_config(root), lambda cfg: FakeGrader(cfg), environment=env)
    with LiveServer(HubProxy(make_fake_hub(API_TOKEN), app), port=port) as server:
        server.root = root  # type: ignore[attr-defined]
        yield server


def log_in(driver, site: LiveServer, user: str, page: str = "") -> None:
    driver.delete_all_cookies()
    driver.get(f"{site.url}/hub/login?user={user}")
    driver.get(f"{site.url}{PREFIX}{page}")
    wait_for(lambda: driver.find_elements(By.ID, "user-name"), timeout=15)
    assert driver.find_element(By.ID, "user-name").text == user


def submit_file(driver, path: Path, sheet: str = "sheet_3_2") -> int:
    Select(driver.find_element(By.ID, "sheet-select")).select_by_value(sheet)
    driver.find_element(By.ID, "file-input").send_keys(str(path))
    before = driver.current_url
    driver.find_element(By.ID, "submit-button").click()
    # wait for the new page: the previous one may already show a message and a submitted= id
    wait_for(lambda: driver.current_url != before and driver.find_elements(By.ID, "message"), timeout=15)
    return int(driver.current_url.rsplit("submitted=", 1)[1])


def row_status(driver, submission_id: int) -> str:
    driver.refresh()
    cells = driver.find_elements(By.CSS_SELECTOR, f"tr.submission[data-id='{submission_id}'] .status")
    return cells[0].text if cells else ""


def test_student_logs_in_submits_and_reads_feedback(browser, site: LiveServer) -> None:
    driver = browser
    log_in(driver, site, "alice")
    assert driver.find_elements(By.ID, "no-submissions")
    assert not driver.find_elements(By.ID, "ta-link")
    notebook = site.root / "alice_nb.ipynb"  # type: ignore[attr-defined]
    notebook.write_bytes(notebook_bytes("bug:3.2.2"))
    submission_id = submit_file(driver, notebook)
    wait_for(lambda: row_status(driver, submission_id) == "done", timeout=30, every=0.3)
    score = driver.find_element(By.CSS_SELECTOR, f"tr.submission[data-id='{submission_id}'] .score")
    assert score.text == "86 / 100"
    feedback = driver.find_element(By.CSS_SELECTOR, f"details.feedback[data-id='{submission_id}']")
    row = feedback.find_element(By.CSS_SELECTOR, "tr.exercise[data-exercise='3.2.2']")
    assert row.text.split()[:4] == ["3.2.2", "0", "/", "14"]  # the export's feedback fragment
    assert "half cosine" in feedback.text
    assert "SECRET" not in driver.page_source and "Traceback" not in driver.page_source

    late = submit_file(driver, notebook, sheet="sheet_late")
    wait_for(lambda: row_status(driver, late) == "done", timeout=30, every=0.3)
    page = driver.find_element(By.CSS_SELECTOR, f"details.feedback[data-id='{late}']")
    assert "3 days late" in page.get_attribute("textContent")
    assert "late penalty" in page.get_attribute("textContent")

    driver.get(f"{site.url}{PREFIX}ta")
    assert "Only course staff" in driver.find_element(By.ID, "error").text


def test_upload_errors_are_shown_on_the_page(browser, site: LiveServer) -> None:
    driver = browser
    log_in(driver, site, "bob")
    wrong = site.root / "notes.txt"  # type: ignore[attr-defined]
    wrong.write_text("not a notebook")
    driver.find_element(By.ID, "file-input").send_keys(str(wrong))
    driver.find_element(By.ID, "submit-button").click()
    wait_for(lambda: driver.find_elements(By.ID, "error"), timeout=15)
    assert "Submit your notebook (.ipynb)" in driver.find_element(By.ID, "error").text


def seed(site: LiveServer, student: str, data: bytes, sheet: str) -> int:
    """Submit through the API with the student's hub token and wait for the grade."""
    url = f"{site.url}{PREFIX}api/submissions"
    answer = httpx.post(url, headers=auth(student), data={"sheet": sheet},
                        files={"file": ("nb.ipynb", data)}, timeout=30)
    assert answer.status_code == 202, answer.text
    submission_id = int(answer.json()["id"])
    wait_for(lambda: httpx.get(f"{url}/{submission_id}", headers=auth(student)).json()["status"]
             == "done", timeout=30, every=0.2)
    return submission_id


def test_staff_page_shows_the_class_and_regrades(browser, site: LiveServer) -> None:
    driver = browser
    seed(site, "s02", notebook_bytes("bug:3.2.2"), "sheet_grace")
    s03 = seed(site, "s03", notebook_bytes(), "sheet_grace")

    driver.set_window_size(1280, 900)
    log_in(driver, site, "tara", "ta?sheet=sheet_grace")
    table = driver.find_element(By.ID, "class-table")
    fits = driver.execute_script(
        "const t = document.getElementById('class-table'), w = window.innerWidth;"
        "const buttons = [...t.querySelectorAll('form.regrade button')];"
        "return t.getBoundingClientRect().right <= w && t.scrollWidth <= t.parentElement.clientWidth"
        " && buttons.every(b => b.getBoundingClientRect().right <= w);")
    assert fits, "the class table (and its regrade buttons) must fit a 1280 px window"
    rows = table.find_elements(By.CSS_SELECTOR, "tr.student")
    assert [r.get_attribute("data-student") for r in rows] == ["s02", "s03"]
    assert [c.text for c in table.find_elements(By.CSS_SELECTOR, "td.final")] == ["86", "100"]
    bars = driver.find_elements(By.CSS_SELECTOR, "#histogram svg rect.bar")
    assert [b.get_attribute("data-count") for b in bars] == ["0"] * 8 + ["1", "1"]
    rate = driver.find_element(By.CSS_SELECTOR,
                               "#exercise-stats tr[data-exercise='3.2.2'] .pass-rate")
    assert rate.text == "50%"

    csv_text = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(document.getElementById('csv-link').href).then(r => r.text()).then(done);")
    lines = csv_text.splitlines()
    assert lines[0].startswith("student_id,3.2.1.1") and lines[1].startswith("s02,")

    table.find_element(By.CSS_SELECTOR, "tr.student[data-student='s02'] form.regrade button").click()
    wait_for(lambda: driver.find_elements(By.ID, "message"), timeout=15)
    assert "Regrade of submission" in driver.find_element(By.ID, "message").text

    driver.get(f"{site.url}{PREFIX}submissions/{s03}")
    assert "s03" in driver.find_element(By.TAG_NAME, "h2").text
    assert driver.find_elements(By.CSS_SELECTOR, "form.regrade")
