"""The answerer's vocabulary: what a text is about, in the terms a question meets it by."""

from __future__ import annotations

from agents.extraction.vocabulary import answer_kinds_in, answer_kinds_wanted, terms


def test_a_number_is_one_term_whether_or_not_commas_group_its_thousands() -> None:
    assert terms("Oil Pressure - Minimum at 2,000 RPM") >= terms("at 2000 rpm")
    assert "150000" in terms("replace at 150,000 km")
    assert {"1", "2", "3"} <= terms("cylinders 1,2,3")  # a list, not a number
    assert {"1", "5"} <= terms("1,5 litres")  # a decimal comma, not thousands


def test_a_service_manual_s_angles_currents_and_resistances_are_measures() -> None:
    assert answer_kinds_wanted("base ignition timing on the 2.5?") == {"angle"}
    assert "current" in answer_kinds_wanted("how many amps can I charge it at?")
    assert answer_kinds_wanted("How much key-off current draw is acceptable?") == {"current"}
    assert "resistance" in answer_kinds_wanted("What is the sensor's resistance?")
    assert "angle" in answer_kinds_in("Ignition timing: 10° BTDC")
    assert "angle" not in answer_kinds_in("Opens at 82 °C")
    assert "current" in answer_kinds_in("Charging rates: 5 A maximum")
    assert "current" in answer_kinds_in("Parasitic draw: 50 mA")
    assert "current" not in answer_kinds_in("Tyre grade: 3 a")  # a capital A only
    # A maker's own standard, named by its code, is a grade; a standard value is none.
    assert "grade" in answer_kinds_in("Use an oil meeting GM Standard GM4718M.")
    assert "grade" not in answer_kinds_in("Standard value: 700 r/min")
    assert "resistance" in answer_kinds_in("Resistance: 2.5 kΩ at 20 °C")


def test_every_common_spelling_of_a_torque_a_volume_and_a_pressure_is_read() -> None:
    for torque in ("2.5 m.daN", "2.5 mdaN", "2.5 daN.m", "25 N·m"):
        assert "torque" in answer_kinds_in(torque), torque
    for volume in ("3.5 ltr", "3.5 ltrs", "0.35 dm3", "0.35 dm³", "3.5 litres"):
        assert "volume" in answer_kinds_in(volume), volume
    for pressure in ("2.2 bars", "2.2 bar", "220 kPa"):
        assert "pressure" in answer_kinds_in(pressure), pressure
    assert "volume" not in answer_kinds_in("the lamp is lit 3 times")


def test_power_asks_for_a_figure_and_not_where_it_names_a_part_or_a_feature() -> None:
    assert "power" in answer_kinds_wanted("How much power does the diesel make?")
    assert "power" in answer_kinds_wanted("max power of the petrol?")
    for question in (
        "Which fluid goes in the power steering?",
        "the power windows stopped working",
        "is there a power outlet in the boot?",
    ):
        assert "power" not in answer_kinds_wanted(question), question


def test_a_fluid_named_by_its_makers_code_states_a_grade() -> None:
    for text in (
        "approx. 1.95 quarts (1.85 liters) of Pentosin CHF 202 hydraulic fluid",
        "DEXRON-VI Automatic Transmission Fluid.",
        "Use GM 6277M coolant.",
    ):
        assert "grade" in answer_kinds_in(text), text
    for text in ("Only use genuine hydraulic fluid.", "Check the MAX oil level."):
        assert "grade" not in answer_kinds_in(text), text


def test_a_part_asked_for_by_its_designation_is_answered_by_capitals_and_digits_together() -> None:
    for question in (
        "I need a new battery, what model number does it take?",
        "which spark plug is standard for this bike?",
        "What type of bulb do the front fog lights use?",
    ):
        assert "designation" in answer_kinds_wanted(question), question
    for question in ("What gap do I set the spark plugs to?", "what battery voltage is it?"):
        assert "designation" not in answer_kinds_wanted(question), question
    for text in ("Battery: YTZ5S", "(standard): CPR6EA-9 (NGK)", "Front fog light: H11"):
        assert "designation" in answer_kinds_in(text), text
    for text in ("Battery: 12 V-3.5 Ah (10 HR)", "Spark plug gap: 0.8 mm"):
        assert "designation" not in answer_kinds_in(text), text


def test_a_count_written_as_a_word_is_a_count() -> None:
    assert "count" in answer_kinds_in("The pipes may be refitted up to five times.")
    assert "count" not in answer_kinds_in("Use the one recommended by your dealer.")


def test_seconds_are_a_small_s_after_a_figure_not_a_designation_s_capital() -> None:
    for text in ("0-100 km/h: 5.6 s", "0-60 mph in 4.2s", "7.5 Seconds"):
        assert "acceleration" in answer_kinds_in(text), text
    assert "acceleration" not in answer_kinds_in("Battery: AB5S")
