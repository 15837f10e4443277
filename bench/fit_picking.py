"""The picking weights fitted on the tuning half's data (`bench.pick_data`), judged on another.

The offline answer leads with the best-scored unit; a turn is picked right when that unit
holds the labelled fact. This searches the weights of `agents.extraction.rules.RULES` one at a
time, each over multiples of its weight today (its sign kept, `similar_meaning` fixed as the
scale), keeping a change only when it picks more turns right on the data it fits, ties broken
by how far ahead the best unit holding the fact is. Then it counts the other data's turns
picked right with today's weights and with the fitted ones (counts only: the held-out half's
misses are not read).

    python -m bench.fit_picking pick-tuning.jsonl pick-in-repo.jsonl --judge pick-held-out.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from agents.extraction.rules import RULES

MULTIPLES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
FIXED = {"similar_meaning"}
PASSES = 4


class Turns:
    """The requests whose units hold the fact somewhere: each unit's rule values, labelled."""

    def __init__(self, rows: Sequence[dict]) -> None:
        kept = [r for r in rows if r["has_fact"] and any(u["holds"] for u in r["units"])]
        self.values: list[NDArray[np.float64]] = [
            np.asarray([u["values"] for u in r["units"]], dtype=np.float64) for r in kept
        ]
        self.holds: list[NDArray[np.bool_]] = [
            np.asarray([u["holds"] for u in r["units"]]) for r in kept
        ]
        self.answerable = len(kept)
        self.total = sum(1 for r in rows if r["has_fact"])

    def right(self, weights: NDArray[np.float64]) -> tuple[int, float]:
        """(turns whose best unit holds the fact, summed margin of the best unit holding it
        over the best that does not, capped at ±0.1)."""
        count, margin = 0, 0.0
        for values, holds in zip(self.values, self.holds, strict=True):
            scores = values @ weights
            best = int(np.argmax(scores))  # the first of equals, as `pick` keeps their order
            count += bool(holds[best])
            others = scores[~holds]
            if others.size:
                margin += float(np.clip(scores[holds].max() - others.max(), -0.1, 0.1))
        return count, margin


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def fit(turns: Turns, start: NDArray[np.float64]) -> NDArray[np.float64]:
    """Coordinate search over `MULTIPLES` of today's weights."""
    weights = start.copy()
    best = turns.right(weights)
    for _ in range(PASSES):
        moved = False
        for i, rule in enumerate(RULES):
            if rule.name in FIXED:
                continue
            for multiple in MULTIPLES:
                trial = weights.copy()
                trial[i] = start[i] * multiple
                got = turns.right(trial)
                if got > best:
                    weights, best, moved = trial, got, True
        if not moved:
            break
    return weights


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fit_on", type=Path, nargs="+", help="data to fit on, one or more files")
    parser.add_argument("--judge", type=Path, help="data to count on (the held-out half)")
    args = parser.parse_args(argv)
    today = np.asarray([rule.weight for rule in RULES], dtype=np.float64)
    turns = Turns([row for path in args.fit_on for row in load(path)])
    fitted = fit(turns, today)
    print(
        f"fitted on {len(args.fit_on)} files: {turns.total} requests with a fact, "
        f"{turns.answerable} with it among the units"
    )
    print(f"  best unit holds it: today {turns.right(today)[0]}, fitted {turns.right(fitted)[0]}")
    for path in args.fit_on:
        each = Turns(load(path))
        print(
            f"    {path}: today {each.right(today)[0]}, fitted {each.right(fitted)[0]} "
            f"of {each.answerable}"
        )
    for rule, old, new in zip(RULES, today, fitted, strict=True):
        mark = "" if old == new else "  <-"
        print(f"  {rule.name:24} {old:+.3f} -> {new:+.4f}{mark}")
    if args.judge:
        judged = Turns(load(args.judge))
        print(
            f"judged on {args.judge}: {judged.total} requests with a fact, "
            f"{judged.answerable} with it among the units"
        )
        print(
            f"  best unit holds it: today {judged.right(today)[0]}, "
            f"fitted {judged.right(fitted)[0]}"
        )


if __name__ == "__main__":
    main()
