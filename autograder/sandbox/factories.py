"""Objects the judge chooses but that must live in the sandbox (an allow-listed set).

They run in the untrusted process, so the judge still verifies every number it is given.
"""

from __future__ import annotations

from typing import Any


def make_generator(seed: int, device: str = "cpu") -> Any:
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")


def make_optimizer(
    kind: str = "SGD", lr: float = 0.1, shapes: list[tuple[int, ...]] | None = None, **kwargs: Any
) -> Any:
    """An optimizer over fresh zero-initialised parameters of the given shapes."""
    import torch

    if kind not in _OPTIMIZERS:
        raise ValueError(f"optimizer kind must be one of {_OPTIMIZERS}")
    params = [torch.nn.Parameter(torch.zeros(*shape)) for shape in (shapes or [(4,)])]
    return getattr(torch.optim, kind)(params, lr=lr, **kwargs)


def make_tensor_on(value: Any, device: str = "cpu") -> Any:
    """A tensor placed on a device inside the sandbox (the wire always delivers CPU tensors)."""
    return value.to(device)


BUILTIN = {
    "generator": make_generator,
    "optimizer": make_optimizer,
    "to_device": make_tensor_on,
}
