"""Are the pages the same, pixel for pixel, as at an earlier commit? (A script, not a test.)

    .venv/bin/python tests/pages/compare_pages.py [REV]    # REV: the commit to compare with (HEAD)

A change to a template or to the stylesheet can be meant to change nothing that a reader sees (a
template moved, a rule scoped, markup cleaned). This renders one fixed set of 65 pages with REV's
code (a temporary git worktree) and with this checkout's, opens each in headless Chromium at 1280 px,
takes the whole page, and compares the two pictures pixel by pixel. The set:

- the feedback page and fragment of real Sheet 3.2 results (tests/feedback/data, an old result), one
  with staff adjustments and written answers, each before and after the deadline, published or not;
- the TA report of those, the toy course's feedback and report with a hostile student id;
- the similarity index and pair pages, the ``check()`` table, the notebook client's result, the
  regrade diff page;
- the service's pages (student, submission as student and as staff, TA page, error page, staff
  adjustments), served by the app with the fake hub of tests/service.

Both sides must have the package layout of issue 23 (commit f35cfab or later). It prints one line
per page that differs and saves both pictures under build/compare-pages/; exit status 1 if any does.
Needs selenium, Chromium and chromedriver (as tests/ux).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert('x')</script>\"&"
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( ?(UTC|[+-]\d{2}:?\d{2}))?")


def use_tree(tree: Path) -> None:
    """Import the package from ``tree``, not from wherever the virtual environment points."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in (getattr(f, "__module__", "") or "")
                        and "editable" not in type(f).__module__ and "editable" not in getattr(f, "__name__", "")]
    sys.path[:0] = [str(tree), str(tree / "tests" / "service")]


def wrap(fragment: str) -> str:
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body>{fragment}</body></html>'


def render_all(tree: Path, out: Path) -> None:
    """Every page of the module docstring, rendered by ``tree``'s code, into ``out``."""
    use_tree(tree)
    from autograder.core.config import load_config
    from autograder.core.results import (
        AppliedAdjustment,
        CaseResult,
        SubmissionResult,
        WrittenAnswer,
        WrittenMark,
        read_result,
    )
    from autograder.outputs.feedback import context_for, feedback_fragment, feedback_html
    from autograder.outputs.report import report_html
    from autograder.similarity.compare import PairScore, Region, Settings
    from autograder.similarity.render import index_html, pair_html
    from autograder.student.checks import FAIL, PASS, TODO, CheckRow, render_html
    from autograder.student.client import result_html

    out.mkdir(parents=True, exist_ok=True)

    def page(name: str, html: str) -> None:
        (out / f"{name}.html").write_text(html, encoding="utf-8")

    config = load_config(tree / "course_config.py")
    sheet = config.sheet("sheet_3_2")
    results = {p.stem: read_result(p) for p in sorted((tree / "tests" / "feedback" / "data").glob("*.json"))}
    results["v010"] = read_result(tree / "tests" / "engine" / "data" / "result_0_1_0.json")
    partial = results["sheet_3_2_partial"]
    first = partial.tests[0]
    results["adjusted_written"] = partial.model_copy(update={
        "adjustments": (AppliedAdjustment(id="a1", test=first.name, exercise=first.number, autograded=first.score,
                                          points=first.max_score, reason=f"regrade {HOSTILE}", staff_note="secret"),),
        "written": (WrittenAnswer(question="why", exercise=first.number, max_points=2, text=f"because {HOSTILE}",
                                  mark=WrittenMark(points=1.5, comment=f"good {HOSTILE}", staff_note="secret")),
                    WrittenAnswer(question="how", exercise=first.number, max_points=1, text="pending")),
        "late_penalty": 2.0})
    for published in (None, False, True):
        for late in (False, True):
            context = context_for(config, sheet, now=NOW + dt.timedelta(days=400 if late else 0), published=published)
            for name, result in results.items():
                page(f"feedback-{name}-{published}-{late}", feedback_html(result, context))
                page(f"fragment-{name}-{published}-{late}", wrap(feedback_fragment(result, context)))
    page("report", report_html(list(results.values()), sheet))

    toy = load_config(tree / "tests" / "toy_course" / "course_config.py")
    case = CaseResult(name="test_add", number="basics", score=0.0, max_score=2.0, status="failed",
                      output=f"add returned {HOSTILE}", visibility="visible", student_output=HOSTILE)
    hostile = SubmissionResult(student_id=HOSTILE, sheet="toy", submission=f"{HOSTILE}.ipynb", score=0.0,
                               max_score=4.0, tests=(case,), output=f"printed {HOSTILE}")
    page("toy-feedback", feedback_html(hostile, context_for(toy, toy.sheet("toy"), now=NOW)))
    page("toy-report", report_html([hostile], toy.sheet("toy")))

    docs = [SimpleNamespace(own=SimpleNamespace(key=key, source=f"/x/{key}.ipynb", sha256="0" * 64, cells=1,
                                                text=f"def f():\n    return '{HOSTILE}'\n    x = 1\n", note=""))
            for key in (HOSTILE, "bob")]
    pair = PairScore(a=HOSTILE, b="bob", share_a=1.0, share_b=0.8, matched_a=30, matched_b=24, longest_run=30,
                     flagged=True)
    page("similarity-index", index_html(title=HOSTILE, pairs=[pair], shown=1, docs=docs, left_out=[(HOSTILE, HOSTILE)],
                                        settings=Settings(), seconds=0.5))
    page("similarity-pair", pair_html(title=HOSTILE, rank=1, pair=pair, a=docs[0], b=docs[1],
                                      regions=([Region(0, 0, 8, 0)], [Region(0, 0, 8, 0)]), made=HOSTILE,
                                      settings=Settings()))
    page("checks", wrap(render_html([CheckRow("e", "c", FAIL, HOSTILE), CheckRow("e", "d", PASS),
                                     CheckRow("f", "g", TODO)]) or ""))
    for status in ("done", "queued", "failed"):
        page(f"client-{status}", wrap(result_html({"id": 1, "filename": HOSTILE, "status": status, "late_message": HOSTILE,
                                                   "result": {"score": 1, "max_score": 2, "feedback_html": "<p>x</p>"}})))
    from autograder.term.regrade_diff import CaseChange, RegradeDiff, StudentTotal, diff_html

    diff = RegradeDiff(changes=[CaseChange(student_id=HOSTILE, exercise="basics", test="test_toy.py::test_add",
                                           old_points=2.0, new_points=0.0, old_status="passed", new_status="failed",
                                           why=("test code", HOSTILE), kept="adjusted")],
                       totals=[StudentTotal(HOSTILE, 10.0, 8.0, adjustments=("r",)), StudentTotal("bob", 5.0, 5.0),
                               StudentTotal("eve", 3.0, 3.0, note="cannot regrade: file not found")])
    for applied in (False, True):
        page(f"regrade-diff-{applied}", diff_html(diff, title=f"Regrade {HOSTILE}", applied=applied))
    service_pages(out)


