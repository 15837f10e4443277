"""The console's metrics panel drawn as charts, from the figures `persistence.metrics` collects."""

from __future__ import annotations

from typing import Any

from api import charts
from orchestrator.persistence.metrics import Window

CHARTS = ("activity", "routes", "latency", "errors", "rates")


def chart(name: str, data: dict[str, Any]) -> str:
    """The SVG of one chart of the metrics panel."""
    window: Window = data["window"]
    series, totals = data["series"], data["totals"]
    match name:
        case "activity":
            return charts.line_chart(
                "Conversations and turns",
                window.labels(),
                {"conversations": series["conversations"], "turns": series["turns"]},
            )
        case "routes":
            return charts.bar_chart("Route distribution (turns)", data["routes"])
        case "latency":
            return charts.line_chart(
                "Latency p50 / p95",
                window.labels(),
                {"p50": series["p50"], "p95": series["p95"]},
                " ms",
            )
        case "errors":
            return charts.bar_chart("Error rate by code", data["errors"], "%")
        case "rates":
            return charts.bar_chart(
                "Feedback and handoff rates",
                {
                    "positive feedback": round(100 * totals["feedback_positive_rate"], 1),
                    "handoff": round(100 * totals["handoff_rate"], 1),
                    "errors": round(100 * totals["error_rate"], 1),
                },
                "%",
            )
    raise KeyError(name)
