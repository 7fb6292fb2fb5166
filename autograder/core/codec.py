"""The data-only wire format between judge and sandbox.

No general unpickler ever sees bytes from the sandbox. A value is one of: None, bool, int, float,
str, bytes, list, tuple, dict, a dense torch tensor, a numpy array, a transformers config (an
allow-listed class name plus its ``to_dict()``), a remote handle reference, or nothing else. The
decoder builds only exact built-in types, plain ``torch.Tensor`` and plain ``numpy.ndarray``, and
enforces caps on size, depth and element count, so a hostile peer can make it raise
:class:`CodecError` but never run code or build an object with behaviour of its own.

Layout: a one-byte tag, then a payload; lengths are unsigned 64-bit little endian.
"""

from __future__ import annotations

import functools
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64
MAX_ITEMS = 2_000_000
MAX_BYTES = 512 * 1024 * 1024

_U64 = struct.Struct("<Q")
_INTEGER = re.compile(rb"-?[0-9]+")
_F64 = struct.Struct("<d")
MAX_DIMS = 32
_SHAPES = [struct.Struct(f"<{ndim}Q") for ndim in range(MAX_DIMS + 1)]  # a tensor's sizes, by ndim

# torch dtypes allowed on the wire (name -> element size); anything else is refused.
TENSOR_DTYPES = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2,
    "int64": 8, "int32": 4, "int16": 2, "int8": 1, "uint8": 1, "bool": 1,
}
NUMPY_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"}
CONFIG_CLASSES = {"GPT2Config", "BertConfig", "PretrainedConfig"}


class CodecError(ValueError):
    """Bytes that are not a valid, in-bounds message."""


@dataclass(frozen=True)
class HandleRef:
    """A reference to an object that stays in the sandbox."""

    id: int
    type_name: str = ""


@dataclass(frozen=True)
class ConfigValue:
    """A transformers config in transit (decoded lazily into the real class by the receiver)."""

    class_name: str
    data: dict[str, Any]


def too_large(limit: int) -> str:
    """The message for a value over a size limit (students read it)."""
    return f"the value is larger than the {limit / 2**20:g} MB that one call may return"


# --------------------------------------------------------------------------- encoding


