"""Charts in feedback: the judge records series as data, the renderers draw them as PNG images.

Judge side (trusted, runs during a hidden test): a test asks for the ``plot`` fixture and attaches
series to its own feedback::

    def test_schedule(student, ref, plot):
        got = [student.cosine_lr(t, base_lr=1e-3, total_steps=100) for t in range(101)]
        want = [ref.cosine_lr(t, base_lr=1e-3, total_steps=100) for t in range(101)]
        plot("Learning-rate schedule", {"your schedule": got, "expected": want},
             x_label="step", y_label="learning rate")
        assert_close(got, want, msg="...")

Attaching a series is the test's decision to show it (reference values included); nothing else of
the test reaches the student. Series are validated and capped here (the values may come from the
sandbox, :mod:`autograder.core.charts` cleans them): finite floats or None, at most :data:`MAX_SERIES` series of :data:`MAX_POINTS` points
(longer ones are thinned), :data:`MAX_CHARTS` charts per test.

Storage: ``SubmissionResult.extra_data["plots"] = {nodeid: [chart, ...]}``, each chart a plain
dict ``{"title", "series": {label: [float | None]}, "x": [float] | None, "x_label", "y_label",
"hlines": {label: float}, "smooth": bool}``. The renderers also accept a single chart dict per test and keys that
are test names instead of node ids.

Rendering (staff side, feedback pages and the TA report) uses matplotlib's Agg backend and returns
PNG bytes plus the number of series drawn, so tests can check what a chart shows.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.core.extra_data import ExtraData

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


class PlotRecorder:
    """What the ``plot`` fixture gives a test: call it to attach a chart to this test's feedback."""

    def __init__(self, store: dict[str, list[dict[str, Any]]], nodeid: str) -> None:
        self._store = store
        self._nodeid = nodeid

    def __call__(self, title: str, series: Mapping[str, Any], *, x: Any = None, x_label: str = "",
                 y_label: str = "", hlines: Mapping[str, Any] | None = None, smooth: bool = False) -> None:
        """One chart: ``series`` ``{label: values}`` drawn as lines over ``x`` (default 0, 1, ...);
        ``hlines`` ``{label: value}`` as dashed horizontal lines (a held-out loss, a threshold);
        ``smooth`` draws a moving average over faint raw values (noisy per-step losses)."""
        charts = self._store.setdefault(self._nodeid, [])
        if len(charts) >= MAX_CHARTS:
            return
        charts.append(clean_chart(title, series, x=x, x_label=x_label, y_label=y_label, hlines=hlines,
                                  smooth=smooth))

    def __len__(self) -> int:
        """How many charts this test has attached so far (a test that draws on failure draws once)."""
        return len(self._store.get(self._nodeid, ()))


def recorded_plots(plugin: Any) -> dict[str, list[dict[str, Any]]]:
    """The charts a judge plugin's tests attached (for ``extra_data["plots"]``)."""
    return dict(getattr(plugin, "recorded_plots", {}))


def charts_for(extra_data: ExtraData | Mapping[str, Any], *, nodeid: str, name: str) -> list[dict[str, Any]]:
    """The charts stored for one test, valid ones only, whatever shape they were stored in."""
    plots = extra_data.plots if isinstance(extra_data, ExtraData) else (
        extra_data.get("plots") if isinstance(extra_data, Mapping) else None)
    if not isinstance(plots, Mapping):
        return []
    raw = plots.get(nodeid, plots.get(name))
    if isinstance(raw, Mapping):
        raw = [raw]
    charts = []
    for item in (raw or [])[:MAX_CHARTS]:
        if not isinstance(item, Mapping):
            continue
        try:
            charts.append(clean_chart(item.get("title", ""), item.get("series", {}), x=item.get("x"),
                                      x_label=item.get("x_label", ""), y_label=item.get("y_label", ""),
                                      hlines=item.get("hlines"), smooth=bool(item.get("smooth"))))
        except (TypeError, ValueError):
            continue
    return charts


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RenderedChart:
    title: str
    png: bytes
    series: int

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _finish(fig: Any, title: str, series: int) -> RenderedChart:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    _pyplot().close(fig)
    return RenderedChart(title=title, png=buffer.getvalue(), series=series)


def _smoothed(values: list[float | None], window: int) -> list[float | None]:
    out: list[float | None] = []
    recent: list[float] = []
    for value in values:
        if value is not None:
            recent.append(value)
            if len(recent) > window:
                recent.pop(0)
        out.append(sum(recent) / len(recent) if recent else None)
    return out


def render_chart(chart: Mapping[str, Any]) -> RenderedChart:
    """One chart as a line plot; with ``smooth``, long series get a moving average over faint raw values."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    drawn = 0
    for index, (label, values) in enumerate(chart["series"].items()):
        color = PALETTE[index % len(PALETTE)]
        xs = chart["x"] if chart.get("x") and len(chart["x"]) == len(values) else list(range(len(values)))
        points = [(x, y) for x, y in zip(xs, values) if y is not None and x is not None]
        if not points:
            continue
        px, py = zip(*points)
        if chart.get("smooth") and len(points) > 20:
            ax.plot(px, py, color=color, alpha=0.25, linewidth=0.8)
            smooth = _smoothed(list(py), max(5, len(points) // 40))
            ax.plot(px, smooth, color=color, linewidth=1.8, label=f"{label} (moving average)")
        else:
            ax.plot(px, py, color=color, linewidth=1.8, marker="o" if len(points) < 15 else None,
                    markersize=3, label=label)
        drawn += 1
    for index, (label, value) in enumerate(chart.get("hlines", {}).items()):
        ax.axhline(value, color=PALETTE[(drawn + index) % len(PALETTE)], linestyle="--", linewidth=1.4,
                   label=f"{label}: {value:.4g}")
        drawn += 1
    ax.set_title(chart["title"], fontsize=10)
    ax.set_xlabel(chart.get("x_label", ""))
    ax.set_ylabel(chart.get("y_label", ""))
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=8)
    return _finish(fig, chart["title"], drawn)


def histogram(values: Sequence[float], *, title: str, x_label: str, bins: int = 20,
              x_range: tuple[float, float] | None = None) -> RenderedChart:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(list(values), bins=bins, range=x_range, color=PALETTE[0], edgecolor="white")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(x_label)
    ax.set_ylabel("submissions")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3, axis="y")
    return _finish(fig, title, 1)


def bars(labels: Sequence[str], values: Sequence[float], *, title: str, value_label: str,
         limit: float | None = None, horizontal: bool = False) -> RenderedChart:
    plt = _pyplot()
    height = max(2.6, 0.28 * len(labels) + 1.2) if horizontal else 3.2
    fig, ax = plt.subplots(figsize=(7 if horizontal else 6, height))
    positions = list(range(len(labels)))
    if horizontal:
        ax.barh(positions, list(values), color=PALETTE[0])
        ax.set_yticks(positions, [label[:50] for label in labels], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(value_label)
        if limit is not None:
            ax.set_xlim(0, limit)
    else:
        ax.bar(positions, list(values), color=PALETTE[0])
        ax.set_xticks(positions, [label[:20] for label in labels], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(value_label)
        if limit is not None:
            ax.set_ylim(0, limit)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x" if horizontal else "y")
    return _finish(fig, title, 1)
