"""Words tables set side by side are alternatives, read from the tables alone."""

from __future__ import annotations

from rag.alternatives import alternatives, sibling

SPECS = """| Parameter | Diesel | Petrol |
|---|---|---|
| Power | 70 PS | 85 PS |

| Tyre size | Version | Front | Rear |
|---|---|---|---|
| 175/65 | Petrol | 33 psi | 30 psi |
| 175/65 | Diesel | 36 psi | 30 psi |

| Item | Hour | Hours |
|---|---|---|
| Labour | 1 | 2 |
"""


def test_column_names_and_the_words_a_column_tells_rows_by_are_alternatives() -> None:
    found = alternatives([SPECS])
    assert ["diesel", "petrol"] in found
    assert ["front", "rear", "version"] in found


def test_forms_of_one_word_are_not_alternatives() -> None:
    assert ["hour", "hours"] not in alternatives([SPECS])


def test_the_sibling_a_text_names_is_found() -> None:
    groups = [["diesel", "petrol"]]
    assert sibling("Diesel", "what does the petrol make", groups) == "petrol"
    assert sibling("diesel", "what does it make", groups) is None


def test_column_names_that_differ_in_one_word_make_that_word_and_its_sibling_alternatives() -> None:
    """A header of load and axle for each model: no column has one word of its own, yet each
    pair of columns one word apart names two alternatives."""
    table = (
        "| Tyre | Cayenne S Part load front axle | Cayenne S Part load rear axle "
        "| Cayenne S Full load front axle | Cayenne Turbo Part load front axle |\n"
        "|---|---|---|---|---|\n| 255/55 R 18 | 37 psi | 42 psi | 37 psi | - |"
    )
    found = alternatives([table])
    assert ["front", "rear"] in found and ["full", "part"] in found
    assert sibling("rear", "What front tire pressure at part load?", found) == "front"
