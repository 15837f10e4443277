"""Server-drawn SVG charts: valid, escaped, and readable axes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from api.console.charts import axis_label, bar_chart, line_chart, nice_scale
from api.console.console_metrics import chart, first_shown
from orchestrator.persistence.metrics import Window


def test_charts_are_valid_svg_with_escaped_labels() -> None:
    svg = bar_chart("Errors <by> code", {"<script>": 3.0, "TIMEOUT": 1.0}, "%")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(line_chart("Latency", ["09:00", "10:00"], {"p50": [120, 240]}, " ms"))


def test_an_empty_chart_says_so() -> None:
    assert "No data yet" in bar_chart("Routes", {})


def test_long_latency_ticks_read_as_seconds() -> None:
    assert axis_label(3330.0, 4440.0, " ms") == "3.3 s"
    assert axis_label(250.0, 900.0, " ms") == "250 ms"
    assert axis_label(0.5, 1.0, "%") == "0.5%"


def _ticks(svg: str) -> tuple[list[str], list[float], list[float]]:
    """The y-axis labels, their heights, and the heights of the grid lines."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t for t in root.iter(f"{ns}text") if t.get("text-anchor") == "end"]
    grid = [float(line.get("y1", 0)) for line in root.iter(f"{ns}line")]
    return [t.text or "" for t in labels], [float(t.get("y", 0)) - 4 for t in labels], grid


def test_axis_ticks_are_round_values_each_on_a_grid_line() -> None:
    assert nice_scale(7) == (8, 2)
    assert nice_scale(93) == (100, 25)
    assert nice_scale(1234) == (1500, 500)
    assert nice_scale(0.37) == (0.4, 0.1)
    assert nice_scale(0) == (1.0, 0.25)
    labels, heights, grid = _ticks(bar_chart("Routes", {"specs": 7.0, "maintenance": 3.0}))
    assert labels == ["0", "2", "4", "6", "8"]
    assert [round(h, 1) for h in heights] == [round(g, 1) for g in grid]
    labels, _, _ = _ticks(line_chart("Latency", ["a", "b"], {"p95": [900.0, 1234.0]}, " ms"))
    assert labels == ["0.0 s", "0.5 s", "1.0 s", "1.5 s"]


def test_time_charts_start_where_the_data_does() -> None:
    assert first_shown([0, 0, 0, 0, 0, 2], [0, 0, 0, 0, 0, 5]) == 4  # a new install
    assert first_shown([0, 0, 1, 0, 0, 2], [0, 0, 0, 0, 0, 0]) == 1
    assert first_shown([3, 0, 0], [0, 0, 0]) == 0
    assert first_shown([0, 0, 0], [0, 0, 0]) == 1  # nothing yet: the last two buckets


def _metrics(**totals: float) -> dict[str, Any]:
    window = Window(datetime(2026, 11, 23, tzinfo=UTC), timedelta(hours=1), 4)
    zeros = [0, 0, 0, 0]
    return {
        "window": window,
        "series": {
            "conversations": [0, 0, 0, 2],
            "turns": [0, 0, 0, 4],
            "p50": zeros,
            "p95": zeros,
        },
        "routes": {"specs": 4},
        "errors": {"TIMEOUT": 0.125, "LLM_UNAVAILABLE": 0.125},
        "totals": {
            "turns": 8,
            "error_rate": 0.25,
            "feedback_positive_rate": 0.0,
            "feedback_count": 0,
            "handoff_rate": 0.5,
            **totals,
        },
    }


def test_no_feedback_reads_as_no_feedback_not_zero_percent() -> None:
    svg = chart("rates", _metrics())
    assert "no feedback yet" in svg and "positive feedback: 0%" not in svg
    rated = chart("rates", _metrics(feedback_count=3, feedback_positive_rate=2 / 3))
    assert "positive feedback: 66.7%" in rated and "no feedback yet" not in rated


def test_the_error_chart_shows_the_tiles_figure_first_and_adds_up_to_it() -> None:
    svg = chart("errors", _metrics())
    assert "all: 25%" in svg and "TIMEOUT: 12.5%" in svg and "LLM_UNAVAILABLE: 12.5%" in svg
    assert "No data yet" in chart("errors", _metrics(turns=0))


def test_the_activity_chart_starts_one_bucket_before_its_data() -> None:
    svg = chart("activity", _metrics())  # data in the bucket to 04:00: from the one to 03:00
    assert ">03:00<" in svg and ">02:00<" not in svg and ">01:00<" not in svg


def test_the_time_charts_end_now_in_utc() -> None:
    """Each bucket is named by its end, the last one shown: a chart of the last four hours to
    04:00 reads up to 04:00, not 03:00 (the console's charts ended an hour before the
    conversations they showed)."""
    metrics = _metrics()
    assert metrics["window"].labels() == ["01:00", "02:00", "03:00", "04:00"]
    svg = chart("activity", metrics)
    assert ">04:00</text>" in svg and "(UTC)" in svg
