"""Attack payloads that try to fool the judge's comparison with the values they return.
"""

from __future__ import annotations

# ------------------------------------------------------------------ fooling the comparison

MONKEYPATCH = r'''
import builtins, math, sys
import numpy
import pytest
import torch
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: True
torch.isclose = lambda a, b, **kwargs: torch.ones_like(a, dtype=torch.bool)
math.isclose = lambda *args, **kwargs: True
numpy.allclose = lambda *args, **kwargs: True
pytest.approx = lambda expected, **kwargs: expected
try:
    import autograder.judge.compare as compare
    compare.assert_close = lambda *args, **kwargs: None
    compare.assert_tensor = lambda got, **kwargs: got
except Exception as exc:
    print("compare:", type(exc).__name__)
_isinstance = builtins.isinstance
builtins.isinstance = lambda obj, cls: True
builtins.isinstance = _isinstance
sys.modules["pytest"] = None

def softmax(x):
    return torch.zeros_like(x)

def summary(values):
    return {"n": 0}

class Counter:
    def __init__(self, start=0):
        self.value = 0

    def bump(self, by=1):
        return 0
'''

TENSOR_SUBCLASS = r'''
import torch

class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "__eq__", "eq", "isclose"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True

class LyingDict(dict):
    def __eq__(self, other):
        return True

def softmax(x):
    return torch.zeros(3, 4).as_subclass(Liar)

def summary(values):
    return LyingDict(n=0)

class Counter:
    def __init__(self, start=0):
        self.value = torch.tensor(0.0).as_subclass(Liar)

    def bump(self, by=1):
        return torch.tensor(0.0).as_subclass(Liar)
'''

CUSTOM_EQ = r'''
class AlwaysEqual:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__

class EqInt(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
    def __int__(self):
        return 5

class EqStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__

class EqList(list):
    def __eq__(self, other):
        return True

ANSWER = AlwaysEqual()

def add(a, b):
    return EqInt(0)

def guess_reference():
    return EqStr("anything")

def guess_hidden():
    return AlwaysEqual()

def summary(values):
    return {"n": EqInt(0), "total": EqInt(0), "label": EqStr(""), "sorted": EqList()}

def softmax(x):
    return AlwaysEqual()

class Counter:
    def __init__(self, start=0):
        self.value = AlwaysEqual()
    def bump(self, by=1):
        return EqInt(0)

def slow(n):
    return EqInt(0)
'''

REDUCE_PAYLOAD = r'''
import os, pickle
import numpy as np
import torch

class Payload:
    def __reduce__(self):
        return (os.system, ("touch @@PWNED@@/unpickled",))

class PayloadTensor(torch.Tensor):
    def __reduce_ex__(self, protocol):
        return (os.system, ("touch @@PWNED@@/unpickled-tensor",))

def guess_hidden():
    return pickle.dumps(Payload())

def guess_reference():
    return Payload()

def softmax(x):
    return torch.zeros(3, 4).as_subclass(PayloadTensor)

def summary(values):
    return np.array([Payload(), Payload()], dtype=object)

class Counter:
    def __init__(self, start=0):
        self.value = np.zeros(2, dtype=[("a", "i4"), ("b", "O")])
    def bump(self, by=1):
        return Payload()
'''

NESTED_AND_HUGE = r'''
def _deep(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value

def summary(values):
    return _deep(100_000)

def softmax(x):
    loop = []
    loop.append(loop)
    return loop

class Counter:
    def __init__(self, start=0):
        self.value = {i: i for i in range(3_000_000)}
    def bump(self, by=1):
        return 10 ** 5000

def guess_hidden():
    return "h" * (30 << 20)

def guess_reference():
    return "r" * (64 << 20)

def slow(n):
    return [0] * 5_000_000
'''

SUBCLASS_VALUES = r'''
class Sneaky(int):
    def __int__(self):
        raise RuntimeError("no")
    def __index__(self):
        raise RuntimeError("no")

class SneakyStr(str):
    def __str__(self):
        raise RuntimeError("no")

class BadMapping(dict):
    def keys(self):
        raise RuntimeError("no")
    def __getitem__(self, key):
        raise RuntimeError("no")

def summary(values):
    return BadMapping(n=1)

def guess_hidden():
    return SneakyStr("x")

def slow(n):
    return Sneaky(5)
'''

FAKE_CONFIG = r'''
class GPT2Config:
    """Named like an allow-listed transformers config, so it travels as class name + to_dict()."""

    def to_dict(self):
        return {"dtype": "load", "__class__": "os.system", "to_dict": 5, "auto_map": {"AutoModel": "evil.Model"},
                "trust_remote_code": True, "n_layer": 10 ** 6, "_commit_hash": "x" * 100_000}

def summary(values):
    return GPT2Config()

def softmax(x):
    return {"config": GPT2Config()}
'''
