"""The lexical signal: terms, codes kept whole, and words written as one that documents split."""

from __future__ import annotations

from rag.lexical import LexicalIndex, identifiers, tokenize


def test_codes_stay_whole_and_dashes_are_one_kind() -> None:
    assert tokenize("CHG-031 at 0–100") == ["chg-031", "0-100"]
    assert identifiers("is P0A80 or CHG-031 bad?") == ["CHG-031", "P0A80"]


def test_a_word_the_documents_write_as_two_finds_them() -> None:
    index = LexicalIndex(["Replace the spark plugs every 60,000 km.", "Timing belt at 120,000 km."])
    assert index.split("sparkplugs") == ["spark", "plugs"]
    assert index.split("replace") == ["replace"]
    scores = index.scores("how often are the sparkplugs changed")
    assert scores[0] > 0 and scores[1] == 0