class _Encoder:
    def __init__(self, fallback: Any = None, max_bytes: int = MAX_BYTES) -> None:
        self.out = bytearray()
        self.fallback = fallback
        self.max_bytes = max_bytes
        self.items = 0

    def write_len(self, n: int) -> None:
        self.out += _U64.pack(n)

    def write_blob(self, tag: bytes, data: bytes | memoryview) -> None:
        self.out += tag
        self.write_len(len(data))
        self.out += data

    def encode(self, value: Any, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise CodecError(f"value nested deeper than {MAX_DEPTH} levels")
        self.items += 1
        if self.items > MAX_ITEMS:
            raise CodecError(f"value has more than {MAX_ITEMS} elements")
        if len(self.out) > self.max_bytes:
            raise CodecError(too_large(self.max_bytes))
        kind = type(value)
        if value is None:
            self.out += b"N"
        elif kind is bool:
            self.out += b"T" if value else b"F"
        elif kind is int:
            raw = str(value).encode()
            if len(raw) > 4300:
                raise CodecError("integer too large")
            self.write_blob(b"i", raw)
        elif kind is float:
            self.out += b"f" + _F64.pack(value)
        elif kind is str:
            self.write_blob(b"s", value.encode("utf-8", "surrogatepass"))
        elif kind is bytes:
            self.write_blob(b"b", value)
        elif kind is list or kind is tuple:
            self.out += b"l" if kind is list else b"t"
            self.write_len(len(value))
            for item in value:
                self.encode(item, depth + 1)
        elif kind is dict:
            self.out += b"d"
            self.write_len(len(value))
            for key, item in value.items():
                self.encode(key, depth + 1)
                self.encode(item, depth + 1)
        elif kind is HandleRef:
            self.out += b"h"
            self.write_len(value.id)
            self.write_blob(b"s", value.type_name.encode())
        elif kind is ConfigValue:
            self.out += b"c"
            self.write_blob(b"s", value.class_name.encode())
            self.encode(value.data, depth + 1)
        elif _is_torch_tensor(value):
            self.encode_tensor(value)
        elif _is_ndarray(value):
            self.encode_ndarray(value)
        elif self.fallback is not None:
            self.encode(self.fallback(value), depth)
        else:
            raise CodecError(f"cannot send a value of type {kind.__name__}")

    def encode_tensor(self, value: Any) -> None:
        import torch

        viewable = _numpy_viewable_dtypes()
        if type(value) is torch.Tensor and value.layout == torch.strided and value.device.type == "cpu" \
                and value.dtype in viewable and value.is_contiguous():
            # the common case (a plain, dense CPU tensor): its bytes in two torch calls instead of eight
            self.write_array(b"x", viewable[value.dtype], value.shape, value.detach().numpy().tobytes())
            return
        tensor = torch.Tensor.as_subclass(value, torch.Tensor).detach()
        if tensor.layout != torch.strided:
            tensor = tensor.to_dense()
        tensor = tensor.cpu().contiguous()
        dtype = str(tensor.dtype).removeprefix("torch.")
        if dtype not in TENSOR_DTYPES:
            raise CodecError(f"tensors of dtype {dtype} cannot be sent")
        self.write_array(b"x", dtype, tensor.shape, tensor.reshape(-1).view(torch.uint8).numpy().tobytes())

    def encode_ndarray(self, value: Any) -> None:
        import numpy as np

        array = np.ascontiguousarray(value)
        dtype = array.dtype.name
        if dtype not in NUMPY_DTYPES:
            raise CodecError(f"numpy arrays of dtype {dtype} cannot be sent")
        self.write_array(b"a", dtype, array.shape, array.tobytes())

    def write_array(self, tag: bytes, dtype: str, shape: Any, data: bytes) -> None:
        """A tensor (``x``) or numpy array (``a``): dtype name, dimensions, sizes, raw bytes."""
        self.out += tag
        self.write_blob(b"s", dtype.encode())
        self.write_len(len(shape))
        for size in shape:
            self.write_len(size)
        self.write_blob(b"b", data)


@functools.cache
def _numpy_viewable_dtypes() -> dict[Any, str]:
    """torch dtype -> wire name, for the allowed dtypes whose tensors ``.numpy()`` can view."""
    import torch

    return {getattr(torch, name): name for name in TENSOR_DTYPES if name != "bfloat16"}


def _is_torch_tensor(value: Any) -> bool:
    module = type(value).__module__
    if not (module.startswith("torch") or hasattr(value, "__torch_function__")):
        return False
    import torch

    return isinstance(value, torch.Tensor)


def _is_ndarray(value: Any) -> bool:
    if "numpy" not in type(value).__module__:
        return False
    import numpy as np

    return isinstance(value, np.ndarray)


def encode(value: Any, *, fallback: Any = None, max_bytes: int = MAX_BYTES) -> bytes:
    """Encode ``value``; ``fallback(obj)`` may turn an unknown object into something encodable."""
    encoder = _Encoder(fallback, max_bytes)
    encoder.encode(value)
    if len(encoder.out) > max_bytes:
        raise CodecError(too_large(max_bytes))
    return bytes(encoder.out)


# --------------------------------------------------------------------------- decoding


# one-byte tags, as the integers that indexing a memoryview gives
_N, _T, _F, _I, _FL, _S, _B, _L, _TU, _D, _H, _C, _X, _A = b"NTFifsbltdhcxa"
_SINGLETONS = frozenset((_N, _T, _F))  # None, True, False: no memory of their own


# What one decoded element costs in the judge's memory, over its payload (CPython's object headers,
# a container's slots, a dict's hash table), so that ``max_value_bytes`` bounds the decoded value's
# real size and not only its bytes on the wire (a list of two million ``None`` is 2 MB on the wire).
_OBJECT_COST = 64
_SLOT_COST = 8
_DICT_ENTRY_COST = 48
_ARRAY_COST = 256


class _Decoder:
    def __init__(self, data: bytes | bytearray, max_items: int, max_value_bytes: int | None = None) -> None:
        self.data = memoryview(data)
        self.size = len(self.data)
        self.pos = 0
        self.items = 0
        self.max_items = max_items
        self.budget = max_value_bytes
        self.max_value_bytes = max_value_bytes

    def charge(self, n: int) -> None:
        """Count ``n`` bytes of decoded value against the budget, before they are allocated."""
        if self.budget is None:
            return
        self.budget -= n
        if self.budget < 0:
            raise CodecError(too_large(self.max_value_bytes or 0))

    def take(self, n: int) -> memoryview:
        end = self.pos + n
        if n < 0 or end > self.size:
            raise CodecError("message truncated")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def read_tag(self) -> int:
        if self.pos >= self.size:
            raise CodecError("message truncated")
        tag = self.data[self.pos]
        self.pos += 1
        return tag

    def unpack(self, layout: struct.Struct) -> tuple[Any, ...]:
        if self.pos + layout.size > self.size:
            raise CodecError("message truncated")
        values = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values

    def read_u64(self) -> int:
        return int(self.unpack(_U64)[0])

    def read_len(self) -> int:
        """A count of bytes or items that follow: it cannot exceed the message's own length."""
        n = self.read_u64()
        if n > self.size:
            raise CodecError("length field larger than the message")
        return n

    def read_blob(self, tag: int) -> memoryview:
        if self.read_tag() != tag:
            raise CodecError("malformed message")
        return self.take(self.read_len())

    def read_str(self) -> str:
        return _text(self.read_blob(_S))

    def decode(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError(f"value nested deeper than {MAX_DEPTH} levels")
        self.items += 1
        if self.items > self.max_items:
            raise CodecError(f"value has more than {self.max_items} elements")
        tag = self.read_tag()
        if tag not in _SINGLETONS:
            self.charge(_OBJECT_COST)
        if tag == _S:
            encoded = self.take(self.read_len())
            # a str holds 1, 2 or 4 bytes a character: never more than 4 per UTF-8 byte, and
            # exactly one per byte for ASCII (what almost every string is)
            self.charge(len(encoded) if _is_ascii(encoded) else 4 * len(encoded))
            return _text(encoded)
        if tag == _I:
            raw = bytes(self.take(self.read_len()))
            if len(raw) > 4300 or not _INTEGER.fullmatch(raw):
                raise CodecError("malformed integer")
            return int(raw)
        if tag == _L or tag == _TU:
            count = self.read_len()
            self.charge(_SLOT_COST * count)
            items = [self.decode(depth + 1) for _ in range(count)]
            return items if tag == _L else tuple(items)
        if tag == _D:
            count = self.read_len()
            self.charge(_DICT_ENTRY_COST * count)
            result: dict[Any, Any] = {}
            for _ in range(count):
                key = self.decode(depth + 1)
                if not _hashable_data(key):
                    raise CodecError("dictionary key is not a hashable data value")
                result[key] = self.decode(depth + 1)
            return result
        if tag == _X:
            return self.decode_tensor()
        if tag == _FL:
            return self.unpack(_F64)[0]
        if tag == _N:
            return None
        if tag == _T:
            return True
        if tag == _F:
            return False
        if tag == _B:
            blob = self.take(self.read_len())
            self.charge(len(blob))
            return bytes(blob)
        if tag == _H:
            return HandleRef(self.read_u64(), self.read_str())
        if tag == _C:
            name = self.read_str()
            if name not in CONFIG_CLASSES:
                raise CodecError(f"config class {name!r} is not allowed")
            data = self.decode(depth + 1)
            if type(data) is not dict or not all(type(key) is str for key in data):
                raise CodecError("config payload is not a dict with string keys")
            return ConfigValue(name, data)
        if tag == _A:
            return self.decode_ndarray()
        raise CodecError(f"unknown tag {bytes([tag])!r}")

    def read_shape(self) -> tuple[int, ...]:
        ndim = self.read_len()
        if ndim > MAX_DIMS:
            raise CodecError("too many dimensions")
        shape = self.unpack(_SHAPES[ndim])
        if any(size > 2**40 for size in shape):
            raise CodecError("tensor dimension out of range")
        return tuple(int(size) for size in shape)

    def decode_tensor(self) -> Any:
        import torch

        dtype = self.read_str()
        if dtype not in TENSOR_DTYPES:
            raise CodecError(f"tensor dtype {dtype!r} is not allowed")
        shape = self.read_shape()
        blob = self.read_blob(_B)
        self.charge(_ARRAY_COST + len(blob))
        raw = bytearray(blob)  # a private, writable copy that the tensor owns
        count = math.prod(shape)
        if count * TENSOR_DTYPES[dtype] != len(raw):
            raise CodecError("tensor data does not match its shape")
        if dtype == "bool" and raw.translate(None, b"\x00\x01"):
            raise CodecError("a bool tensor holds bytes other than 0 and 1")
        if count == 0:
            return torch.empty(shape, dtype=getattr(torch, dtype))
        return torch.frombuffer(raw, dtype=getattr(torch, dtype)).reshape(shape)

    def decode_ndarray(self) -> Any:
        import numpy as np

        dtype = self.read_str()
        if dtype not in NUMPY_DTYPES:
            raise CodecError(f"array dtype {dtype!r} is not allowed")
        shape = self.read_shape()
        blob = self.read_blob(_B)
        self.charge(_ARRAY_COST + len(blob))
        raw = bytes(blob)
        if math.prod(shape) * np.dtype(dtype).itemsize != len(raw):
            raise CodecError("array data does not match its shape")
        if dtype == "bool" and raw.translate(None, b"\x00\x01"):
            raise CodecError("a bool array holds bytes other than 0 and 1")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _is_ascii(raw: memoryview) -> bool:
    """Whether ``raw`` is all ASCII, without copying it (checked a megabyte at a time)."""
    step = 1 << 20
    return all(bytes(raw[i:i + step]).isascii() for i in range(0, len(raw), step))


def _text(raw: memoryview) -> str:
    try:
        return str(raw, "utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise CodecError("invalid UTF-8 in a string") from exc


def _hashable_data(key: Any) -> bool:
    if type(key) in (str, int, float, bool, bytes) or key is None:
        return True
    return type(key) is tuple and all(_hashable_data(k) for k in key)


def decode(data: bytes | bytearray, *, max_items: int = MAX_ITEMS, max_value_bytes: int | None = None) -> Any:
    """Decode one message. Raises :class:`CodecError` for anything malformed or out of bounds.

    ``max_value_bytes``: the most memory the decoded value may take (estimated per element before
    it is built, so a value over the budget is refused without being allocated).
    """
    if len(data) > MAX_BYTES:
        raise CodecError("message too large")
    decoder = _Decoder(data, max_items, max_value_bytes)
    try:
        value = decoder.decode()
    except RecursionError as exc:
        raise CodecError("value nested too deeply") from exc
    except struct.error as exc:
        raise CodecError("message truncated") from exc
    if decoder.pos != len(decoder.data):
        raise CodecError("trailing bytes after the value")
    return value
