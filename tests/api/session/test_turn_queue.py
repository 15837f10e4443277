"""Admission control: a bounded number of turns before their first token, the rest in line."""

from __future__ import annotations

import asyncio

import pytest

from api.session.turn_queue import (
    CPU_SAMPLE_TURNS,
    LINE_SAMPLE_TURNS,
    PRIOR_HOLD_S,
    PRIOR_TURN_CPU_S,
    REPORT_EVERY_S,
    SMOOTHING,
    TICK_S,
    Overloaded,
    Ticket,
    TurnQueue,
    busy,
    default_slots,
    should_report,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ticket(queue: TurnQueue) -> Ticket:
    reserved = queue.reserve()
    assert isinstance(reserved, Ticket), reserved
    return reserved


def test_slots_are_sized_from_the_cores() -> None:
    assert default_slots() >= 4
    assert default_slots() % 4 == 0


@pytest.mark.parametrize(
    ("position", "last", "since", "expected"),
    [
        (7, None, 0.0, True),  # joining the line: always told
        (7, 7, 60.0, False),  # not moved: nothing new to say
        (8, 7, 60.0, False),  # never told it went back
        (79, 100, 0.1, True),  # a fifth closer
        (90, 100, 0.1, False),  # moved a little, just told
        (90, 100, REPORT_EVERY_S, True),  # moved a little, a while ago
        (1, 2, 0.0, True),  # next in line
    ],
)
def test_positions_are_reported_as_they_shrink_not_at_every_step(
    position: int, last: int | None, since: float, expected: bool
) -> None:
    assert should_report(position, last, since) is expected


async def test_turns_start_at_once_while_slots_are_free() -> None:
    queue = TurnQueue(slots=2, max_wait_s=60)
    first, second = ticket(queue), ticket(queue)
    reported: list[int] = []
    await asyncio.wait_for(first.wait(reported.append), 1)
    await asyncio.wait_for(second.wait(reported.append), 1)
    assert reported == []
    assert queue.running == 2


async def test_the_rest_wait_in_arrival_order_and_hear_their_position() -> None:
    queue = TurnQueue(slots=1, max_wait_s=60)
    running = ticket(queue)
    second, third = ticket(queue), ticket(queue)
    started: list[str] = []
    heard: dict[str, list[int]] = {"second": [], "third": []}

    async def turn(name: str, place: Ticket) -> None:
        await place.wait(heard[name].append)
        started.append(name)

    tasks = [asyncio.create_task(turn(n, t)) for n, t in (("third", third), ("second", second))]
    await asyncio.sleep(0)
    assert started == []
    running.release()  # the first turn's first token is out
    await asyncio.sleep(0)
    assert started == ["second"]
    await asyncio.sleep(TICK_S * 1.5)  # the third hears it moved up to next
    assert heard == {"second": [1], "third": [2, 1]}
    second.release()
    await asyncio.gather(*tasks)
    assert started == ["second", "third"]


async def test_a_turn_cancelled_in_line_leaves_it() -> None:
    queue = TurnQueue(slots=1, max_wait_s=60)
    running = ticket(queue)
    leaving, staying = ticket(queue), ticket(queue)
    waiting = asyncio.create_task(leaving.wait(lambda position: None))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert list(queue.waiting) == [staying]
    running.release()
    await asyncio.wait_for(staying.wait(lambda position: None), 1)
    assert queue.running == 1


async def test_a_release_is_counted_once() -> None:
    queue = TurnQueue(slots=1, max_wait_s=60)
    first = ticket(queue)
    second = ticket(queue)
    first.release()
    first.release()
    assert queue.running == 1  # the second holds the slot; the repeat freed nothing more
    await asyncio.wait_for(second.wait(lambda position: None), 1)


async def test_past_the_expected_wait_a_message_is_refused_with_when_to_come_back() -> None:
    clock = Clock()
    queue = TurnQueue(slots=2, max_wait_s=1.0, clock=clock)
    held = [ticket(queue), ticket(queue)]
    # Before any measurement a slot is held PRIOR_HOLD_S: two slots, 0.25 s per place.
    in_line = [ticket(queue) for _ in range(int(1.0 * 2 / PRIOR_HOLD_S))]
    refused = queue.reserve()
    assert isinstance(refused, Overloaded)
    assert refused.expected_wait_s > 1.0
    assert refused.retry_after >= 1.0
    assert len(queue.waiting) == len(in_line)  # the refused one took no place

    clock.now += 0.1  # turns hold their slot far less than the prior: the line moves faster
    for place in held:
        place.release()
    assert queue.hold_s < PRIOR_HOLD_S
    assert isinstance(queue.reserve(), Ticket)


async def test_a_turn_already_accepted_elsewhere_is_never_refused() -> None:
    queue = TurnQueue(slots=1, max_wait_s=0.1)
    ticket(queue)
    assert isinstance(queue.reserve(), Overloaded)
    forced = queue.reserve(force=True)
    assert isinstance(forced, Ticket)
    assert forced.waiting


async def test_the_line_moves_no_faster_than_the_process_serves_turns() -> None:
    # Slots free up quickly, but each turn keeps spending CPU on its tokens after its first
    # one: the expected wait follows the process's measured CPU per turn.
    clock, cpu = Clock(), Clock()
    queue = TurnQueue(slots=8, max_wait_s=10.0, clock=clock, cpu_clock=cpu)
    assert queue.place_s == max(PRIOR_HOLD_S / 8, PRIOR_TURN_CPU_S)  # the priors
    for _ in range(CPU_SAMPLE_TURNS + 1):
        place = ticket(queue)
        clock.now += 0.05
        cpu.now += 0.5  # half a second of CPU per turn
        place.finish()
    assert queue.hold_s < PRIOR_HOLD_S
    assert queue.turn_cpu_s > PRIOR_TURN_CPU_S
    assert queue.place_s == queue.turn_cpu_s

    held = [ticket(queue) for _ in range(8)]
    in_line: list[Ticket] = []
    while isinstance(reserved := queue.reserve(), Ticket):
        in_line.append(reserved)
    assert len(in_line) == int(10.0 / queue.turn_cpu_s)  # not 10 s / (hold / 8 slots)
    assert reserved.retry_after >= 1.0
    assert held


async def test_a_turn_is_measured_once_however_it_ends() -> None:
    cpu = Clock()
    queue = TurnQueue(slots=1, max_wait_s=60, cpu_clock=cpu)
    for _ in range(CPU_SAMPLE_TURNS):
        place = ticket(queue)
        cpu.now += 0.3
        place.release()  # first token
        place.finish()  # the task's end
        place.finish()  # ... seen twice over
    assert queue.running == 0
    assert queue.turn_cpu_s == pytest.approx(0.3)  # the first measurement replaces the prior
    for _ in range(CPU_SAMPLE_TURNS):
        place = ticket(queue)
        cpu.now += 0.1
        place.finish()
    assert queue.turn_cpu_s == pytest.approx(0.3 + SMOOTHING * (0.1 - 0.3))  # then a mean


async def test_a_lightly_loaded_process_does_not_teach_the_cpu_per_turn() -> None:
    # Ten slow answers at once: a fifth of a core, most of it the per-token wake-ups that a
    # busy process shares. Its CPU per turn would overstate the cost of a turn in a crowd.
    clock, cpu = Clock(), Clock()
    queue = TurnQueue(slots=8, max_wait_s=60, clock=clock, cpu_clock=cpu)
    for _ in range(CPU_SAMPLE_TURNS * 3):
        place = ticket(queue)
        clock.now += 1.0
        cpu.now += 0.2
        place.finish()
    assert queue.turn_cpu_s == PRIOR_TURN_CPU_S
    for _ in range(CPU_SAMPLE_TURNS):  # then a crowd keeps it busy
        place = ticket(queue)
        clock.now += 0.1
        cpu.now += 0.09
        place.finish()
    assert queue.turn_cpu_s == pytest.approx(0.09)


def test_busy_is_most_of_a_core() -> None:
    assert busy(0.9, 1.0) and busy(1.6, 1.0)
    assert not busy(0.3, 1.0)


async def test_turns_still_running_count_for_half_the_work_they_took() -> None:
    cpu = Clock()
    queue = TurnQueue(slots=CPU_SAMPLE_TURNS + 2, max_wait_s=60, cpu_clock=cpu)
    together = [ticket(queue) for _ in range(CPU_SAMPLE_TURNS + 2)]  # a burst, all started
    cpu.now += 0.2 * len(together)  # most of their work done
    for place in together[:CPU_SAMPLE_TURNS]:
        place.finish()
    # Not 2.0 s over the 8 ended: the 2 still running took their share.
    assert queue.turn_cpu_s == pytest.approx(2.0 / (CPU_SAMPLE_TURNS + 2 / 2))


async def test_as_a_load_ends_the_turns_ended_are_the_work_done() -> None:
    cpu = Clock()
    queue = TurnQueue(slots=3 * CPU_SAMPLE_TURNS, max_wait_s=60, cpu_clock=cpu)
    burst = [ticket(queue) for _ in range(3 * CPU_SAMPLE_TURNS)]
    cpu.now += 0.8
    for place in burst[:CPU_SAMPLE_TURNS]:
        place.finish()
    first = 0.8 / (CPU_SAMPLE_TURNS + 2 * CPU_SAMPLE_TURNS / 2)  # 16 still running: half each
    assert queue.turn_cpu_s == pytest.approx(first)
    cpu.now += 0.8  # no turn starts now: the 8 that end are the work, not half of it
    for place in burst[CPU_SAMPLE_TURNS : 2 * CPU_SAMPLE_TURNS]:
        place.finish()
    later = 0.8 / CPU_SAMPLE_TURNS
    assert queue.turn_cpu_s == pytest.approx(first + SMOOTHING * (later - first))


async def test_once_there_was_a_line_its_pace_bounds_the_expected_wait() -> None:
    clock = Clock()
    queue = TurnQueue(slots=1, max_wait_s=60, clock=clock)
    running = ticket(queue)
    line = [ticket(queue) for _ in range(LINE_SAMPLE_TURNS)]
    for place in [running, *line[:-1]]:
        clock.now += 2.0  # the line moves one place every 2 s, whatever the slots' holds say
        place.release()
    assert queue.line_place_s == pytest.approx(2.0)
    assert queue.expected_wait_s(10) == pytest.approx(20.0)
