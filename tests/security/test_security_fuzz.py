"""Property-based fuzzing of the two parsers that read untrusted bytes in the trusted process.

``codec.decode`` reads every message the sandbox sends; ``load_submission``/``parse_notebook`` read
every file a student submits. Whatever the bytes, they may only raise ``CodecError`` or
``SubmissionError``: any other exception would be a grader crash a student can trigger.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.core import codec
from autograder.core.errors import SubmissionError
from autograder.core.submission import load_submission, parse_notebook

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

# ------------------------------------------------------------------ codec


def _valid_messages() -> list[bytes]:
    values = [
        None, True, 3, -(10**40), 2.5, float("nan"), "héllo", b"\x00\xff", [1, [2, (3, None)]],
        {"a": 1, 2: "b", (1, "x"): [1.5]}, torch.arange(6, dtype=torch.float32).reshape(2, 3),
        torch.tensor([True, False]), np.arange(4, dtype=np.int16), codec.HandleRef(7, "Module"),
        codec.ConfigValue("GPT2Config", {"n_layer": 2, "vocab": [1, 2]}), torch.empty(0, 3),
        ("ok", {"error": None, "notes": ["x"]}, 4),
    ]
    return [codec.encode(value) for value in values]


VALID = _valid_messages()


def _decode_only_codec_errors(data: bytes) -> None:
    try:
        codec.decode(data)
    except codec.CodecError:
        pass


@FUZZ
@given(st.binary(max_size=2048))
def test_decode_random_bytes_raises_only_codec_errors(data: bytes) -> None:
    _decode_only_codec_errors(data)


@FUZZ
@given(st.sampled_from(VALID), st.data())
def test_decode_mutated_messages_raises_only_codec_errors(message: bytes, data: st.DataObject) -> None:
    raw = bytearray(message)
    for _ in range(data.draw(st.integers(1, 6))):
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "length"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if action == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        elif action == "delete" and raw:
            del raw[at:at + data.draw(st.integers(1, 8))]
        elif action == "truncate":
            del raw[at:]
        elif action == "length" and len(raw) >= at + 8:
            raw[at:at + 8] = struct.pack("<Q", data.draw(st.sampled_from([0, 1, 2**31, 2**63, 2**64 - 1])))
    _decode_only_codec_errors(bytes(raw))


@pytest.mark.parametrize("raw", [b"--5", b"-", b"", b"1_000", b" 1", b"\xd9\xa1"])
def test_decode_rejects_malformed_integers(raw: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode(b"i" + struct.pack("<Q", len(raw)) + raw)


def test_decoded_bool_tensors_hold_only_zero_and_one() -> None:
    message = bytearray(codec.encode(torch.tensor([True, False, True])))
    message[-3] = 2
    with pytest.raises(codec.CodecError):
        codec.decode(bytes(message))


def test_decode_builds_only_plain_types() -> None:
    class Sub(torch.Tensor):
        pass

    got = codec.decode(codec.encode(torch.zeros(2).as_subclass(Sub)))
    assert type(got) is torch.Tensor
    with pytest.raises(codec.CodecError):
        codec.decode(codec.encode({"k": 1})[:-1] + b"x")


# ------------------------------------------------------------------ submissions

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
CELL_KEYS = st.sampled_from(["cell_type", "source", "metadata", "outputs", "execution_count", "id",
                             "attachments"])


@st.composite
def notebook_like(draw: st.DrawFn) -> str:
    """JSON that looks more or less like a notebook: the shapes a broken file really has."""
    cells = draw(st.lists(
        st.dictionaries(CELL_KEYS, JSON_VALUES | st.sampled_from(["code", "markdown", "raw"]), max_size=6)
        | JSON_VALUES, max_size=4))
    notebook = {"cells": cells, "metadata": draw(JSON_VALUES),
                "nbformat": draw(st.sampled_from([4, 4, 3, "4", None, 5])),
                "nbformat_minor": draw(st.sampled_from([0, 2, 5, -1, "x"]))}
    for key in draw(st.lists(st.sampled_from(list(notebook)), max_size=2)):
        notebook.pop(key, None)
    return json.dumps(notebook)


@FUZZ
@given(notebook_like())
def test_parse_notebook_raises_only_submission_errors(text: str) -> None:
    try:
        cells, _hint = parse_notebook(text)
    except SubmissionError as exc:
        assert str(exc)
        return
    assert all(isinstance(cell.source, str) for cell in cells)


@FUZZ
@given(st.text(max_size=300))
def test_parse_notebook_random_text(text: str) -> None:
    try:
        parse_notebook(text)
    except SubmissionError:
        pass


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=600), st.sampled_from([".ipynb", ".py", ".txt", ".IPYNB"]))
def test_load_submission_random_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / f"student{suffix}"
    path.write_bytes(data)
    try:
        loaded = load_submission(path, max_bytes=1 << 20, expected_sheet="sec")
    except SubmissionError as exc:
        assert str(exc)
        return
    assert all(isinstance(cell.source, str) for cell in loaded.cells)
