"""Grade each distinct submission once: identical files of a batch share one grading.

Two submissions with the same content (SHA-256) in one batch are graded by the same suite and
engine (the batch's), so their grades would be equal; grading the second again costs a worker for
nothing. The first of each group is graded; every other member gets a copy of its result under its
own id, file name and submission time (the late policy is applied to each as usual), and both say so
in ``extra_data`` (staff-only: a student never sees who else handed in the same file). Copying is
no verdict on the pair: the similarity report still lists it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from autograder.core.results import SubmissionResult

SHARED_FROM = "grading_shared_from"  # ExtraData field, on a copy: the student id whose grading it reuses
SHARED_WITH = "identical_submissions"  # ExtraData field, on every member: the other ids with the same content


class _Item(Protocol):
    @property
    def student_id(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def path(self) -> Path | None: ...


T = TypeVar("T", bound=_Item)


def content_key(item: _Item) -> str | None:
    """What two submissions must share to share a grading: the bytes and the kind of file (the same
    bytes are a gradable ``.py`` and a broken ``.ipynb``); None for a missing or unreadable file."""
    if item.path is None or not item.sha256 or item.sha256.startswith(("none:", "unreadable:")):
        return None
    return f"{item.sha256}:{item.path.suffix}"


def split_twins(items: Iterable[T], *, graded: Iterable[T] = (),
                key: Callable[[T], Hashable] | None = None) -> tuple[list[T], dict[str, list[T]]]:
    """``(to grade, twins)``: the first item of each content, and the others under the first's id.

    ``graded``: items whose grading is already finished; an item with the same content as one of
    them is its twin. ``key``: what must be equal besides (default :func:`content_key`; an item
    whose content key is None is never a twin).
    """
    keyed = key or content_key

    def usable(item: T) -> Hashable | None:
        return keyed(item) if content_key(item) is not None else None

    first = {k: item.student_id for item in graded if (k := usable(item)) is not None}
    todo: list[T] = []
    twins: dict[str, list[T]] = {}
    for item in items:
        k = usable(item)
        if k is not None and k in first:
            twins.setdefault(first[k], []).append(item)
            continue
        if k is not None:
            first[k] = item.student_id
        todo.append(item)
    return todo, twins


def mark_shared(result: SubmissionResult, others: Sequence[str]) -> SubmissionResult:
    """The graded result, saying which other submissions had the same content."""
    if not others:
        return result
    return result.with_extra(identical_submissions=sorted(others))


def shared_copy(result: SubmissionResult, *, student_id: str, submission: str, submitted_at: dt.datetime | None,
                others: Sequence[str]) -> SubmissionResult:
    """``result`` (graded for another student with the same file) recorded for ``student_id``."""
    extra = result.extra_data.updated(grading_shared_from=result.student_id,
                                      identical_submissions=sorted({*others, result.student_id} - {student_id}))
    return result.model_copy(update={"student_id": student_id, "submission": submission,
                                     "submitted_at": submitted_at, "extra_data": extra,
                                     "late_penalty": 0.0})
