"""The published benchmark report: a run of some scenarios updates those and keeps the rest."""

from __future__ import annotations

from typing import Any

from bench.report import merged


def scenario(name: str, value: float, status: str = "measured") -> dict[str, Any]:
    return {"name": name, "status": status, "figures": [{"value": value}]}


def run(only: list[str] | None, *scenarios: dict[str, Any]) -> dict[str, Any]:
    command = "make bench" if only is None else f"python -m bench --only {','.join(only)}"
    return {
        "command": command,
        "only": only,
        "machine": {"date": "2026-11-26T08:00:00+00:00"},
        "scenarios": list(scenarios),
    }


PUBLISHED = run(None, scenario("ingestion", 1.0), scenario("capacity", 2.0))


def test_a_partial_run_replaces_the_scenarios_it_measured_and_keeps_the_rest() -> None:
    partial = run(
        ["capacity", "stage-ops"],
        scenario("ingestion", 9.0, status="skipped"),
        scenario("stage-ops", 3.0),
        scenario("capacity", 4.0),
    )
    report = merged(PUBLISHED, partial)
    by_name = {s["name"]: s for s in report["scenarios"]}
    assert [s["name"] for s in report["scenarios"]] == ["ingestion", "capacity", "stage-ops"]
    assert by_name["ingestion"] == scenario("ingestion", 1.0)  # as published
    assert by_name["capacity"]["figures"] == [{"value": 4.0}]
    assert by_name["capacity"]["measured_by"] == partial["command"]
    assert report["command"] == "make bench"
    assert report["updates"] == [
        {"command": partial["command"], "date": "2026-11-26T08:00:00+00:00"}
    ]


def test_a_full_run_replaces_the_report_whole() -> None:
    full = run(None, scenario("ingestion", 5.0))
    assert merged(PUBLISHED, full) == full
