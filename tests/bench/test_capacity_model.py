"""The capacity model's rules: what a load asks for, and the first token under a crowd."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bench.capacity_model import (
    DEFAULT_COSTS,
    STAGE_OPS,
    Cost,
    Costs,
    Crowd,
    Deployment,
    Load,
    capacity_by_simulation,
    costs_from_report,
    cpu_ms_at,
    cpu_ms_per_turn,
    first_tokens,
    frames_per_turn,
    ramp_by_simulation,
    shared_machine_rate,
    size,
    sources,
    sustained_rate,
)

COSTS = DEFAULT_COSTS


def with_costs(**values: float) -> Costs:
    return replace(COSTS, **{k: Cost(v, "test") for k, v in values.items()})


def test_a_turn_costs_more_cpu_with_a_longer_answer_and_a_larger_knowledge_base() -> None:
    base = cpu_ms_per_turn(Load(10, 1.0), COSTS)
    assert cpu_ms_per_turn(Load(10, 1.0, answer_tokens=400), COSTS) > base
    assert cpu_ms_per_turn(Load(10, 1.0, kb_chunks=50_000), COSTS) > base
    assert cpu_ms_per_turn(Load(10, 1.0, kb_chunks=500), COSTS) == base


def test_more_messages_never_need_fewer_processes_or_transactions() -> None:
    sizings = [size(Load(1_000, rate), COSTS) for rate in (1, 10, 100, 1_000)]
    processes = [s.processes for s in sizings]
    assert processes == sorted(processes)
    assert processes[-1] > processes[0]
    tps = [s.pg_transactions_per_s for s in sizings]
    assert tps == sorted(tps)


def test_processes_are_the_busy_cores_over_what_one_process_uses_at_the_target_fill() -> None:
    costs = with_costs(turn_cpu_ms=100.0, frame_cpu_ms=0.0, process_cores=1.0)
    sizing = size(Load(100, 30.0, answer_tokens=0), costs, Deployment(utilisation=0.5))
    assert sizing.cores == pytest.approx(3.0)
    assert sizing.processes == 6


def test_an_instance_runs_as_many_processes_as_its_cores_hold() -> None:
    costs = with_costs(turn_cpu_ms=100.0, frame_cpu_ms=0.0, process_cores=1.0)
    sizing = size(
        Load(100, 30.0, answer_tokens=0), costs, Deployment(cores_per_instance=4, utilisation=0.5)
    )
    assert sizing.instances == 2  # 6 processes, 4 to an instance


def test_pgbouncer_is_called_for_once_the_pools_pass_postgresql_connections() -> None:
    small = size(Load(100, 1.0), COSTS, Deployment(pg_max_connections=100))
    assert not small.pgbouncer
    large = size(Load(100_000, 500.0), COSTS, Deployment(pg_max_connections=100))
    assert large.pg_connections > 100
    assert large.pgbouncer


def test_an_answer_is_sent_in_the_frame_budget_shared_by_the_answers_streaming() -> None:
    load = Load(100, 1.0, answer_tokens=200, tokens_per_s=30.0)
    # alone: a frame per coalescing window, or a frame a token without one
    assert frames_per_turn(load, with_costs(token_coalesce_ms=100.0), 1.0) == pytest.approx(
        200 / 30 / 0.1
    )
    assert frames_per_turn(load, with_costs(token_coalesce_ms=0.0), 1.0) == 200
    assert frames_per_turn(load, COSTS, 10.0) == pytest.approx(500 / 10)
    # never fewer than one per 250 ms of the answer
    assert frames_per_turn(load, COSTS, 10_000.0) == pytest.approx(200 / 30 * 4)


def test_a_busier_process_sends_each_answer_in_fewer_frames_and_spends_less_on_it() -> None:
    load = Load(100, 1.0, answer_tokens=200)
    assert cpu_ms_per_turn(load, COSTS) == cpu_ms_per_turn(load, COSTS, frames=200)
    alone, busy = cpu_ms_at(load, COSTS, 1.0), cpu_ms_at(load, COSTS, 10.0)
    assert busy == pytest.approx(cpu_ms_per_turn(load, COSTS, frames=500 / 10))
    assert busy < alone


def test_a_process_s_rate_is_where_its_turns_fill_its_cores() -> None:
    costs = with_costs(turn_cpu_ms=40.0, frame_cpu_ms=1.0, process_cores=1.0)
    load = Load(100, 1.0, answer_tokens=200)
    rate = sustained_rate(costs, load, cores=1.0)
    # at that rate the frames are shared (500/s): rate × (40 + 500 / rate) = 1,000 CPU-ms/s
    assert rate == pytest.approx((1000 - 500) / 40, rel=1e-3)
    assert rate * cpu_ms_at(load, costs, rate) == pytest.approx(1000, rel=1e-3)


def test_redis_commands_follow_the_frames_an_answer_is_sent_in() -> None:
    costs = with_costs(
        redis_commands_per_turn=10.0, redis_commands_per_frame=5.0, token_coalesce_ms=0.0
    )
    costs = replace(costs, redis_commands_per_idle_connection_s=Cost(0.0, "test"))
    sizing = size(Load(10, 1.0, answer_tokens=20), costs)
    assert sizing.redis_ops_per_s == pytest.approx(1.0 * (10 + 20 * 5))


def test_the_first_to_saturate_is_the_fullest_shared_service() -> None:
    costs = with_costs(redis_ops_per_s=1.0)
    assert size(Load(1_000, 10.0), costs).first_to_saturate.resource == "Redis"
    costs = with_costs(pg_tps_per_core=0.001)
    assert size(Load(1_000, 10.0), costs).first_to_saturate.resource == "PostgreSQL"


def test_every_constant_names_where_it_came_from() -> None:
    for name, cost in sources(COSTS):
        assert cost.source, name


# A visit of stage-ops' report, as much of it as the model reads.
STAGE_VISIT = {
    "cpu_ms_per_visit": 60.0,
    "redis_commands_per_visit": 150.0,
    "redis_memory_bytes_per_session": 30 * 1024,
    "sql_statements_per_visit": 8.0,
    "pg_transactions_per_visit": 12.0,
    "sql_commits_per_visit": 3.0,
    "idle_redis_commands_per_connection_s": 0.03,
}


def test_the_report_s_stage_ops_figures_become_the_constants_and_say_so() -> None:
    visit = STAGE_VISIT | {"cpu_ms_per_visit": 40.0, "token_frames_per_visit": 20.0}
    longer = visit | {
        "cpu_ms_per_visit": 90.0,
        "token_frames_per_visit": 120.0,
        "redis_commands_per_visit": 850.0,
        "redis_memory_bytes_per_session": 130 * 1024,
    }
    report = {
        "scenarios": [
            {
                "name": "stage-ops",
                "status": "measured",
                "details": {
                    "cpu_line": {"ours": {"per_turn_ms": 30.0, "per_token_ms": 0.3}},
                    "visits": {"ours": {"20": visit, "200": longer}},
                    "retrieval_by_size": {
                        "1000": {"search_cpu_ms": 0.4},
                        "11000": {"search_cpu_ms": 2.4},
                    },
                    "chroma_revision_read_ms": {"server_ms": 0.8},
                    "service_ceilings": {"pg_tps_per_core": 900.0, "redis_ops_per_s": 40_000.0},
                },
            }
        ]
    }
    costs = costs_from_report(report)
    assert costs.frame_cpu_ms.value == pytest.approx(0.5)  # 50 CPU-ms more for 100 frames
    assert costs.turn_cpu_ms.value == pytest.approx(90 - 0.5 * 120)
    assert costs.redis_commands_per_frame.value == pytest.approx(7.0)
    assert costs.redis_commands_per_turn.value == pytest.approx(850 - 7 * 120)
    assert costs.redis_kib_per_frame.value == pytest.approx(1.0)
    assert costs.retrieval_cpu_ms_per_10k_chunks.value == pytest.approx(2.0)
    assert costs.pg_tps_per_core.value == 900.0
    assert costs.pg_commits_per_turn.value == 3.0
    assert costs.turn_cpu_ms.source.startswith(STAGE_OPS)


def test_a_third_load_s_split_charges_the_stream_per_token_and_per_frame() -> None:
    report = {
        "scenarios": [
            {
                "name": "stage-ops",
                "status": "measured",
                "details": {
                    "cpu_split": {"per_turn_ms": 50.0, "per_token_ms": 0.15, "per_frame_ms": 0.05},
                    "visits": {
                        "ours": {
                            "20": STAGE_VISIT | {"token_frames_per_visit": 7.0},
                            "200": STAGE_VISIT | {"token_frames_per_visit": 37.0},
                        }
                    },
                    "retrieval_by_size": {"1000": {"search_cpu_ms": 0.4}},
                    "chroma_revision_read_ms": {"server_ms": 0.8},
                },
            }
        ]
    }
    costs = costs_from_report(report)
    assert (costs.turn_cpu_ms.value, costs.token_cpu_ms.value) == (50.0, 0.15)
    assert costs.frame_cpu_ms.value == 0.05
    # 200 tokens cost the same however they are framed; each frame adds its own part.
    load = Load(1, 1.0, answer_tokens=200)
    assert cpu_ms_per_turn(load, costs, frames=67) == pytest.approx(50 + 30 + 3.35)
    assert cpu_ms_per_turn(load, costs, frames=17) == pytest.approx(50 + 30 + 0.85)


LONG_VISIT = STAGE_VISIT | {"token_frames_per_visit": 37.0}


def _pair_report(**more: dict[str, float]) -> dict[str, Any]:
    """A stage-ops report whose long visit costs 60 CPU-ms on one process and 85 on the pair,
    with `more` visits beside."""
    visits = {
        "ours": {
            "20": STAGE_VISIT | {"token_frames_per_visit": 7.0},
            "200": STAGE_VISIT | {"token_frames_per_visit": 37.0},
        },
        "two instances": {"200": LONG_VISIT | {"cpu_ms_per_visit": 85.0}},
        **{name: {"200": LONG_VISIT | visit} for name, visit in more.items()},
    }
    details = {
        "cpu_split": {"per_turn_ms": 50.0, "per_token_ms": 0.15, "per_frame_ms": 0.05},
        "visits": visits,
        "retrieval_by_size": {"1000": {"search_cpu_ms": 0.4}},
        "chroma_revision_read_ms": {"server_ms": 0.8},
    }
    return {"scenarios": [{"name": "stage-ops", "status": "measured", "details": details}]}


def test_a_pair_load_charges_a_clustered_visit_what_two_instances_cost_more() -> None:
    costs = costs_from_report(_pair_report())
    assert costs.cluster_turn_cpu_ms.value == pytest.approx(85.0 - 60.0)
    assert costs.clustered(1) is costs  # one process shares nothing
    two = costs.clustered(2)
    assert two.turn_cpu_ms.value == pytest.approx(50.0 + 25.0)
    assert two.clustered(2).turn_cpu_ms.value == two.turn_cpu_ms.value  # charged once
    load = Load(1, 1.0, answer_tokens=200)
    assert sustained_rate(costs, load, 2.0, processes=2) < sustained_rate(costs, load, 2.0, 1)


def test_a_clustered_visit_is_charged_at_a_steady_rate_where_both_were_paced() -> None:
    paced = {
        "one process, paced": {"cpu_ms_per_visit": 50.0},
        "two instances, paced": {"cpu_ms_per_visit": 66.0},
    }
    costs = costs_from_report(_pair_report(**paced))
    # the burst's 85 - 60 is left for the steady rate's 66 - 50
    assert costs.cluster_turn_cpu_ms.value == pytest.approx(16.0)
    assert "at 10/s" in costs.cluster_turn_cpu_ms.source
    # one of the two paced alone: the burst's
    alone = _pair_report(**{"two instances, paced": {"cpu_ms_per_visit": 66.0}})
    assert costs_from_report(alone).cluster_turn_cpu_ms.value == pytest.approx(25.0)


def test_the_frames_a_pair_sends_more_are_not_charged_to_its_visit_twice() -> None:
    # Each of the pair's processes streams half the answers at once, so merges fewer tokens
    # into a frame: 57 frames a visit against 37. The model charges frames by a process's
    # rate already; the clustered charge is what is left.
    paced = {
        "one process, paced": {"cpu_ms_per_visit": 50.0},
        "two instances, paced": {"cpu_ms_per_visit": 66.0, "token_frames_per_visit": 57.0},
    }
    costs = costs_from_report(_pair_report(**paced))
    assert costs.cluster_turn_cpu_ms.value == pytest.approx(16.0 - 20 * 0.05)
    assert "less the frames it sent more" in costs.cluster_turn_cpu_ms.source


def test_a_clustered_visit_costs_the_sizing_more_processes() -> None:
    load = Load(connections=50_000, messages_per_s=400.0)
    plain = size(load, COSTS)
    clustered = size(load, with_costs(cluster_turn_cpu_ms=40.0))
    assert clustered.processes > plain.processes
    assert size(Load(10, 0.1), with_costs(cluster_turn_cpu_ms=40.0)).processes == 1


def test_a_report_without_stage_ops_gives_the_defaults() -> None:
    assert costs_from_report({"scenarios": []}) == DEFAULT_COSTS


LOAD = Load(1_000, 1.0, answer_tokens=200)
LIGHT = with_costs(turn_cpu_ms=20.0, frame_cpu_ms=0.1, pre_token_share=1.0)


def test_a_turn_alone_has_its_first_token_after_its_own_work_and_the_model_s() -> None:
    out = first_tokens(Crowd(1), LIGHT, LOAD, cores=1.0, llm_first_token_s=0.3, spread=0.0)
    assert out.completed == 1
    assert out.first_token_s[0] == pytest.approx(0.02 + 0.3)


def test_a_crowd_at_once_waits_for_the_turns_ahead_of_it() -> None:
    out = first_tokens(Crowd(100), LIGHT, LOAD, cores=1.0, spread=0.0)
    assert out.completed == 100
    assert out.quantile(50) < out.quantile(95) <= out.quantile(100)
    # 100 turns of 20 CPU-ms on one core, their tokens' CPU on top: at least 2 s for the last
    assert out.quantile(100) >= 2.0


def test_the_same_seed_gives_the_same_crowd() -> None:
    crowd = Crowd(200, over_s=10.0, poisson=True)
    first = first_tokens(crowd, LIGHT, LOAD, cores=1.0, seed=3)
    assert first == first_tokens(crowd, LIGHT, LOAD, cores=1.0, seed=3)


def test_a_crowd_past_the_queue_s_bound_is_refused_rather_than_left_waiting() -> None:
    slow = with_costs(turn_cpu_ms=500.0, queue_max_wait_s=10.0, pre_token_share=1.0)
    out = first_tokens(Crowd(200), slow, LOAD, cores=1.0, spread=0.0)
    assert out.refused > 0
    assert out.completed + out.refused == 200


def test_a_streaming_answer_takes_a_frame_a_window_not_a_frame_a_token() -> None:
    # Ten answers streaming, 30 tokens a second each, frames of 10 CPU-ms: a frame a token
    # would be 3 cores; the product sends one frame per 100 ms window, 1 core. A turn arriving
    # behind them on 1.5 cores gets its 20 CPU-ms from the half core left.
    frames = with_costs(turn_cpu_ms=20.0, frame_cpu_ms=10.0, pre_token_share=1.0)
    times = [0.0] * 10 + [1.0]
    out = first_tokens(Crowd(11, 1.0), frames, LOAD, cores=1.5, spread=0.0, times=times)
    assert out.arrivals[-1][1] < 0.1  # 0.04 s; with a frame a token, starved to 5 % of a core
    token_by_token = replace(frames, token_coalesce_ms=Cost(0.0, "test"))
    slow = first_tokens(Crowd(11, 1.0), token_by_token, LOAD, cores=1.5, spread=0.0, times=times)
    assert slow.arrivals[-1][1] > 0.2


def test_more_cores_sustain_a_higher_rate_of_arrivals() -> None:
    one = capacity_by_simulation(LIGHT, LOAD, cores=1.0, step_s=5.0)
    two = capacity_by_simulation(LIGHT, LOAD, cores=2.0, step_s=5.0)
    assert 0 < one < two


def test_one_process_on_a_large_machine_is_bounded_by_its_own_loop() -> None:
    costs = with_costs(turn_cpu_ms=50.0, frame_cpu_ms=0.0, process_cores=1.0)
    rate = shared_machine_rate(costs, Load(1, 1.0), processes=1, machine_cores=16, others_ms=10)
    assert rate == pytest.approx(20.0)


def test_two_processes_on_two_shared_cores_are_bounded_by_the_machine() -> None:
    costs = with_costs(turn_cpu_ms=50.0, frame_cpu_ms=0.0, process_cores=1.0)
    rate = shared_machine_rate(costs, Load(1, 1.0), processes=2, machine_cores=2, others_ms=30)
    assert rate == pytest.approx(2 * 1000 / 80)


def test_a_simulated_ramp_passes_the_steps_the_cores_keep_up_with_and_fails_past_them() -> None:
    ceiling = sustained_rate(LIGHT, LOAD, cores=1.0)
    passed, failed = ramp_by_simulation(
        LIGHT, LOAD, cores=1.0, rates=(8, 16, 32, 64, 128), step_s=10.0
    )
    assert failed is not None
    assert passed <= ceiling < failed
    assert (passed, failed) == (32, 64)


def test_processes_sharing_one_socket_are_not_charged_the_balancers_part() -> None:
    paced = {
        "one process, paced": {"cpu_ms_per_visit": 50.0},
        "two instances, paced": {"cpu_ms_per_visit": 66.0, "balancer_cpu_ms_per_visit": 6.0},
    }
    costs = costs_from_report(_pair_report(**paced))
    assert costs.balancer_turn_cpu_ms.value == 6.0
    behind_haproxy = costs.clustered(2)
    workers = costs.clustered(2, balanced=False)
    assert behind_haproxy.turn_cpu_ms.value == pytest.approx(50.0 + 16.0)
    assert workers.turn_cpu_ms.value == pytest.approx(50.0 + 16.0 - 6.0)
    assert "no balancer" in workers.turn_cpu_ms.source
    # a report without the balancer measured apart charges both alike
    alike = costs_from_report(
        _pair_report(**{k: {"cpu_ms_per_visit": v["cpu_ms_per_visit"]} for k, v in paced.items()})
    )
    assert alike.clustered(2, balanced=False).turn_cpu_ms.value == pytest.approx(66.0)


def test_the_balancer_is_charged_only_once_the_processes_need_another_instance() -> None:
    # a balancer's 10 of a 40 CPU-ms clustered charge
    costs = with_costs(cluster_turn_cpu_ms=40.0, balancer_turn_cpu_ms=10.0)
    without = with_costs(cluster_turn_cpu_ms=30.0)
    few, many, big = Load(5_000, 20.0), Load(50_000, 400.0), Deployment(cores_per_instance=16)
    on_one = size(few, costs, big)
    assert on_one.processes > 1 and on_one.instances == 1  # `--workers N`: one socket
    assert on_one.cpu_ms_per_turn == pytest.approx(size(few, without, big).cpu_ms_per_turn)
    on_many = size(many, costs)
    assert on_many.instances > 1
    assert on_many.cpu_ms_per_turn > size(many, without).cpu_ms_per_turn
