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


def head_for(student, task: str) -> str | None:
    table = student.HEAD_FOR_TASK
    assert isinstance(table, dict), "HEAD_FOR_TASK should be a dict from task name to a class name"
    assert task in table, "HEAD_FOR_TASK should be a dict with the keys " + ", ".join(sorted(ACCEPTED))
    value = table.get(task)
    assert isinstance(value, str), "each value of HEAD_FOR_TASK should be a transformers class name as a string"
    # "transformers.GPT2LMHeadModel" and "GPT2LMHeadModel" name the same class
    return value.strip().rsplit(".", 1)[-1]


@pytest.mark.points(1)
@pytest.mark.exercise(EXERCISE)
@pytest.mark.parametrize("task", sorted(ACCEPTED))
def test_head_for_task(student, task):
    assert head_for(student, task) in ACCEPTED[task], (
        f"HEAD_FOR_TASK[{task!r}] is not a GPT-2 head that fits this task ({HINT[task]})"
    )
