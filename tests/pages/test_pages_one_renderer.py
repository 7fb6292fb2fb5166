"""One way to render a page (issue 23 item 5): one autoescaped environment, its templates, one stylesheet.

A renderer that builds HTML by hand (an f-string with a tag in it, ``html.escape``) fails here, so a
fifth renderer cannot creep back; every page embeds the one stylesheet; the templates and the
stylesheet ship as package data; the bundle's copy of the check runner renders the same table.
"""

from __future__ import annotations

import ast
import datetime as dt
import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import UndefinedError

from autograder import pages
from autograder.core.config import load_config
from autograder.core.results import CaseResult, SubmissionResult
from autograder.outputs.feedback import context_for, feedback_fragment, feedback_html
from autograder.outputs.report import report_html
from autograder.similarity.compare import PairScore, Region, Settings
from autograder.similarity.render import index_html, pair_html
from autograder.student.checks import FAIL, PASS, TODO, CheckRow, render_html

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "autograder"
TOY = ROOT / "tests" / "toy_course"
HOSTILE = "<script>alert('x')</script>\"&"

HTML_TAG = re.compile(
    r"</?(a|b|i|p|br|hr|div|span|table|thead|tbody|tr|td|th|pre|code|h[1-6]|ul|ol|li|details|summary|"
    r"section|style|img|html|head|body|main|mark|form|input|button|label|select|option|script|meta|title|"
    r"small|nav|header|footer|svg|rect|textarea|link|em|strong|sup|sub|caption|iframe|noscript)[\s>/]",
    re.IGNORECASE)
MARKDOWN = {"mdtext.py"}  # escapes HTML inside markdown text, which is not a page: stays


