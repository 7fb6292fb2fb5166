"""autograder.judge.testing (what hidden suites share) and the judge plugin's ``memo`` and ``seeded`` fixtures."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import torch

from autograder.judge.rpc import SandboxTimeout
from autograder.judge.testing import Memo, build_seeded, register_hypothesis_profile


def test_memo_computes_once_and_replays_a_failure_without_running_again() -> None:
    memo, calls = Memo(), []
    assert memo.once("run", lambda: calls.append(1) or 42) == 42
    assert memo.once("run", lambda: calls.append(1) or 0) == 42 and calls == [1]

    def times_out() -> None:
        calls.append(2)
        raise SandboxTimeout("the training run took too long")

    for _ in range(2):
        with pytest.raises(SandboxTimeout, match="too long"):
            memo.once("slow", times_out)
    assert calls == [1, 2]


def test_memo_judged_turns_the_judges_error_into_a_failed_check() -> None:
    memo = Memo()
    with pytest.raises(AssertionError, match=r"the losses are not a list \(TypeError: no len\)"):
        memo.once("losses", lambda: (_ for _ in ()).throw(TypeError("no len")), judged="the losses are not a list")
    with pytest.raises(AssertionError, match="the losses are not a list"):
        memo.once("losses", lambda: [1.0])  # the same failure, not a second run
    with pytest.raises(TypeError):  # without judged= the judge's error stays a grader error
        Memo().once("x", lambda: (_ for _ in ()).throw(TypeError("no len")))


def test_build_seeded_is_reproducible_and_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = build_seeded(7, lambda: torch.randn(3))
    assert torch.equal(first, build_seeded(7, lambda: torch.randn(3)))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_the_hypothesis_profile_fits_grading() -> None:
    from hypothesis import Phase, settings

    name = register_hypothesis_profile("autograder_test_profile", max_examples=7)
    profile = settings.get_profile(name)
    assert profile.derandomize and profile.database is None and profile.deadline is None
    assert profile.max_examples == 7 and Phase.shrink not in profile.phases


SUITE = '''
import pytest
import torch

SEEN = []

@pytest.mark.points(1)
@pytest.mark.exercise("e")
def test_memo_and_seeded(memo, seeded):
    assert memo.once("k", lambda: 5) == 5
    assert torch.equal(seeded(3, lambda: torch.randn(2)), seeded(3, lambda: torch.randn(2)))
    SEEN.append(memo)

@pytest.mark.points(1)
@pytest.mark.exercise("e")
def test_the_memo_lives_for_the_session(memo):
    assert memo is SEEN[0] and memo.once("k", lambda: 0) == 5
'''


def test_the_judge_plugin_provides_memo_and_seeded(tmp_path: Path) -> None:
    from autograder.judge.plugin import JudgePlugin

    (tmp_path / "test_shared_fixtures.py").write_text(SUITE)
    session = types.SimpleNamespace(deadline=None, load_time_s=0.0, take_output=lambda: "",
                                    begin_check=lambda limit, name="": None, end_check=dict,
                                    backstop=lambda limit: limit)
    plugin = JudgePlugin(session=session, reference=types.ModuleType("ref"),  # type: ignore[arg-type]
                         device="cpu", default_timeout=30.0, points={"e": 2})
    code = pytest.main([str(tmp_path), "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                        "--rootdir", str(tmp_path)], plugins=[plugin])
    assert code == 0 and not plugin.state.suite_errors
    assert [case.status for case in plugin.results()] == ["passed", "passed"]
