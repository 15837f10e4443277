"""Stage ops charges a clustered visit the median of rounds taken in turn on one instance and
on the pair, not one round that a slow minute fell on."""

from __future__ import annotations

from bench.stage_ops import Reading, Visits, median_visits, paced_median


def paced(cpu_ms: float) -> Visits:
    return Visits(
        sessions=100,
        answer_tokens=200,
        completed=100,
        tokens=20_000,
        frames=3_700,
        load=Reading(cpu_s=cpu_ms * 100 / 1000),
        idle=Reading(cpu_s=0.0),
    )


def test_the_round_of_the_median_difference_is_charged() -> None:
    rounds = [
        (paced(136.0), paced(143.3)),
        (paced(137.1), paced(170.9)),
        (paced(118.1), paced(170.0)),
    ]
    chosen = paced_median(rounds)
    assert (chosen.one.cpu_ms_per_visit, chosen.pair.cpu_ms_per_visit) == (137.1, 170.9)


def test_of_two_rounds_the_smaller_difference_is_charged() -> None:
    chosen = paced_median([(paced(100.0), paced(160.0)), (paced(100.0), paced(120.0))])
    assert chosen.pair.cpu_ms_per_visit - chosen.one.cpu_ms_per_visit == 20.0


def test_every_round_is_reported_in_the_order_it_was_taken() -> None:
    chosen = paced_median([(paced(100.0), paced(160.0)), (paced(90.0), paced(120.0))])
    assert chosen.rounds == [
        {"one_cpu_ms_per_visit": 100.0, "pair_cpu_ms_per_visit": 160.0},
        {"one_cpu_ms_per_visit": 90.0, "pair_cpu_ms_per_visit": 120.0},
    ]


def test_of_a_bursts_rounds_the_load_of_median_cpu_is_kept() -> None:
    loads = [paced(91.3), paced(113.9), paced(95.0)]
    assert median_visits(loads) is loads[2]
    assert median_visits(loads[:2]) is loads[0]  # the lower of the middle two


def test_the_balancers_part_of_a_load_is_read_apart_and_reported_a_visit() -> None:
    before = Reading(10.0, balancer_cpu_s=1.0)
    after = Reading(14.0, balancer_cpu_s=1.5)
    load = after.minus(before)
    assert (load.cpu_s, load.balancer_cpu_s) == (4.0, 0.5)
    visits = Visits(100, 200, 100, 20_000, 5_700, load, Reading(0.0))
    assert visits.as_json()["balancer_cpu_ms_per_visit"] == 5.0
    assert visits.as_json()["cpu_ms_per_visit"] == 40.0  # the balancer's part included
