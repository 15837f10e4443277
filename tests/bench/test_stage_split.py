"""Stage ops parts a visit's CPU into a turn, its tokens and its frames from three loads."""

from __future__ import annotations

import pytest

from bench.stage_ops import Reading, StreamSplit, Visits


def visits(tokens: int, frames: float, cpu_ms: float, sessions: int = 100) -> Visits:
    """A load of `sessions` visits, each `tokens` long in `frames` frames, costing `cpu_ms`."""
    return Visits(
        sessions=sessions,
        answer_tokens=tokens,
        completed=sessions,
        tokens=tokens * sessions,
        frames=round(frames * sessions),
        load=Reading(cpu_s=cpu_ms * sessions / 1000),
        idle=Reading(cpu_s=0.0),
    )


def cost(tokens: int, frames: float) -> float:
    """A visit of 50 CPU-ms, 0.15 a token and 0.05 a frame."""
    return 50 + 0.15 * tokens + 0.05 * frames


def test_three_loads_part_the_turn_the_tokens_and_the_frames() -> None:
    split = StreamSplit.through(
        visits(20, 7, cost(20, 7)), visits(200, 37, cost(200, 37)), visits(200, 17, cost(200, 17))
    )
    assert split.per_turn_ms == pytest.approx(50)
    assert split.per_token_ms == pytest.approx(0.15)
    assert split.per_frame_ms == pytest.approx(0.05)


def test_fewer_frames_costing_more_by_noise_charge_nothing_per_frame() -> None:
    split = StreamSplit.through(visits(20, 7, 53.0), visits(200, 37, 80.0), visits(200, 17, 81.0))
    assert split.per_frame_ms == 0.0
    assert split.per_token_ms == pytest.approx(27 / 180)
    assert split.per_turn_ms == pytest.approx(80 - 200 * 27 / 180)
