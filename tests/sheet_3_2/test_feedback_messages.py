"""Wrong values say where (issue 22, item 9): known-wrong variants run against single hidden tests.

Each variant (tests/variants/sheet_3_2) is run in-process (``local_judge``) over the complete example
solution; the message a student would read must name the input, the expected value or the direction,
and a failing schedule test must attach a chart of the student's schedule.
"""

from __future__ import annotations

import pytest
from local_judge import (
    ROOT,
    LocalStudent,
    call_hidden,
    complete_namespace,
    hidden_module,
    local_plot,
)

import reference.sheet_3_2 as ref

VARIANTS = ROOT / "tests" / "variants" / "sheet_3_2"
schedules = hidden_module("test_schedules")
heads = hidden_module("test_heads")


def failure(module, test: str, *sources: str, **fixtures) -> tuple[str, int]:
    """``(message, charts attached)`` of ``test`` failing on the complete solution plus ``sources``."""
    student = LocalStudent(complete_namespace(*sources))
    plot = local_plot()
    with pytest.raises(AssertionError) as failed:
        call_hidden(getattr(module, test), student=student, ref=ref, plot=plot, **fixtures)
    return str(failed.value), len(plot)


def variant(name: str) -> str:
    return (VARIANTS / f"{name}.py").read_text()


def test_cosine_lr_names_the_call_the_expected_value_and_the_direction() -> None:
    message, charts = failure(schedules, "test_cosine_lr_matches_the_closed_form", variant("cosine_warmup_off_by_one"))
    assert "; cosine_lr(0, base_lr=1.0, total_steps=45, warmup_steps=21, min_lr=0.0): got 0.047619047619047616 " \
           "(too high), expected 0.0" in message
    assert charts == 1  # the student's schedule for those arguments, drawn once


def test_a_list_of_steps_says_which_step_not_an_index() -> None:
    message, charts = failure(schedules, "test_cosine_lr_matches_transformers_schedule",
                              variant("cosine_warmup_off_by_one"))
    assert message.endswith("cosine_lr(step, base_lr=0.001, total_steps=100, warmup_steps=10) (at step 0): "
                            "got 0.0001 (too high), expected 0.0")
    assert "(at [0])" not in message and charts == 1


def test_steps_past_the_end_are_named_by_step() -> None:
    message, charts = failure(schedules, "test_cosine_lr_min_lr_and_steps_past_the_end",
                              variant("cosine_min_lr_ignored"))
    assert "min_lr=0.02) (at step 50): got 0.0 (too low), expected 0.02" in message and charts == 1


def test_the_scheduler_says_after_how_many_steps() -> None:
    message, charts = failure(schedules, "test_scheduler_follows_cosine_lr_step_by_step",
                              variant("scheduler_one_step_ahead"))
    assert "on an optimizer made with lr=0.1 (at the lr after 0 calls of scheduler.step()): got 0.02 (too high), " \
           "expected 0.0" in message
    assert charts == 1


def test_a_head_given_as_a_class_reads_as_a_class() -> None:
    source = "import transformers\nHEAD_FOR_TASK = {**HEAD_FOR_TASK, 'pos_tagging': transformers.GPT2ForTokenClassification}"
    message, _ = failure(heads, "test_head_for_task", source, task="pos_tagging")
    assert message.startswith("HEAD_FOR_TASK['pos_tagging'] holds a class itself, not its name")
    assert "is not a GPT-2 head that fits" not in message


def test_a_wrong_head_is_named_with_what_the_task_needs() -> None:
    message, _ = failure(heads, "test_head_for_task", variant("heads_summarization_cls"), task="summarization")
    assert message == ("HEAD_FOR_TASK['summarization'] is 'GPT2ForSequenceClassification', a GPT-2 class that does "
                       "not fit this task: it needs a head for generating a new text")
