"""How an answer writes a unit: the units a record's label names, on its figures."""

from __future__ import annotations

import pytest

from agents.extraction.wording import with_label_units


@pytest.mark.parametrize(
    ("record", "shown"),
    [
        ("Spark plug gap, in. (mm): 0.031 (0.8)", "Spark plug gap: 0.031 in. (0.8 mm)"),
        (
            "Bore and stroke, in. (mm): 3.70 x 3.74 (94.0 x 95.0)",
            "Bore and stroke: 3.70 x 3.74 in. (94.0 x 95.0 mm)",
        ),
        (
            "Oil capacity, qt. (Imp. qt., liter): Dry fill: 8.5 (7.0, 8.0)",
            "Oil capacity: Dry fill: 8.5 qt. (7.0 Imp. qt., 8.0 liter)",
        ),
        (
            "Drive belt tension, lb.: Other belts: 100 ± 20",
            "Drive belt tension: Other belts: 100 ± 20 lb.",
        ),
    ],
)
def test_a_label_s_units_are_written_with_the_figures_they_measure(record: str, shown: str) -> None:
    assert with_label_units(record) == shown


@pytest.mark.parametrize(
    "record",
    [
        "Tyres, front and rear: 2.5 bar",  # no unit closes the label
        "Oil grade (API): SF or SF/CC",
        "Spark plug gap, in. (mm): 0.8 mm",  # the figure has its unit
        "Fuel tank capacity, gal. (Imp. gal., liter): 23.8 (90)",  # two units, one figure
        "Oil capacity, qt. (Imp. qt., liter): 8.5 (7.0, , 8.0)",  # a figure missing
    ],
)
def test_a_record_its_label_s_units_do_not_fit_is_shown_as_it_is(record: str) -> None:
    assert with_label_units(record) == record
