"""A capacity step's CPU, per arrival and the load generator's against the server's."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bench.capacity import (
    GENERATOR,
    Ramp,
    Step,
    better,
    generator_share,
    model_check,
    telling_step,
    unsaturated_step,
)
from bench.capacity_model import DEFAULT_COSTS, Cost
from bench.load import COMPLETED, Session


def step_with(cpu: dict[str, float], arrivals: int = 10) -> Step:
    step = Step(rate=10.0, planned=arrivals, started_at=0.0, arrivals_s=1.0, cpu=cpu)
    step.sessions = [Session(i) for i in range(arrivals)]
    return step


def step(rate: float, passed: bool) -> Step:
    """A step of 10 arrivals that passed (a first token 0.1 s after each connected) or was
    stopped early."""
    taken = Step(rate=rate, planned=10, started_at=0.0, stopped_early=not passed)
    taken.sessions = [
        Session(i, connect=0.01, first_token=0.1, outcome=COMPLETED) for i in range(10)
    ]
    return taken


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


def test_a_turns_cost_is_read_where_the_server_was_not_yet_cpu_bound() -> None:
    def at(rate: float, cores: float, passed: bool = True) -> Step:
        taken = step(rate, passed)
        taken.arrivals_s, taken.cpu = 1.0, {"server": cores}
        return taken

    # 8/s used 0.87 cores; 10/s and 12/s the 1.06 that were all there was (their CPU per
    # arrival is cores ÷ rate, not a turn's cost); 14/s failed there too.
    calm = at(8, 0.87)
    ramp = Ramp("one process", [at(4, 0.45), calm, at(10, 1.06), at(12, 1.06), at(14, 1.07, False)])
    assert unsaturated_step(ramp) is calm
    assert unsaturated_step(Ramp("one process", [at(4, 1.0), at(6, 1.0, False)])) is None


def test_of_a_variants_ramps_the_better_is_kept_with_what_each_sustained() -> None:
    def ramp(*rates: float) -> Ramp:
        steps = [step(rate, passed=True) for rate in rates[:-1]] + [step(rates[-1], passed=False)]
        return Ramp("two instances", steps)

    slow, fast = ramp(2, 4, 8, 10, 12), ramp(2, 4, 8, 10, 12, 14, 16)
    kept = better([slow, fast])
    assert kept.steps is fast.steps
    assert (kept.sustained, kept.tries) == (14, [10, 14])
    assert "the better of 2 ramps: 10/s, 14/s" in kept.describe()


def test_of_ramps_sustaining_the_same_rate_the_first_is_kept() -> None:
    first = Ramp("one process", [step(2, passed=True), step(4, passed=False)])
    second = Ramp("one process", [step(2, passed=True), step(4, passed=False)])
    assert better([first, second]).steps is first.steps


def test_the_model_charges_two_workers_without_the_balancer_two_instances_with_it() -> None:
    def at(rate: float, cores: float, passed: bool = True) -> Step:
        taken = step(rate, passed)
        taken.arrivals_s, taken.cpu = 1.0, {"server": cores}
        return taken

    ramp = Ramp("two processes", [at(4, 0.5), at(8, 1.0), at(10, 1.45, False)])
    costs = replace(
        DEFAULT_COSTS,
        cluster_turn_cpu_ms=Cost(36.0, "test"),
        balancer_turn_cpu_ms=Cost(8.0, "test"),
    )
    workers, instances = model_check("workers", ramp, costs), model_check("instances", ramp, costs)
    assert workers is not None and instances is not None
    assert instances.cpu_ms - workers.cpu_ms == pytest.approx(8.0)
