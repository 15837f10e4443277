"""The lexical signal: terms, codes kept whole, and words written as one that documents split."""

from __future__ import annotations

from rag.codes import identifiers
from rag.lexical import LexicalIndex, terms, tokenize


def test_codes_stay_whole_and_dashes_are_one_kind() -> None:
    assert tokenize("CHG-031 at 0–100") == ["chg-031", "0-100"]
    assert identifiers("is P0A80 or CHG-031 bad?") == ["CHG-031", "P0A80"]


def test_a_word_the_documents_write_as_two_finds_them() -> None:
    index = LexicalIndex(["Replace the spark plugs every 60,000 km.", "Timing belt at 120,000 km."])
    assert index.split("sparkplugs") == ["spark", "plugs"]
    assert index.split("replace") == ["replace"]
    scores = index.scores("how often are the sparkplugs changed")
    assert scores[0] > 0 and scores[1] == 0


def test_a_question_quoting_a_passage_finds_it_and_only_it() -> None:
    index = LexicalIndex(
        [
            "Check fuel tank cap: position the cap correctly and screw it on until it locks.",
            "The fuel tank holds 75 litres; close the tank cap after refuelling.",
            "Refill washer fluid: refill the washer fluid reservoir.",
        ]
    )
    assert index.quoted("the display says check fuel tank cap, what should I do?") == [0]
    assert index.quoted("How big is the fuel tank?") == []  # too few words to be a quote


def test_wording_many_passages_share_is_no_quote() -> None:
    common = "Have the fault corrected at an authorized dealer."
    index = LexicalIndex([f"{name} fault. {common}" for name in ("Airbag", "Brake", "Lamp")])
    assert index.quoted("should I have the fault corrected at an authorized dealer?") == []


def test_words_meet_by_their_stem_and_as_written_count_more() -> None:
    index = LexicalIndex(
        ["Drive belt: replace at 120,000 km.", "Towing: 2,000 kg braked.", "Belts replaced."]
    )
    assert terms(["replaced"]) == ["replaced", "~replac"]
    scores = index.scores("when is the drive belt replaced")
    assert scores[0] > 0 and scores[1] == 0
    assert index.scores("how much can it tow")[1] > 0
    replace = index.scores("replace belts")
    assert replace[0] > 0 and replace[2] > 0
    assert terms(["chg-031", "0-100"]) == ["chg-031", "0-100", "~chg-031", "~0-100"]
    as_written = LexicalIndex(["Replace the belt.", "Replaced belts."]).scores("replace belt")
    assert as_written[0] > as_written[1] > 0


def test_a_question_naming_a_table_row_finds_the_passage_holding_it() -> None:
    index = LexicalIndex(
        ["Engine oil: check the level weekly.", "| Item | Quantity |", "| Item | Interval |"],
        rows=["Engine oil change quantity with filter", "Coolant", "Engine oil change"],
        row_parents=[1, 1, 2],
    )
    assert index.named_rows("how much engine oil goes in at an oil change with the filter?") == [1]
    assert index.named_rows("how often is the engine oil changed?") == [2]
    assert index.named_rows("what does the oil warning light mean?") == []
