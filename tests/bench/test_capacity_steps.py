"""A capacity step's CPU, per arrival and the load generator's against the server's."""

from __future__ import annotations

import math

from bench.capacity import GENERATOR, Ramp, Step, generator_share, telling_step
from bench.load import Session


def step_with(cpu: dict[str, float], arrivals: int = 10) -> Step:
    step = Step(rate=10.0, planned=arrivals, started_at=0.0, arrivals_s=1.0, cpu=cpu)
    step.sessions = [Session(i) for i in range(arrivals)]
    return step


def test_cpu_per_arrival_is_the_step_cpu_over_its_arrivals() -> None:
    step = step_with({"server": 0.5, GENERATOR: 0.1})
    assert step.cpu_ms_per_arrival("server") == 50.0
    assert step.cpu_ms_per_arrival(GENERATOR) == 10.0


def test_a_generator_lighter_than_the_server_has_a_share_below_one() -> None:
    assert generator_share(step_with({"server": 0.8, GENERATOR: 0.2})) == 0.25
    assert generator_share(step_with({"server": 0.2, GENERATOR: 0.4})) == 2.0


def test_a_server_that_spent_nothing_has_no_share() -> None:
    assert math.isnan(generator_share(step_with({"server": 0.0, GENERATOR: 0.1})))


def test_a_step_nobody_arrived_in_costs_nothing_per_arrival() -> None:
    assert step_with({"server": 1.0}, arrivals=0).cpu_ms_per_arrival("server") == 0.0


def test_the_telling_step_skips_a_last_step_stopped_after_one_arrival() -> None:
    full, stub = step_with({"server": 1.0}, arrivals=40), step_with({"server": 0.1}, arrivals=1)
    assert telling_step(Ramp("one process", [full, stub])) is full
    assert telling_step(Ramp("one process", [stub])) is stub
