"""The ``plot`` fixture's recorder: a hidden test attaches charts to its own feedback (see :mod:`autograder.outputs.plots`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.core.charts import MAX_CHARTS, clean_chart


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
