"""Reference of the security sheet. @@REFERENCE_MARKER@@"""

import torch

REFERENCE_SECRET = "@@REFERENCE_SECRET@@"
ANSWER = 42


def add(a, b):
    return a + b


def softmax(x):
    return torch.softmax(x, dim=-1)


def summary(values):
    ordered = sorted(values)
    return {"n": len(values), "total": sum(values), "label": f"{len(values)} values", "sorted": ordered}


class Counter:
    def __init__(self, start=0):
        self.value = start

    def bump(self, by=1):
        self.value += by
        return self.value


def slow(n):
    return n
