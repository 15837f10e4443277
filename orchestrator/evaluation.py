"""Routing evaluation: accuracy, per-route precision and recall, confusion matrix. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.routing import ROUTES


@dataclass(frozen=True)
class RoutingReport:
    total: int
    correct: int
    confusion: dict[str, dict[str, int]]  # truth → predicted → count
    misses: list[tuple[str, str, str]]  # message, truth, predicted

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def precision(self, route: str) -> float:
        predicted = sum(row.get(route, 0) for row in self.confusion.values())
        return self.confusion.get(route, {}).get(route, 0) / predicted if predicted else 0.0

    def recall(self, route: str) -> float:
        actual = sum(self.confusion.get(route, {}).values())
        return self.confusion.get(route, {}).get(route, 0) / actual if actual else 0.0


def load_labelled(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(str(r["message"]), str(r["route"])) for r in rows]


def evaluate(labelled: Sequence[tuple[str, str]], predicted: Sequence[str]) -> RoutingReport:
    confusion: dict[str, dict[str, int]] = {t: dict.fromkeys(ROUTES, 0) for t in ROUTES}
    misses = []
    for (message, truth), guess in zip(labelled, predicted, strict=True):
        row = confusion.setdefault(truth, dict.fromkeys(ROUTES, 0))
        row[guess] = row.get(guess, 0) + 1
        if guess != truth:
            misses.append((message, truth, guess))
    return RoutingReport(len(labelled), len(labelled) - len(misses), confusion, misses)


def render(report: RoutingReport) -> str:
    width = max(len(r) for r in ROUTES) + 2
    lines = [f"accuracy {report.accuracy:.3f} ({report.correct}/{report.total})", ""]
    lines.append("route".ljust(width) + "precision  recall")
    for route in ROUTES:
        lines.append(
            f"{route.ljust(width)}{report.precision(route):9.3f}  {report.recall(route):6.3f}"
        )
    lines += ["", "confusion (rows: truth, columns: predicted)"]
    lines.append(" " * width + "".join(r[:11].rjust(12) for r in ROUTES))
    for truth in ROUTES:
        row = report.confusion.get(truth, {})
        lines.append(truth.ljust(width) + "".join(str(row.get(p, 0)).rjust(12) for p in ROUTES))
    if report.misses:
        lines += ["", "misrouted:"]
        lines += [f"  {truth} → {guess}: {message}" for message, truth, guess in report.misses]
    return "\n".join(lines)
