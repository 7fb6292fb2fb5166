"""Comparison helpers for hidden tests, with student-facing messages.

They never print the expected value unless the author asks (``show_expected=True``): a message must
tell the student what to look at, not hand over the reference's numbers. What they always say is
where a value is wrong (``at="step {}"`` names a list's index, e.g. "at step 3"; nested places
follow as ``[i]`` or ``['key']``) and, for a number, in which direction it is off ("too high").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch


def _is_number(value: Any) -> bool:
    return type(value) in (int, float, bool)


def _as_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return torch.from_numpy(value)
    except ImportError:  # pragma: no cover
        pass
    return None


def assert_tensor(
    got: Any, *, shape: Sequence[int] | None = None, dtype: torch.dtype | None = None,
    finite: bool = False, msg: str = "",
) -> torch.Tensor:
    """``got`` is a tensor with this shape/dtype; returns it for further checks."""
    prefix = f"{msg}: " if msg else ""
    tensor = _as_tensor(got)
    if tensor is None:
        raise AssertionError(f"{prefix}expected a tensor, got {type(got).__name__}")
    if shape is not None and tuple(tensor.shape) != tuple(shape):
        raise AssertionError(f"{prefix}expected shape {tuple(shape)}, got {tuple(tensor.shape)}")
    if dtype is not None and tensor.dtype != dtype:
        raise AssertionError(f"{prefix}expected dtype {dtype}, got {tensor.dtype}")
    if finite and tensor.is_floating_point() and not torch.isfinite(tensor).all():
        raise AssertionError(f"{prefix}the tensor contains NaN or infinite values")
    return tensor


def assert_close(
    got: Any, want: Any, *, rtol: float = 1e-5, atol: float = 1e-8, msg: str = "",
    show_expected: bool = False, check_dtype: bool = False, at: str = "",
) -> None:
    """Numbers, tensors, arrays and nested lists/tuples/dicts of them are close to ``want``.

    ``at``: what the outermost list's index means, with ``{}`` for the index (``"step {}"``,
    ``"after {} calls of scheduler.step()"``); without it the place reads "at index 3".
    """
    _close(got, want, rtol=rtol, atol=atol, msg=msg, show=show_expected, path="", check_dtype=check_dtype,
           at=at)


def _where(path: str, at: str) -> str:
    """``[3][1]`` -> ``step 3, [1]`` (with ``at="step {}"``) or ``index 3, [1]``."""
    first, rest = path[1:].split("]", 1)
    if not first.lstrip("-").isdigit():
        return f"key {first}" + (f", {rest}" if rest else "")
    label = at.format(first) if at else f"index {first}"
    return label + (f", {rest}" if rest else "")


def _fail(msg: str, path: str, detail: str, at: str = "") -> None:
    where = f" (at {_where(path, at)})" if path else ""
    prefix = f"{msg}{where}: " if msg else (f"at {_where(path, at)}: " if path else "")
    raise AssertionError(prefix + detail)


def _direction(got: float, want: float) -> str:
    if math.isnan(got):
        return "it is NaN"
    return "too high" if got > want else "too low"


def _close(got: Any, want: Any, *, rtol: float, atol: float, msg: str, show: bool, path: str,
           check_dtype: bool, at: str = "") -> None:
    want_tensor = _as_tensor(want)
    if want_tensor is not None:
        tensor = _as_tensor(got)
        if tensor is None:
            if _is_number(got) and want_tensor.numel() == 1:
                tensor = torch.tensor(got)
            else:
                _fail(msg, path, f"expected a tensor, got {type(got).__name__}", at)
                return
        if tuple(tensor.shape) != tuple(want_tensor.shape) and not (tensor.numel() == want_tensor.numel() == 1):
            _fail(msg, path, f"expected shape {tuple(want_tensor.shape)}, got {tuple(tensor.shape)}", at)
        if check_dtype and tensor.dtype != want_tensor.dtype:
            _fail(msg, path, f"expected dtype {want_tensor.dtype}, got {tensor.dtype}", at)
        a = tensor.detach().to(torch.float64).reshape(want_tensor.shape)
        b = want_tensor.detach().to(torch.float64)
        if not torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            gaps = (a - b).abs().nan_to_num(nan=math.inf)
            worst = gaps.max().item() if a.numel() else 0.0
            detail = f"values differ (largest difference {worst:.3g}"
            if a.dim() and a.numel() > 1:
                place = tuple(int(i) for i in torch.unravel_index(gaps.argmax(), gaps.shape))
                detail += f", at index {place[0] if len(place) == 1 else place}"
            detail += ")"
            if show:
                detail += f"; expected {want_tensor.tolist()}"
            _fail(msg, path, detail, at)
        return
    if _is_number(want):
        if _as_tensor(got) is not None and _as_tensor(got).numel() == 1:  # type: ignore[union-attr]
            got = _as_tensor(got).item()  # type: ignore[union-attr]
        if not _is_number(got):
            _fail(msg, path, f"expected a number, got {type(got).__name__}", at)
        if not math.isclose(float(got), float(want), rel_tol=rtol, abs_tol=atol) and not (
            math.isnan(float(got)) and math.isnan(float(want))
        ):
            detail = f"got {got!r} ({_direction(float(got), float(want))})"
            _fail(msg, path, detail + (f", expected {want!r}" if show else ""), at)
        return
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            _fail(msg, path, f"expected a sequence, got {type(got).__name__}", at)
        if len(got) != len(want):
            _fail(msg, path, f"expected {len(want)} items, got {len(got)}", at)
        for index, (g, w) in enumerate(zip(got, want)):
            _close(g, w, rtol=rtol, atol=atol, msg=msg, show=show, path=f"{path}[{index}]",
                   check_dtype=check_dtype, at=at)
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            _fail(msg, path, f"expected a dict, got {type(got).__name__}", at)
        missing = [k for k in want if k not in got]
        if missing:
            _fail(msg, path, f"missing keys {missing}", at)
        for key in want:
            _close(got[key], want[key], rtol=rtol, atol=atol, msg=msg, show=show, path=f"{path}[{key!r}]",
                   check_dtype=check_dtype, at=at)
        return
    if got != want:
        _fail(msg, path, f"got {got!r}" + (f", expected {want!r}" if show else ""), at)
