"""Scored units built by hand, for the tests of what the offline answerer picks from them."""

from __future__ import annotations

import numpy as np

from agents.extraction import Scored, Unit


def scored(*rows: tuple[str, float]) -> Scored:
    """A unit for each (text, score), each its own source, none repeating another (orthogonal
    vectors, the question's first)."""
    units = [Unit(text=t, source=n + 1, rank=n, position=0) for n, (t, _) in enumerate(rows)]
    vectors = np.eye(len(rows) + 1, dtype=np.float32)
    return Scored(units, np.asarray([s for _, s in rows]), vectors, [])
