"""Picking what answers from scored units: the best, or the best of those stating a figure."""

from __future__ import annotations

import numpy as np

from agents.extraction import Scored, Unit, pick, pick_stating, stating_first
from tests.utils.scored_units import scored


def unit(text: str, source: int) -> Unit:
    return Unit(text=text, source=source, rank=0, position=0)


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


def test_asked_for_a_figure_the_first_unit_stating_one_leads() -> None:
    step = unit("Wipe the mounting surface so the new filter seats well.", 1)
    capacity = unit("Oil capacity with filter: 4.2 L", 2)
    other = unit("Torque: 25 N·m", 3)
    assert stating_first([step, other, capacity], frozenset({"volume"})) == [
        capacity, step, other,
    ]  # fmt: skip
    assert stating_first([capacity, step], frozenset({"volume"})) == [capacity, step]
    assert stating_first([step, other], frozenset({"volume"})) == [step, other]
    assert stating_first([step, capacity], frozenset()) == [step, capacity]


def test_a_lead_stating_another_figure_keeps_its_place() -> None:
    # "What fluid goes in the gearbox, and when is it replaced?": the fluid's row answers
    # the first part.
    fluid = unit("Gearbox fluid: DCT-6, 2.3 litres", 1)
    interval = unit("Gearbox fluid: every 60,000 km", 2)
    assert stating_first([fluid, interval], frozenset({"interval"})) == [fluid, interval]


def test_asked_for_one_figure_alone_a_lead_stating_only_another_gives_way() -> None:
    # "How much oil goes in the gearbox?": the number of gears is no answer.
    gears = unit("Gearbox: Number of gears, 5", 1)
    oil = unit("Gearbox oil: 75W-90, 1.8 litres", 2)
    assert stating_first([gears, oil], frozenset({"volume"}), other_parts=False) == [oil, gears]
    assert stating_first([gears, oil], frozenset({"volume"})) == [gears, oil]


def test_safety_advice_keeps_the_lead() -> None:
    warning = unit("Do not open the cap while the engine is hot.", 1)
    capacity = unit("Coolant capacity: 6.1 L", 2)
    assert warning.safety
    assert stating_first([warning, capacity], frozenset({"volume"})) == [warning, capacity]


def test_asked_outright_for_a_figure_it_leads_the_safety_advice() -> None:
    warning = unit("Do not drive through deep or rapidly flowing water.", 1)
    depth = unit("The water must not be deeper than 50 cm.", 2)
    assert warning.safety
    assert stating_first([warning, depth], frozenset({"length"}), past_safety=True) == [
        depth,
        warning,
    ]


def alike(*rows: tuple[str, float]) -> list[str]:
    """What `pick` answers of units that all read alike in meaning (one vector)."""
    units = [Unit(text=t, source=n + 1, rank=n, position=0) for n, (t, _) in enumerate(rows)]
    vectors = np.ones((len(rows) + 1, 4), dtype=np.float32) / 2
    return [u.text for u in pick(Scored(units, np.asarray([s for _, s in rows]), vectors, []))]


def test_a_unit_alike_in_meaning_says_nothing_more_unless_its_figures_differ() -> None:
    # One step's figures for two engines read alike; each gives one the other does not.
    assert alike(("<6G7> 82 ± 2°C", 0.9), ("<4M4> 76.5 ± 2°C", 0.88)) == [
        "<6G7> 82 ± 2°C", "<4M4> 76.5 ± 2°C",
    ]  # fmt: skip
    # The same figure again, or a sentence without one, is the same thing said twice.
    assert alike(("Oil capacity: 4.2 L", 0.9), ("Engine oil capacity 4.2 L", 0.88)) == [
        "Oil capacity: 4.2 L"
    ]
    assert alike(("Oil capacity: 4.2 L", 0.9), ("Check the oil capacity.", 0.88)) == [
        "Oil capacity: 4.2 L"
    ]


def test_a_figure_that_adds_to_another_leads_only_where_none_other_states_one() -> None:
    notice = unit("NOTICE: Other coolant may cause corrosion.", 1)
    sooner = unit("In addition, the coolant may require changing sooner, at 30,000 miles.", 1)
    rule = unit("This coolant is designed to last 5 years or 150,000 miles.", 1)
    assert stating_first([notice, sooner, rule], frozenset({"interval"})) == [rule, notice, sooner]
    assert stating_first([notice, sooner], frozenset({"interval"})) == [sooner, notice]
