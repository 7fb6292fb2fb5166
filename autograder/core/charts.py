"""Charts as data: what a hidden test attaches and what the renderers draw, validated and capped.

The values may come from the sandbox, so every chart is cleaned here, on the way in (the judge's
``plot`` fixture, :mod:`autograder.judge.plots`) and on the way out (the renderers,
:mod:`autograder.outputs.plots`): finite floats or None, at most :data:`MAX_SERIES` series of
:data:`MAX_POINTS` points (longer ones are thinned), :data:`MAX_CHARTS` charts per test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

MAX_CHARTS = 6
MAX_SERIES = 8
MAX_POINTS = 2000
MAX_LABEL = 80
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


# --------------------------------------------------------------------------- validation


def _label(value: Any, fallback: str = "") -> str:
    text = str(value) if value is not None else fallback
    return text[:MAX_LABEL]


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _values(raw: Any) -> list[float | None]:
    if hasattr(raw, "tolist"):  # a tensor or an array from the sandbox
        raw = raw.tolist()
    if isinstance(raw, (int, float)):
        raw = [raw]
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        raise TypeError("a series must be a sequence of numbers")
    values = [_number(v) for v in raw]
    if len(values) > MAX_POINTS:  # thin long series evenly; keep the last point
        stride = math.ceil(len(values) / MAX_POINTS)
        values = values[::stride] + ([values[-1]] if (len(values) - 1) % stride else [])
    return values


def clean_chart(title: str, series: Mapping[str, Any], *, x: Any = None, x_label: str = "",
                y_label: str = "", hlines: Mapping[str, Any] | None = None, smooth: bool = False) -> dict[str, Any]:
    """A chart as plain, capped data (raises ValueError for something that is not a chart)."""
    if not isinstance(series, Mapping) or not series:
        raise ValueError("series must be a non-empty mapping {label: values}")
    cleaned = {_label(name): _values(values) for name, values in list(series.items())[:MAX_SERIES]}
    chart: dict[str, Any] = {"title": _label(title, "chart"), "series": cleaned, "x": None,
                             "x_label": _label(x_label), "y_label": _label(y_label), "hlines": {},
                             "smooth": bool(smooth)}
    if x is not None:
        chart["x"] = _values(x)
    for name, value in list((hlines or {}).items())[:MAX_SERIES]:
        number = _number(value)
        if number is not None:
            chart["hlines"][_label(name)] = number
    return chart
