"""Exercise 3.2.1.3: which GPT-2 head fits which task (one point per task; the written question
"why this head" is the exercise's staff-graded point)."""

from __future__ import annotations

import pytest

EXERCISE = "3.2.1.3"

ACCEPTED = {
    "pos_tagging": {"GPT2ForTokenClassification"},
    "sentiment_classification": {"GPT2ForSequenceClassification"},
    "summarization": {"GPT2LMHeadModel"},
    "multiple_choice_qa": {"GPT2DoubleHeadsModel", "GPT2ForSequenceClassification"},
    "translation": {"GPT2LMHeadModel"},
}

HINT = {
    "pos_tagging": "one label per token",
    "sentiment_classification": "one label per text",
    "summarization": "generating a new text",
    "multiple_choice_qa": "scoring each option and picking one",
    "translation": "generating a new text",
}


def head_for(student, task: str) -> str:
    """The class name HEAD_FOR_TASK gives ``task``; a failed check that says what is there instead."""
    table = student.HEAD_FOR_TASK
    assert isinstance(table, dict), "HEAD_FOR_TASK should be a dict from task name to a class name"
    assert task in table, (f"HEAD_FOR_TASK has no entry for {task!r}: it should be a dict with the keys "
                           + ", ".join(sorted(ACCEPTED)))
    value = table[task]
    if isinstance(value, type) or getattr(value, "type_name", None) == "type":  # a class (a handle from the sandbox)
        raise AssertionError(
            f"HEAD_FOR_TASK[{task!r}] holds a class itself, not its name: write the class name as a "
            "string in quotes, e.g. \"GPT2Model\" rather than GPT2Model")
    assert isinstance(value, str), (
        f"HEAD_FOR_TASK[{task!r}] should be a transformers class name as a string, not {type(value).__name__}")
    # "transformers.GPT2LMHeadModel" and "GPT2LMHeadModel" name the same class
    return value.strip().rsplit(".", 1)[-1]


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.parametrize("task", sorted(ACCEPTED))
def test_head_for_task(student, task):
    name = head_for(student, task)
    if not name.startswith("GPT2"):
        raise AssertionError(f"HEAD_FOR_TASK[{task!r}] is {name!r}, not a GPT-2 class: the names start with "
                             "GPT2 (see transformers' GPT-2 model classes)")
    assert name in ACCEPTED[task], (
        f"HEAD_FOR_TASK[{task!r}] is {name!r}, a GPT-2 class that does not fit this task: it needs a "
        f"head for {HINT[task]}"
    )
