"""The wire codec: round trips, caps, and fuzzing of the decoder (it may only raise CodecError)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.core import codec
from autograder.core.codec import CodecError, ConfigValue, HandleRef, decode, encode

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=300)

data_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(data_values)
def test_round_trip_of_plain_data(value):
    assert decode(encode(value)) == value


@pytest.mark.parametrize("tensor", [
    torch.arange(6).reshape(2, 3), torch.tensor(2.5), torch.zeros(0, 3), torch.ones(2, dtype=torch.bfloat16),
    torch.tensor([True, False]), torch.randn(3, 4, dtype=torch.float64), torch.arange(4, dtype=torch.int8),
])
def test_tensors_round_trip_as_plain_tensors(tensor):
    back = decode(encode(tensor))
    assert type(back) is torch.Tensor
    assert back.dtype == tensor.dtype and back.shape == tensor.shape
    assert torch.equal(back, tensor)


def test_tensor_subclass_and_parameter_arrive_as_plain_tensors():
    class Sneaky(torch.Tensor):
        def __eq__(self, other):
            return True

    sneaky = torch.ones(2).as_subclass(Sneaky)
    assert type(decode(encode(sneaky))) is torch.Tensor
    param = torch.nn.Parameter(torch.ones(3))
    back = decode(encode(param))
    assert type(back) is torch.Tensor and not back.requires_grad


def test_numpy_arrays_handles_and_configs():
    array = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(decode(encode(array)), array)
    assert decode(encode(HandleRef(7, "Linear"))) == HandleRef(7, "Linear")
    config = decode(encode(ConfigValue("GPT2Config", {"n_layer": 2})))
    assert config == ConfigValue("GPT2Config", {"n_layer": 2})


def test_unknown_objects_are_refused_without_a_fallback():
    with pytest.raises(CodecError):
        encode(object())
    with pytest.raises(CodecError):
        encode(torch.ones(2, dtype=torch.complex64))


def test_config_class_outside_the_allow_list_is_refused():
    good = encode(ConfigValue("GPT2Config", {}))
    bad = good.replace(b"GPT2Config", b"Evil2Config")
    with pytest.raises(CodecError):
        decode(bad)


def test_pickles_are_not_decoded():
    with pytest.raises(CodecError):
        decode(pickle.dumps({"a": 1}))


def test_depth_and_size_caps():
    deep: list = []
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(CodecError):
        encode(deep)
    with pytest.raises(CodecError):
        encode(b"x" * 2000, max_bytes=1000)
    # a hand-built message claiming a huge list must fail fast, not allocate
    with pytest.raises(CodecError):
        decode(b"l" + (2**62).to_bytes(8, "little"))


def test_tensor_shape_must_match_its_data():
    raw = bytearray(encode(torch.arange(4, dtype=torch.int64)))
    raw[-33] ^= 0x01  # corrupt a dimension
    with pytest.raises(CodecError):
        decode(bytes(raw))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_codec_error(blob):
    try:
        decode(blob)
    except CodecError:
        pass


@FUZZ
@given(data_values, st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255))
def test_mutated_messages_only_raise_codec_error(value, position, byte):
    raw = bytearray(encode([value, torch.arange(3)]))
    raw[position % len(raw)] = byte
    try:
        decode(bytes(raw))
    except CodecError:
        pass


def test_large_handle_ids_and_dimensions_in_small_messages():
    # ids grow with every handle; they are not lengths and must not be bounded by the message size
    assert decode(encode((HandleRef(10**6, "method"), [0.5]))) == (HandleRef(10**6, "method"), [0.5])
    assert decode(encode(torch.zeros(0, 5000))).shape == (0, 5000)