def hand_built_html(path: Path) -> list[str]:
    """Where ``path`` builds HTML by hand: f-strings holding a tag, ``html.escape``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values
                           if isinstance(part, ast.Constant) and isinstance(part.value, str))
            if HTML_TAG.search(text):
                found.append(f"{path.name}:{node.lineno}: an f-string with an HTML tag")
        elif isinstance(node, ast.Attribute) and node.attr == "escape" and getattr(node.value, "id", "") == "html":
            found.append(f"{path.name}:{node.lineno}: html.escape")
        elif isinstance(node, ast.ImportFrom) and node.module == "html" and any(a.name == "escape" for a in node.names):
            found.append(f"{path.name}:{node.lineno}: from html import escape")
    return found


def test_no_module_builds_html_by_hand() -> None:
    """Every page is a template of autograder/pages: a module that writes tags in f-strings or calls
    html.escape is a renderer of its own (its escaping and its CSS drift from the others')."""
    offenders = {path.name: hits for path in sorted(PACKAGE.rglob("*.py"))
                 if (hits := hand_built_html(path)) and path.name not in MARKDOWN}
    assert offenders == {}, offenders


def test_the_guard_sees_an_f_string_tag_and_html_escape(tmp_path: Path) -> None:
    sample = tmp_path / "fifth_renderer.py"
    sample.write_text("import html\n\ndef row(x):\n    return f'<tr><td>{html.escape(x)}</td></tr>'\n"
                      "def fine(x):\n    return f'a < b is {x}'\n")
    assert hand_built_html(sample) == ["fifth_renderer.py:4: an f-string with an HTML tag",
                                       "fifth_renderer.py:4: html.escape"]


def test_one_environment_escapes_every_value_and_refuses_unknown_names() -> None:
    env = pages.environment()
    assert env is pages.environment() and env.autoescape is True
    page = env.from_string("<p title=\"{{ x }}\">{{ x }}</p>{{ safe }}").render(x=HOSTILE, safe=pages.Markup("<i>ok</i>"))
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp;"  # as html.escape(quote=True)
    assert page == f'<p title="{escaped}">{escaped}</p><i>ok</i>'
    with pytest.raises(UndefinedError):
        env.from_string("{{ nobody_passed_this }}").render()


def test_every_template_compiles_in_the_one_environment() -> None:
    env = pages.environment()
    names = env.list_templates()
    assert {"feedback/page.html", "feedback/fragment.html", "report/page.html", "similarity/index.html",
            "similarity/pair.html", "service/base.html", "service/ta.html", "client.html", "checks.html"} <= set(names)
    for name in names:
        env.get_template(name)


def test_templates_and_stylesheet_are_package_data() -> None:
    """Every file of autograder/pages is matched by pyproject's package-data (so a wheel carries it) and
    is read through importlib.resources (as an installed package reads it)."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["autograder"]
    shipped = [path for path in (PACKAGE / "pages").rglob("*") if path.is_file() and path.suffix != ".py"
               and "__pycache__" not in path.parts]
    assert {path.name for path in shipped} >= {"style.css", "checks.html", "page.html"}
    for path in shipped:
        relative = path.relative_to(PACKAGE).as_posix()
        assert any(fnmatch.fnmatch(relative, glob) and relative.count("/") == glob.count("/") for glob in globs), relative
    for name in pages.environment().list_templates():
        assert pages.template_source(name)
    assert "section: feedback" in str(pages.stylesheet())


@pytest.fixture(scope="module")
def toy():
    config = load_config(TOY / "course_config.py")
    return config, config.sheet("toy")


def _result(student_id: str = HOSTILE) -> SubmissionResult:
    case = CaseResult(name="test_add", number="basics", score=0.0, max_score=2.0, status="failed",
                      output=f"add returned {HOSTILE}", visibility="visible", student_output=HOSTILE)
    return SubmissionResult(student_id=student_id, sheet="toy", submission=f"{HOSTILE}.ipynb", score=0.0,
                            max_score=4.0, tests=(case,), output=f"printed {HOSTILE}")


def _pair_pages() -> list[str]:
    own = [SimpleNamespace(own=SimpleNamespace(key=key, source=f"/x/{key}.ipynb", sha256="0" * 64, cells=1,
                                               text=f"def f():\n    return '{HOSTILE}'\n", note=""))
           for key in (HOSTILE, "bob")]
    pair = PairScore(a=HOSTILE, b="bob", share_a=1.0, share_b=1.0, matched_a=30, matched_b=30, longest_run=30,
                     flagged=True)
    regions = ([Region(0, 0, 8, 0)], [Region(0, 0, 8, 0)])
    return [index_html(title=HOSTILE, pairs=[pair], shown=1, docs=own, left_out=[(HOSTILE, HOSTILE)],  # type: ignore[arg-type]
                       settings=Settings(), seconds=0.5),
            pair_html(title=HOSTILE, rank=1, pair=pair, a=own[0], b=own[1], regions=regions,  # type: ignore[arg-type]
                      made=HOSTILE, settings=Settings())]


def _service_page() -> str:
    from autograder.service.templates import environment

    return environment().get_template("error.html").render(course=HOSTILE, prefix="/p/", user=None, detail=HOSTILE)


def test_every_page_embeds_the_one_stylesheet_and_escapes_what_it_is_given(toy) -> None:
    config, sheet = toy
    context = context_for(config, sheet, now=dt.datetime.now(dt.UTC))
    whole = str(pages.stylesheet())
    standalone = {"feedback page": feedback_html(_result(), context), "TA report": report_html([_result()], sheet),
                  "similarity index": _pair_pages()[0], "similarity pair": _pair_pages()[1],
                  "service page": _service_page()}
    for name, page in standalone.items():
        assert page.count(whole) == 1, name
        assert len(re.findall(r"<style>", page)) == (2 if name == "feedback page" else 1), name
        assert "<script>alert" not in page and "alert(&#x27;x&#x27;)" in page, name
    fragments = {"feedback": feedback_fragment(_result(), context),
                 "checks": render_html([CheckRow("e", "c", FAIL, HOSTILE), CheckRow("e", "d", PASS), CheckRow("f", "g", TODO)]),
                 "client": _client_html()}
    for section, fragment in fragments.items():
        assert fragment is not None
        assert f"<style>{pages.stylesheet(section)}</style>" in fragment and pages.stylesheet(section) in whole
        assert "<script>alert" not in fragment, section


def _client_html() -> str:
    from autograder.student.client import result_html

    return result_html({"id": 1, "filename": HOSTILE, "status": "done", "late_message": HOSTILE,
                        "result": {"score": 1, "max_score": 2}})


BUNDLE_RUN = """
import json, sys
sys.modules["autograder"] = None  # a kernel without the package
{block}
from _autograder_checks import CheckRow, render_html
print(json.dumps(render_html([CheckRow("one", "add", "FAIL", "<b>no</b>"), CheckRow("two", "later", "to do")])))
"""


@pytest.mark.parametrize("jinja2", [True, False])
def test_the_bundles_copy_renders_the_shipped_template_or_leaves_html_out(tmp_path: Path, jinja2: bool) -> None:
    """The bundle is one file: its header carries checks.html and the stylesheet's checks section, which
    it renders with jinja2; without jinja2 there is no HTML and the front end shows the text table."""
    from autograder.release.standalone import FILE, runner_source

    (tmp_path / FILE).write_text(runner_source(), encoding="utf-8")
    block = "" if jinja2 else 'sys.modules["jinja2"] = None'
    out = subprocess.run([sys.executable, "-c", BUNDLE_RUN.format(block=block)], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout.strip()
    page = json.loads(out)
    if not jinja2:
        assert page is None
        return
    packaged = render_html([CheckRow("one", "add", FAIL, "<b>no</b>"), CheckRow("two", "later", TODO)])
    assert page.replace("&#39;", "&#x27;").replace("&#34;", "&quot;") == packaged
    assert f"<style>{pages.stylesheet('checks')}</style>" in page and "&lt;b&gt;no&lt;/b&gt;" in page


def test_authoring_reads_public_check_names_without_the_feedback_renderer() -> None:
    code = ("import sys, autograder.authoring.build, autograder.student.checks as c\n"
            "assert c.public_check_names\nprint('autograder.outputs.feedback' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
