"""The console's metrics panel drawn as charts, from the figures `persistence.metrics` collects."""

from __future__ import annotations

from typing import Any

from api.console import charts
from orchestrator.persistence.metrics import Window

CHARTS = ("activity", "routes", "latency", "errors", "rates")


MIN_POINTS = 2


def first_shown(*series: list[float]) -> int:
    """Where the time charts start: one bucket before the first with any activity, so that a
    young install's data fills the chart instead of being a spike at its right edge."""
    length = len(series[0]) if series else 0
    active = [i for i in range(length) if any(values[i] for values in series)]
    if not active:
        return max(0, length - MIN_POINTS)
    return max(0, min(active[0] - 1, length - MIN_POINTS))


def percent(rate: float) -> float:
    """A rate as the percentage shown on both the tiles and the charts."""
    return round(100 * rate, 1)


def chart(name: str, data: dict[str, Any]) -> str:
    """The SVG of one chart of the metrics panel."""
    window: Window = data["window"]
    series, totals = data["series"], data["totals"]
    start = first_shown(series["conversations"], series["turns"])
    labels = window.labels()[start:]
    match name:
        case "activity":
            return charts.line_chart(
                "Conversations and turns (UTC)",
                labels,
                {
                    "conversations": series["conversations"][start:],
                    "turns": series["turns"][start:],
                },
            )
        case "routes":
            return charts.bar_chart("Route distribution (turns)", data["routes"])
        case "latency":
            return charts.line_chart(
                "Latency p50 / p95 (UTC)",
                labels,
                {"p50": series["p50"][start:], "p95": series["p95"][start:]},
                " ms",
            )
        case "errors":
            if not totals["turns"]:
                return charts.bar_chart("Error rate by code", {})
            # All errors first: the same figure as the Error rate tile; then each code's share.
            by_code = {code: percent(rate) for code, rate in data["errors"].items()}
            return charts.bar_chart(
                "Error rate by code", {"all": percent(totals["error_rate"]), **by_code}, "%"
            )
        case "rates":
            feedback = totals["feedback_count"]
            return charts.bar_chart(
                "Feedback and handoff rates",
                {
                    "positive feedback": percent(totals["feedback_positive_rate"])
                    if feedback
                    else None,
                    "handoff": percent(totals["handoff_rate"]),
                    "errors": percent(totals["error_rate"]),
                },
                "%",
                missing="no feedback yet",
            )
    raise KeyError(name)
