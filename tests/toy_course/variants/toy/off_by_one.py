# %%
# Known-wrong variant of the toy sheet: off-by-one answers, SCALE ignored, `by` ignored.
import torch

ANSWER = 41


def add(a, b):
    return a + b + 1


def scaled(x):
    return x * 3


def softmax(x):
    return torch.softmax(x, dim=-1)


class Counter:
    def __init__(self, start=0):
        self.value = start

    def bump(self, by=1):
        self.value += 1
        return self.value


def slow(n):
    return n
