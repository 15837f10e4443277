"""What every scenario shares: the run context, figures, timing and interval arithmetic."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE_BASE = REPO / "knowledge_base"

_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr, stamped with the seconds since the run began."""
    print(f"[bench {time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Context:
    """Handed to every scenario: the mode, the embedder (loaded once, never timed), a temp dir."""

    quick: bool
    embedder: Any  # rag.embeddings.Embedder (ONNX Runtime by default)
    workdir: Path
    cache: dict[str, Any] = field(default_factory=dict)  # shared set-up, e.g. the sample KB
    # Processes shared between scenarios (bench.stack.shared), stopped at the end of the run.
    resources: ExitStack = field(default_factory=ExitStack)

    def command(self, name: str) -> str:
        return f"python -m bench {'--quick ' if self.quick else ''}--only {name}"


@dataclass
class Figure:
    """One row of the results table.

    `ratio` is computed by the scenario (its meaning is in `ratio_label`, e.g. "ingest ÷ raw");
    `met` is None when the figure has no target.
    """

    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_label: str
    ratio: float | None
    ratio_label: str
    command: str
    target: str = "—"
    met: bool | None = None
    baseline_unit: str | None = None  # defaults to `unit`

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_unit": self.baseline_unit or self.unit,
            "baseline_label": self.baseline_label,
            "ratio": self.ratio,
            "ratio_label": self.ratio_label,
            "target": self.target,
            "met": self.met,
            "command": self.command,
        }


@dataclass
class Result:
    """What a scenario hands back: figures for the table, notes, and details for the JSON."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    method: str = ""  # how it was measured, one paragraph of Markdown


@dataclass(frozen=True)
class Scenario:
    """A benchmark scenario; `run` is None for one that is planned but not yet measured."""

    name: str
    title: str
    run: Callable[[Context], Result] | None
    summary: str
    waiting_for: str = ""


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def p50(values: Sequence[float]) -> float:
    return percentile(values, 50)


def p95(values: Sequence[float]) -> float:
    return percentile(values, 95)


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def median_of(items: Sequence[T], key: Callable[[T], float]) -> T:
    """The item whose `key` is the median (of an even count, the lower of the middle two): a
    measurement kept whole, not a value averaged from two."""
    return sorted(items, key=key)[(len(items) - 1) // 2]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by fn(), and what it returned."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def summary(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean/min/max of durations in seconds, reported in milliseconds."""
    return {
        "n": len(values_s),
        "p50_ms": round(ms(p50(values_s)), 3),
        "p95_ms": round(ms(p95(values_s)), 3),
        "mean_ms": round(ms(statistics.fmean(values_s)), 3),
        "min_ms": round(ms(min(values_s)), 3),
        "max_ms": round(ms(max(values_s)), 3),
    }


# --------------------------------------------------------------------------- intervals

Interval = tuple[float, float]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of [start, end) intervals as sorted, disjoint intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def length(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in union(intervals))


def subtract(intervals: Iterable[Interval], minus: Iterable[Interval]) -> list[Interval]:
    """The parts of `intervals` not covered by `minus`."""
    cut = union(minus)
    out: list[Interval] = []
    for start, end in union(intervals):
        cursor = start
        for c_start, c_end in cut:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                out.append((cursor, c_start))
            cursor = max(cursor, c_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


def clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    lo, hi = window
    return [(max(s, lo), min(e, hi)) for s, e in intervals if e > lo and s < hi]
