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
the test reaches the student. Series are validated and capped by :mod:`autograder.core.charts` (the
values may come from the sandbox): finite floats or None, at most ``MAX_SERIES`` series of
``MAX_POINTS`` points (longer ones are thinned), ``MAX_CHARTS`` charts per test.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.core.charts import MAX_CHARTS, PALETTE, clean_chart
from autograder.core.extra_data import ExtraData


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
