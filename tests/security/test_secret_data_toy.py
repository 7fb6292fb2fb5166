"""The secret-data rule on a sheet that is not 3.2: the toy course plus a hidden suite that uses secrets.

A copy of ``tests/toy_course`` gets held-out words in its hidden folder, a reference that caches
them while the grading worker warms up, and hidden tests that reach secret data every way the rule
names: a file under the hidden folder read by a fixture, that fixture's cached value, the
reference's warm cache, a memo value, ``secret()``, ``@pytest.mark.secret``, and a later test whose
sandbox process already received secret data. A student who echoes, raises and stashes every
argument gets none of it back; the checks that used no secret data keep their full feedback.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
from pathlib import Path

import pytest

from autograder.core.config import load_config
from autograder.core.results import CaseResult, to_gradescope
from autograder.grading.batch import grade_batch
from autograder.judge import secret as secret_data
from autograder.judge.secret import NEUTRAL_MESSAGE, NEUTRAL_PRINTED
from autograder.judge.testing import Memo
from autograder.outputs.feedback import context_for, feedback_html
from autograder.outputs.student_view import student_view

TOY = Path(__file__).resolve().parents[1] / "toy_course"

REFERENCE_CACHE = '''
import functools as _functools
import json as _json
from pathlib import Path as _Path

_HELDOUT = _Path(__file__).resolve().parents[1] / "hidden" / "toy" / "data" / "heldout.json"


@_functools.cache
def cached_words():
    return _json.loads(_HELDOUT.read_text())["words"]


def warm_judge():
    cached_words()
'''

SECRET_SUITE = '''
import json
from pathlib import Path

import pytest

from autograder.judge.testing import safe_message, secret

DATA = Path(__file__).parent / "data" / "heldout.json"


@pytest.fixture(scope="module")
def heldout():
    return json.loads(DATA.read_text())["words"]


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_fixture_reads_the_hidden_folder(student, heldout):
    got = student.echo(heldout[0])
    assert got == "?", f"echo returned {got!r}"


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_cached_fixture(student, heldout):
    student.shout(heldout[1])


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_reference_cache_from_warm_up(student, ref):
    got = student.echo(ref.cached_words()[2])
    assert got == "?", f"echo returned {got!r}"


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_declared_secret(student):
    got = student.echo(secret("@@DECLARED@@"))
    assert got == "?", f"echo returned {got!r}"


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_sandbox_that_saw_secrets(student):
    got = student.dump()
    assert got == [], f"dump returned {got!r}"


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_safe_aggregate(student, heldout):
    student.echo(heldout[3])
    assert False, safe_message(f"aggregate: {len(heldout)} held-out words")


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
def test_fixed_message(student, heldout):
    student.echo(heldout[4])
    assert False, "a fixed message the author wrote is shown"


@pytest.mark.points(1)
@pytest.mark.exercise("secret")
@pytest.mark.secret
def test_marked_secret(student):
    got = student.echo("@@MARKED@@")
    assert got == "?", f"echo returned {got!r}"
'''

PUBLIC_SUITE = '''
import pytest


@pytest.mark.points(1)
@pytest.mark.exercise("public")
def test_public_echo(student):
    got = student.echo("@@PUBLIC@@")
    assert got == "?", f"echo returned {got!r}"
'''

STUDENT = '''
STASH = []

def echo(x):
    STASH.append(str(x))
    print("ECHO", x)
    return x

def shout(x):
    STASH.append(str(x))
    raise ValueError(f"SHOUT {x}")

def dump():
    print("DUMP", STASH)
    return list(STASH)
'''


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy") / "course"
    shutil.copytree(TOY, root, ignore=shutil.ignore_patterns("__pycache__", "submissions"))
    tokens = {key: f"{key}-{secrets.token_hex(6)}" for key in ("DECLARED", "MARKED", "PUBLIC")}
    words = [f"heldout-{secrets.token_hex(6)}" for _ in range(5)]
    data = root / "hidden" / "toy" / "data"
    data.mkdir()
    (data / "heldout.json").write_text(json.dumps({"words": words}))
    suite = SECRET_SUITE.replace("@@DECLARED@@", tokens["DECLARED"]).replace("@@MARKED@@", tokens["MARKED"])
    (root / "hidden" / "toy" / "test_zz_secret.py").write_text(suite)
    (root / "hidden" / "toy" / "test_public_echo.py").write_text(PUBLIC_SUITE.replace("@@PUBLIC@@", tokens["PUBLIC"]))
    with (root / "toy_reference" / "__init__.py").open("a") as handle:
        handle.write(REFERENCE_CACHE)
    config_file = root / "course_config.py"
    config_file.write_text(config_file.read_text().replace(
        '"objects": 3}', '"objects": 3, "secret": 8, "public": 1}'))
    subs = root / "submissions"
    subs.mkdir()
    (subs / "mallory.py").write_text((TOY / "submissions" / "correct.py").read_text() + STUDENT)
    config = load_config(config_file)
    summary = grade_batch(config=config, sheet="toy", paths=[subs], out_dir=root / "out", jobs=1,
                          device="cpu", config_file=config_file)
    result = summary.results[0]
    return config, result, words, tokens


def student_texts(config, result) -> dict[str, str]:
    sheet = config.sheet("toy")
    context = context_for(config, sheet, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), published=True)
    return {"results JSON": json.dumps(to_gradescope(result, include_staff=False)),
            "student view": json.dumps(student_view(result, context)),
            "feedback HTML": feedback_html(result, context)}


def test_no_secret_reaches_the_student_and_staff_keep_it(toy):
    config, result, words, tokens = toy
    secret_values = [*words, tokens["DECLARED"], tokens["MARKED"]]
    assert not result.grader_error
    for where, text in student_texts(config, result).items():
        assert [value for value in secret_values if value in text] == [], where
    staff = json.dumps(to_gradescope(result, include_staff=True))
    assert all(value in staff for value in secret_values), "the attack did not run: the test proves nothing"


def test_every_way_of_reaching_secret_data_taints_its_check(toy):
    _, result, _, _ = toy
    cases = {case.name: case for case in result.tests}
    for name in ("test_fixture_reads_the_hidden_folder", "test_cached_fixture", "test_reference_cache_from_warm_up",
                 "test_declared_secret", "test_sandbox_that_saw_secrets", "test_marked_secret"):
        case = cases[name]
        assert case.secret and case.status == "failed", name
        assert case.output == NEUTRAL_MESSAGE and case.staff_message, name
        if name != "test_cached_fixture":  # shout raises without printing
            assert case.student_output == NEUTRAL_PRINTED and case.staff_printed, name
    assert [case.name for case in result.tests][-1] == "test_marked_secret"  # secret tests run last


def test_checks_without_secrets_and_safe_messages_keep_their_feedback(toy):
    _, result, _, tokens = toy
    cases = {case.name: case for case in result.tests}
    public = cases["test_public_echo"]
    assert not public.secret and tokens["PUBLIC"] in public.output and tokens["PUBLIC"] in public.student_output
    assert cases["test_safe_aggregate"].output == "aggregate: 5 held-out words"
    assert cases["test_fixed_message"].output == "a fixed message the author wrote is shown"
    assert cases["test_add"].status == "passed" and not cases["test_add"].secret


def test_the_grade_is_what_the_checks_decided(toy):
    _, result, _, _ = toy
    assert result.exercise_scores() == {"basics": (4, 4), "tensors": (3, 3), "objects": (3, 3),
                                        "public": (0, 1), "secret": (0, 8)}


# ------------------------------------------------------------------ the rule's parts, without a sandbox


def test_a_memo_value_computed_with_secret_data_taints_its_readers():
    tracker = secret_data.start()
    memo = Memo()
    try:
        tracker.current = "first"
        memo.once("held-out", lambda: secret_data.secret([1, 2]))
        tracker.current = "second"
        assert memo.once("held-out", lambda: None) == [1, 2]
        tracker.current = "third"
        memo.once("public", lambda: 3)
    finally:
        secret_data.stop()
    assert set(tracker.tainted) == {"first", "second"}


def test_a_sandbox_process_that_received_secret_data_taints_later_checks_until_it_restarts():
    tracker = secret_data.SecretTracker()
    tracker.current = "a"
    tracker.student_call(1)
    tracker.current = "b"
    tracker.taint("declared")
    tracker.student_call(1)
    tracker.current = "c"
    tracker.student_call(1)
    tracker.current = "d"
    tracker.student_call(2)  # a restarted sandbox
    assert set(tracker.tainted) == {"b", "c"}


def test_withholding_keeps_the_grade_and_the_originals_for_staff():
    case = CaseResult(name="t", number="e", score=0, max_score=2, status="failed",
                      output="Your code raised ValueError: held-out", student_output="held-out")
    shown = secret_data.withhold(case, message_safe=False, reason="r")
    assert (shown.output, shown.student_output) == (NEUTRAL_MESSAGE, NEUTRAL_PRINTED)
    assert (shown.staff_message, shown.staff_printed, shown.score, shown.status) == (
        case.output, case.student_output, 0, "failed")
    stub = case.model_copy(update={"output": "Your code raised NotImplementedError: held-out"})
    assert secret_data.withhold(stub, message_safe=False, reason="r").output == "Your code raised NotImplementedError"
