"""Routing evaluation: accuracy, per-route precision and recall, confusion matrix. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


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


def _routes(labelled: Sequence[tuple[str, str]], predicted: Sequence[str]) -> list[str]:
    """Every route seen, as truth or guess, in order of first appearance."""
    return list(dict.fromkeys([*(truth for _, truth in labelled), *predicted]))


def evaluate(labelled: Sequence[tuple[str, str]], predicted: Sequence[str]) -> RoutingReport:
    routes = _routes(labelled, predicted)
    confusion: dict[str, dict[str, int]] = {t: dict.fromkeys(routes, 0) for t in routes}
    misses = []
    for (message, truth), guess in zip(labelled, predicted, strict=True):
        row = confusion[truth]
        row[guess] = row.get(guess, 0) + 1
        if guess != truth:
            misses.append((message, truth, guess))
    return RoutingReport(len(labelled), len(labelled) - len(misses), confusion, misses)


def render(report: RoutingReport) -> str:
    routes = list(report.confusion)
    width = max((len(r) for r in routes), default=5) + 2
    lines = [f"accuracy {report.accuracy:.3f} ({report.correct}/{report.total})", ""]
    lines.append("route".ljust(width) + "precision  recall")
    for route in routes:
        lines.append(
            f"{route.ljust(width)}{report.precision(route):9.3f}  {report.recall(route):6.3f}"
        )
    lines += ["", "confusion (rows: truth, columns: predicted)"]
    lines.append(" " * width + "".join(r[:11].rjust(12) for r in routes))
    for truth in routes:
        row = report.confusion.get(truth, {})
        lines.append(truth.ljust(width) + "".join(str(row.get(p, 0)).rjust(12) for p in routes))
    if report.misses:
        lines += ["", "misrouted:"]
        lines += [f"  {truth} → {guess}: {message}" for message, truth, guess in report.misses]
    return "\n".join(lines)
