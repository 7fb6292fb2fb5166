import torch
ANSWER = 42
print("x" * 10_000_000)
def add(a, b):
    print("y" * 1_000_000)
    return a + b
def softmax(x):
    import sys
    sys.stderr.write("z" * 5_000_000)
    return torch.softmax(x, -1)