def service_pages(out: Path) -> None:
    """The service's pages, from the app with tests/service's fake hub and fake grader."""
    from fastapi.testclient import TestClient
    from svc_fakehub import make_fake_hub
    from svc_fakes import FakeGrader
    from svc_support import (
        API_TOKEN,
        LiveServer,
        Service,
        hub_environment,
        make_config,
        notebook_bytes,
    )

    from autograder.service.app import create_app

    with tempfile.TemporaryDirectory() as root, LiveServer(make_fake_hub(API_TOKEN)) as hub:
        config = make_config(Path(root))
        app = create_app(config, FakeGrader, environment=hub_environment(hub.url))
        with TestClient(app) as client:
            service = Service(app=app, client=client, config=config)

            for name, count in (("alice", 2), ("bob", 1), ("s01", 1)):
                for i in range(count):
                    service.wait(name, service.submit(name, notebook_bytes(f"{name}{i}")).json()["id"])
            for key, user, path in (("student", "alice", ""), ("submission-student", "alice", "submissions/1"),
                                    ("submission-staff", "tara", "submissions/1"), ("ta", "tara", "ta?sheet=sheet_3_2"),
                                    ("error", "alice", "submissions/999"),
                                    ("adjustments", "tara", "ta/adjustments?sheet=sheet_3_2")):
                (out / f"service-{key}.html").write_text(TIME.sub("2026-12-01 12:00", service.get(user, path).text), encoding="utf-8")


def compare(old: Path, new: Path, keep: Path) -> list[str]:
    """Names of the pages whose pictures differ (both saved under ``keep``)."""
    from PIL import Image, ImageChops
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="compare-pages-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)

    def picture(path: Path) -> Image.Image:
        driver.set_window_size(1280, 900)
        driver.get(path.resolve().as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(height + 200, 16000))
        driver.get(path.resolve().as_uri())
        return Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")

    differ = []
    try:
        for page in sorted(old.glob("*.html")):
            before, after = picture(page), picture(new / page.name)
            if before.size == after.size and ImageChops.difference(before, after).getbbox() is None:
                continue
            differ.append(page.name)
            keep.mkdir(parents=True, exist_ok=True)
            before.save(keep / f"{page.stem}-old.png")
            after.save(keep / f"{page.stem}-new.png")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return differ


def main(rev: str) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="compare-pages-"))
    tree = scratch / "old"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True)
    try:
        for side, source in (("old", tree), ("new", ROOT)):
            subprocess.run([sys.executable, __file__, "--render", str(source), str(scratch / f"pages-{side}")],
                           check=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
        differ = compare(scratch / "pages-old", scratch / "pages-new", ROOT / "build" / "compare-pages")
        total = len(list((scratch / "pages-old").glob("*.html")))
        for name in differ:
            print(f"differs: {name} (pictures in build/compare-pages/)")
        print(f"{total - len(differ)} of {total} pages the same pixel for pixel as at {rev}")
        return 1 if differ else 0
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--render"]:
        render_all(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "HEAD"))
