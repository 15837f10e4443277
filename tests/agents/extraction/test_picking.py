"""Picking what answers from scored units: the best, or the best of those stating a figure."""

from __future__ import annotations

import numpy as np

from agents.extraction import Scored, Unit, pick, pick_stating


def scored(*rows: tuple[str, float]) -> Scored:
    units = [Unit(text=t, source=n + 1, rank=n, position=0) for n, (t, _) in enumerate(rows)]
    # Orthogonal vectors (the question's first): no unit repeats another.
    vectors = np.eye(len(rows) + 1, dtype=np.float32)
    return Scored(units, np.asarray([s for _, s in rows]), vectors, [])


def test_the_best_of_the_units_stating_the_kind_asked_for_answers() -> None:
    found = scored(
        ("Have the engine oil changed by a dealer.", 0.97),
        ("Oil and filter: every 15,000 km or 12 months", 0.72),
        ("Oil capacity: 3.4 L", 0.70),
    )
    assert [u.text for u in pick(found)] == ["Have the engine oil changed by a dealer."]
    assert [u.text for u in pick_stating(found, frozenset({"interval"}))] == [
        "Oil and filter: every 15,000 km or 12 months"
    ]


def test_no_unit_stating_the_kind_picks_nothing() -> None:
    found = scored(("Have the engine oil changed by a dealer.", 0.97), ("Oil capacity: 3.4 L", 0.9))
    assert pick_stating(found, frozenset({"torque"})) == []


def test_a_unit_stating_it_too_weakly_picks_nothing() -> None:
    found = scored(("Have the engine oil changed by a dealer.", 0.97), ("Oil capacity: 3.4 L", 0.2))
    assert pick_stating(found, frozenset({"volume"})) == []
