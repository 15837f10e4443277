"""Server-drawn SVG charts: valid, escaped, and readable axes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from api.charts import axis_label, bar_chart, line_chart


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
