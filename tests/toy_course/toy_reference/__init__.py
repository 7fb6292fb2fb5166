"""Reference solution of the toy sheet."""

import torch
from toy_given import SCALE

ANSWER = 42


def add(a, b):
    return a + b


def scaled(x):
    return x * SCALE


def softmax(x):
    return torch.softmax(x, dim=-1)


class Counter:
    def __init__(self, start=0):
        self.value = start

    def bump(self, by=1):
        self.value += by
        return self.value


def slow(n):
    return n
